// SPDX-License-Identifier: Apache-2.0
// The audit table: appends chained to the last row, reads, and the walk that verifies it.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <unordered_map>

#include "store/audit.hpp"
#include "store/store.hpp"

namespace hearth::store {
namespace {

audit_row read_row(const statement& st) {
  audit_row r;
  r.seq = st.int64(0);
  r.entry.at = from_ms(st.int64(1));
  r.entry.actor = st.text(2);
  r.entry.action = st.text(3);
  r.entry.alert_id = st.text(4);
  r.entry.subject = st.text(5);
  r.entry.note = st.text(6);
  r.entry.channel = st.text(7);
  r.prev_hash = st.text(8);
  r.hash = st.text(9);
  return r;
}

constexpr const char* k_select =
    "SELECT seq, at, actor, action, alert_id, subject, note, channel, prev_hash, hash FROM audit ";

/// Rows read per query by verify_audit.
constexpr std::size_t k_verify_page = 10'000;

/// PostgreSQL: appends from several connections (the daemon, a CLI command) take turns, so
/// that two never read the same last row and both chain to it. SQLite's BEGIN IMMEDIATE
/// already makes writers take turns.
constexpr std::int64_t k_audit_lock = 0x6865617274;  // "heart"

/// Alert rows read per query by verify_audit and record_alert_rows.
constexpr std::int64_t k_alert_page = 1'000;

const std::string k_alert_columns = fmt::format("SELECT {} FROM alerts ", k_alert_row_columns);

/// The digest of one alert row as it is stored, every column.
std::string alert_row_digest(const statement& st) {
  boost::json::array a;
  a.emplace_back(st.int64(0));
  a.emplace_back(st.text(1));
  a.emplace_back(st.text(2));
  a.emplace_back(st.int64(3));
  a.emplace_back(st.text(4));
  a.emplace_back(st.int64(5));
  a.emplace_back(st.int64(6));
  a.emplace_back(st.text(7));
  return sha256_hex(boost::json::serialize(a));
}

/// The alert id a `recorded` row is about, or 0 when the row is not one.
std::int64_t recorded_alert(const audit_row& r) {
  if (r.entry.action != k_recorded_action || !r.entry.subject.starts_with(k_recorded_prefix))
    return 0;
  try {
    return std::stoll(r.entry.alert_id);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

alerts::audit_entry recorded_entry(const statement& row, time_point at) {
  return {at,
          "hearthd",
          std::string(k_recorded_action),
          std::to_string(row.int64(0)),
          fmt::format("{}{}", k_recorded_prefix, alert_row_digest(row)),
          "",
          "store"};
}

std::optional<statement> store::send_audit_tail() {
  // This transaction holds the chain's lock since it read the tail.
  if (audit_tail_ && audit_tail_->transaction == db_->transaction_serial()) return std::nullopt;
  if (db_->dialect() == dialect::postgresql)
    db_->prepare("SELECT pg_advisory_xact_lock(?1)").bind(1, k_audit_lock).run();
  auto last = db_->prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  last.send();
  return last;
}

void store::append_audit(const std::vector<alerts::audit_entry>& rows) {
  if (rows.empty()) return;
  refuse_if_files_lost();
  transaction tx(*db_);
  auto tail = send_audit_tail();
  append_audit_after(tail, rows);
  tx.commit();
}

void store::append_audit_after(std::optional<statement>& tail,
                               const std::vector<alerts::audit_entry>& rows) {
  std::int64_t seq = 0;
  std::string prev(k_genesis_hash);
  if (!tail) {
    seq = audit_tail_->seq;
    prev = audit_tail_->hash;
  } else if (tail->step()) {
    seq = tail->int64(0);
    prev = tail->text(1);
  }
  if (tail) tail->reset();
  auto ins = db_->prepare(
      "INSERT INTO audit(seq, at, actor, action, alert_id, subject, note, channel, prev_hash, "
      "hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  for (const auto& e : rows) {
    ++seq;
    auto h = chain_hash(prev, seq, e);
    ins.bind(1, seq)
        .bind(2, to_ms(e.at))
        .bind(3, e.actor)
        .bind(4, e.action)
        .bind(5, e.alert_id)
        .bind(6, e.subject)
        .bind(7, e.note)
        .bind(8, e.channel)
        .bind(9, prev)
        .bind(10, h)
        .run();
    prev = std::move(h);
  }
  audit_tail_ = audit_tail{db_->transaction_serial(), seq, std::move(prev)};
}

void store::record_alert_rows(const std::vector<std::int64_t>& ids, time_point at) {
  if (ids.empty()) return;
  transaction tx(*db_);
  std::vector<alerts::audit_entry> rows;
  auto st = db_->prepare(fmt::format("{}WHERE id = ?1", k_alert_columns));
  for (const auto id : ids) {
    st.bind(1, id);
    if (st.step()) rows.push_back(recorded_entry(st, at));
    st.reset();
  }
  append_audit(rows);
  tx.commit();
}

audit_head store::audit_head_now(time_point at) {
  audit_head h;
  h.at = at;
  h.hash = std::string(k_genesis_hash);
  {
    auto last = db_->prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
      h.rows = last.int64(0);
      h.hash = last.text(1);
    }
  }
  auto top = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM alerts");
  top.step();
  h.last_alert_id = static_cast<std::uint64_t>(top.int64(0));
  return h;
}

std::vector<audit_row> store::audit_for_alert(const std::string& alert_id) {
  std::vector<audit_row> out;
  auto st = db_->prepare(fmt::format("{}WHERE alert_id = ?1 AND action <> '{}' ORDER BY seq",
                                     k_select, k_recorded_action));
  st.bind(1, alert_id);
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

std::vector<audit_row> store::audit_rows(std::int64_t after_seq, std::size_t limit) {
  std::vector<audit_row> out;
  auto st = db_->prepare(fmt::format("{}WHERE seq > ?1 ORDER BY seq LIMIT ?2", k_select));
  st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

audit_verdict store::verify_audit(const audit_head* anchor) {
  audit_verdict v;
  std::string prev(k_genesis_hash);
  std::int64_t expected_seq = 1, after = 0;
  std::optional<std::string> hash_at_anchor;
  if (anchor && anchor->rows == 0) hash_at_anchor = std::string(k_genesis_hash);
  // Per alert: the digest of its row in the chain's last record of it, and that record.
  struct last_record {
    std::string digest;
    std::int64_t seq = 0;
  };
  std::unordered_map<std::int64_t, last_record> recorded;
  std::int64_t first_recorded = 0;
  while (true) {
    const auto page = audit_rows(after, k_verify_page);
    const bool whole = verify_audit_page(page, prev, expected_seq, v);
    for (const auto& r : page) {
      if (v.bad && r.seq >= *v.bad) break;
      if (anchor && r.seq == anchor->rows) hash_at_anchor = r.hash;
      if (const auto id = recorded_alert(r)) {
        recorded[id] = {r.entry.subject.substr(k_recorded_prefix.size()), r.seq};
        if (first_recorded == 0 || id < first_recorded) first_recorded = id;
      }
    }
    if (!whole) return v;
    if (page.size() < k_verify_page) break;
    after = page.back().seq;
  }
  auto fail = [&](std::int64_t seq, std::string why) {
    v.bad = seq;
    v.problem = std::move(why);
    return v;
  };
  // The chain against where it was known to end.
  if (anchor) {
    if (v.rows < anchor->rows)
      return fail(v.rows + 1,
                  fmt::format("the chain ends at row {}, but the head of {} says it had "
                              "{} rows: rows were cut off its end",
                              v.rows, format_rfc3339(anchor->at), anchor->rows));
    if (!hash_at_anchor || *hash_at_anchor != anchor->hash)
      return fail(anchor->rows,
                  fmt::format("its hash is not the one the head of {} gives for it: the chain "
                              "was rewritten (rows changed and re-hashed) up to here",
                              format_rfc3339(anchor->at)));
  }
  // The alerts table against the chain's record of each row.
  std::int64_t after_id = 0, highest = 0;
  auto st = db_->prepare(fmt::format("{}WHERE id > ?1 ORDER BY id LIMIT ?2", k_alert_columns));
  while (true) {
    st.bind(1, after_id).bind(2, k_alert_page);
    std::int64_t n = 0;
    while (st.step()) {
      ++n;
      const auto id = st.int64(0);
      after_id = highest = id;
      const auto it = recorded.find(id);
      if (it == recorded.end()) {
        if (first_recorded != 0 && id > first_recorded)
          return fail(expected_seq, fmt::format("alert {} is in the alerts table but the chain "
                                                "never recorded it: it was added outside hearthd",
                                                id));
        ++v.unrecorded_alerts;  // written before alert rows were chained
        continue;
      }
      if (it->second.digest != alert_row_digest(st))
        return fail(it->second.seq,
                    fmt::format("alert {}'s row in the alerts table is not the one this row "
                                "recorded: it was changed outside hearthd",
                                id));
      recorded.erase(it);
      ++v.alerts;
    }
    st.reset();
    if (n < k_alert_page) break;
  }
  if (!recorded.empty()) {
    auto first = recorded.begin();
    for (auto it = recorded.begin(); it != recorded.end(); ++it)
      if (it->second.seq < first->second.seq) first = it;
    return fail(first->second.seq,
                fmt::format("alert {} was recorded here but is not in the alerts table: it was "
                            "deleted",
                            first->first));
  }
  if (anchor && static_cast<std::uint64_t>(highest) < anchor->last_alert_id)
    return fail(v.rows + 1,
                fmt::format("the alerts table ends at alert {}, but the head of {} says alert {} "
                            "had been written: the newest alerts are lost",
                            highest, format_rfc3339(anchor->at), anchor->last_alert_id));
  return v;
}

}  // namespace hearth::store
