// SPDX-License-Identifier: Apache-2.0
// The transitions table: every alert transition, numbered in the order it was committed
// (only the active node writes it), for consoles that resume their stream after a gap.
#include <boost/json.hpp>

#include "store/store.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {

alerts::transition::kind kind_from(std::string_view s) {
  if (s == "opened") return alerts::transition::kind::opened;
  if (s == "resolved") return alerts::transition::kind::resolved;
  return alerts::transition::kind::updated;
}

std::uint64_t one_number(connection& c, const char* sql) {
  auto st = c.prepare(sql);
  st.step();
  return st.is_null(0) ? 0 : static_cast<std::uint64_t>(st.int64(0));
}

}  // namespace

std::vector<std::uint64_t> store::reserve_alert_ids(std::size_t n) {
  if (db_->dialect() != dialect::postgresql)
    throw store_error(errc::error, "alert ids come from a sequence on PostgreSQL only");
  std::vector<std::uint64_t> out;
  auto st = db_->prepare("SELECT nextval('alert_ids') FROM generate_series(1, ?1)");
  st.bind(1, static_cast<std::int64_t>(n));
  while (st.step())
    out.push_back(static_cast<std::uint64_t>(st.int64(0)));
  return out;
}

std::uint64_t store::append_transition(const alerts::transition& t, time_point at) {
  const alerts::transition* one[] = {&t};
  return save_alerts({}, one, {}, at).front();
}

statement store::send_transition(const alerts::transition& t, time_point at) {
  auto st = db_->prepare(
      "INSERT INTO transitions (at, alert_id, kind, action, body) VALUES (?1,?2,?3,?4,?5) "
      "RETURNING seq");
  st.bind(1, to_ms(at))
      .bind(2, t.after.id)
      .bind(3, alerts::transition_name(t.what))
      .bind(4, t.action)
      .bind(5, json::serialize(alerts::to_json(t.after)));
  st.send();
  return st;
}

std::vector<alerts::transition> store::transitions_after(std::uint64_t after_seq,
                                                         std::size_t limit) {
  std::vector<alerts::transition> out;
  auto st = db_->prepare(
      "SELECT seq, kind, action, body FROM transitions WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  st.bind(1, static_cast<std::int64_t>(after_seq)).bind(2, static_cast<std::int64_t>(limit));
  while (st.step()) {
    boost::system::error_code ec;
    auto v = json::parse(st.text(3), ec);
    if (ec) continue;
    auto a = alerts::alert_from_json(v);
    if (!a) continue;
    alerts::transition t{kind_from(st.text(1)), std::move(*a), st.text(2), std::nullopt};
    t.seq = static_cast<std::uint64_t>(st.int64(0));
    out.push_back(std::move(t));
  }
  return out;
}

std::uint64_t store::last_transition_seq() {
  return one_number(*db_, "SELECT MAX(seq) FROM transitions");
}

std::uint64_t store::first_transition_seq() {
  return one_number(*db_, "SELECT MIN(seq) FROM transitions");
}

std::int64_t store::prune_transitions(time_point before) {
  transaction tx(*db_);
  db_->prepare("DELETE FROM transitions WHERE at < ?1").bind(1, to_ms(before)).run();
  const auto n = db_->changes();
  tx.commit();
  return n;
}

}  // namespace hearth::store
