// SPDX-License-Identifier: Apache-2.0
// The alerts table: one row per alert, its latest state as the alert JSON plus the lifecycle
// fields (tier, deadlines) that survive a restart.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "store/audit.hpp"
#include "store/store.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {

/// The alert in a stored body, with its dedup key; nullopt when the body does not parse.
std::optional<alerts::alert> parse_body(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto a = alerts::alert_from_json(v);
  if (!a) return std::nullopt;
  if (const auto* k = v.as_object().if_contains("key"); k && k->is_string())
    a->key = k->as_string();
  return a;
}

}  // namespace

void store::save_alert(const alerts::alert& a) {
  const alerts::alert* one[] = {&a};
  save_alerts(one, {}, {}, a.updated_at);
}

statement store::send_alert_upsert(const alerts::alert& a) {
  // Before the row: a crash between the two skips ids, never repeats one.
  if (ids_) ids_->cover(std::stoull(a.id));
  static const std::string upsert = fmt::format(
      "INSERT INTO alerts VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(id) DO UPDATE SET "
      "state=excluded.state, priority=excluded.priority, updated_at=excluded.updated_at, "
      "body=excluded.body RETURNING {}",
      k_alert_row_columns);
  auto st = db_->prepare(upsert);
  st.bind(1, static_cast<std::int64_t>(std::stoll(a.id)))
      .bind(2, a.key)
      .bind(3, a.rule)
      .bind(4, a.priority)
      .bind(5, alerts::state_name(a.state))
      .bind(6, to_ms(a.opened_at))
      .bind(7, to_ms(a.updated_at));
  json::object body = alerts::to_json(a).as_object();
  body["key"] = a.key;
  for (const auto& [k, v] : alerts::lifecycle_json(a))
    body[k] = v;  // tier and deadlines survive restart
  if (!a.texts.empty()) body["texts"] = alerts::texts_json(a);  // every reader's language
  st.bind(8, json::serialize(body));
  st.send();
  return st;
}

std::vector<std::uint64_t> store::save_alerts(std::span<const alerts::alert* const> alerts,
                                              std::span<const alerts::transition* const> numbered,
                                              const std::vector<alerts::audit_entry>& journal,
                                              time_point at) {
  refuse_if_files_lost();
  transaction tx(*db_);
  // Everything that returns rows is sent before any of it is read: one round trip for all.
  // Each alert gets a `recorded` row, so there are audit rows to chain exactly when this is.
  const bool audited = !alerts.empty() || !journal.empty();
  std::optional<statement> tail;
  if (audited) tail = send_audit_tail();
  std::vector<statement> upserts, inserts;
  upserts.reserve(alerts.size());
  for (const auto* a : alerts)
    upserts.push_back(send_alert_upsert(*a));
  inserts.reserve(numbered.size());
  for (const auto* t : numbered)
    inserts.push_back(send_transition(*t, at));
  // The chain covers each row as it was stored (audit.hpp), from what its upsert returned.
  std::vector<alerts::audit_entry> rows;
  rows.reserve(alerts.size() + journal.size());
  for (std::size_t i = 0; i < upserts.size(); ++i) {
    if (!upserts[i].step()) throw store_error(errc::error, "the alert upsert returned no row");
    rows.push_back(recorded_entry(upserts[i], alerts[i]->updated_at));
    upserts[i].reset();  // SQLite commits no transaction with a statement still stepping
  }
  std::vector<std::uint64_t> seqs;
  seqs.reserve(inserts.size());
  for (auto& st : inserts) {
    if (!st.step()) throw store_error(errc::error, "the transition insert returned no number");
    seqs.push_back(static_cast<std::uint64_t>(st.int64(0)));
    st.reset();
  }
  rows.insert(rows.end(), journal.begin(), journal.end());
  if (audited) append_audit_after(tail, rows);
  tx.commit();
  return seqs;
}

std::vector<alerts::alert> store::load_alerts(std::optional<alerts::state> s, std::size_t limit) {
  std::vector<alerts::alert> out;
  auto st =
      s ? db_->prepare(
              "SELECT body FROM alerts WHERE state=?1 ORDER BY priority, opened_at, id LIMIT ?2")
        : db_->prepare("SELECT body FROM alerts ORDER BY priority, opened_at, id LIMIT ?2");
  if (s) st.bind(1, alerts::state_name(*s));
  st.bind(2, static_cast<std::int64_t>(limit));
  while (st.step())
    if (auto a = parse_body(st.text(0))) out.push_back(std::move(*a));
  return out;
}

std::optional<alerts::alert> store::load_alert(const std::string& id) {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc{} || p != id.data() + id.size()) return std::nullopt;
  auto st = db_->prepare("SELECT body FROM alerts WHERE id = ?1");
  st.bind(1, n);
  if (!st.step()) return std::nullopt;
  return parse_body(st.text(0));
}

std::vector<alerts::alert> store::alerts_about(const std::string& resident_id,
                                               const std::string& household_id, std::size_t limit) {
  // A cheap text prefilter in SQL (the quoted id appears in the body), then an exact check
  // on the parsed subject.
  auto st = db_->prepare(
      db_->dialect() == dialect::sqlite
          ? "SELECT body FROM alerts WHERE instr(body, ?1) > 0 OR instr(body, ?2) > 0 "
            "ORDER BY opened_at DESC, id DESC LIMIT 200"
          : "SELECT body FROM alerts WHERE strpos(body, ?1) > 0 OR strpos(body, ?2) > 0 "
            "ORDER BY opened_at DESC, id DESC LIMIT 200");
  st.bind(1, "\"" + (resident_id.empty() ? std::string("\x01") : resident_id) + "\"");
  st.bind(2, "\"" + (household_id.empty() ? std::string("\x01") : household_id) + "\"");
  std::vector<alerts::alert> out;
  while (out.size() < limit && st.step()) {
    auto a = parse_body(st.text(0));
    if (!a) continue;
    const auto& ids = a->subject.resident_ids;
    const bool about =
        (!resident_id.empty() && std::find(ids.begin(), ids.end(), resident_id) != ids.end()) ||
        (!household_id.empty() && a->subject.household_id == household_id);
    if (about) out.push_back(std::move(*a));
  }
  return out;
}

std::uint64_t store::max_alert_id() {
  auto st = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM alerts");
  st.step();
  return static_cast<std::uint64_t>(st.int64(0));
}

std::uint64_t store::alert_id_floor() {
  const auto in_table = max_alert_id();
  return ids_ ? std::max(in_table, ids_->reserved()) : in_table;
}

}  // namespace hearth::store
