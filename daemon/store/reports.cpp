// SPDX-License-Identifier: Apache-2.0
#include "store/reports.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace hearth::store {
namespace json = boost::json;

namespace {
std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}

std::vector<alerts::alert> read_alerts(statement& st) {
  std::vector<alerts::alert> out;
  while (st.step()) {
    boost::system::error_code ec;
    auto v = json::parse(st.text(0), ec);
    if (ec || !v.is_object()) continue;
    if (auto a = alerts::alert_from_json(v)) {
      if (const auto* k = v.as_object().if_contains("key"); k && k->is_string())
        a->key = k->as_string();
      out.push_back(std::move(*a));
    }
  }
  return out;
}
}  // namespace

std::vector<alerts::alert> alerts_opened(connection& c, time_point from, time_point to,
                                         std::size_t limit) {
  auto st = c.prepare(
      "SELECT body FROM alerts WHERE opened_at >= ?1 AND opened_at < ?2 ORDER BY opened_at, id "
      "LIMIT ?3");
  st.bind(1, ms(from)).bind(2, ms(to)).bind(3, static_cast<std::int64_t>(limit + 1));
  return read_alerts(st);
}

std::vector<alerts::alert> alerts_resolved_since(connection& c, time_point since,
                                                 std::size_t limit) {
  auto st = c.prepare(
      "SELECT body FROM alerts WHERE state = 'resolved' AND updated_at >= ?1 "
      "ORDER BY updated_at, id LIMIT ?2");
  st.bind(1, ms(since)).bind(2, static_cast<std::int64_t>(limit));
  return read_alerts(st);
}

std::map<std::string, std::string> latest_notes(connection& c, const std::vector<std::string>& ids,
                                                bool resolutions) {
  std::map<std::string, std::string> out;
  auto st = c.prepare(
      resolutions ? "SELECT note FROM audit WHERE alert_id = ?1 AND actor <> 'hearthd' AND note "
                    "<> '' AND action IN ('claimed', 'noted', 'escalated', 'resolved') ORDER BY "
                    "seq DESC LIMIT 1"
                  : "SELECT note FROM audit WHERE alert_id = ?1 AND actor <> 'hearthd' AND note "
                    "<> '' AND action IN ('claimed', 'noted') ORDER BY seq DESC LIMIT 1");
  for (const auto& id : ids) {
    st.bind(1, id);
    if (st.step()) out[id] = st.text(0);
    st.reset();
  }
  return out;
}

handover_ack save_handover_ack(connection& c, handover_ack a) {
  c.prepare(
       "INSERT INTO handovers (from_ms, to_ms, acknowledged_by, acknowledged_at, note) "
       "VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, ms(a.from))
      .bind(2, ms(a.to))
      .bind(3, a.by)
      .bind(4, ms(a.at))
      .bind(5, a.note)
      .run();
  a.id = c.last_insert_rowid();
  return a;
}

std::vector<handover_ack> handover_acks(connection& c, time_point from, time_point to,
                                        std::size_t limit) {
  auto st = c.prepare(
      "SELECT id, from_ms, to_ms, acknowledged_by, acknowledged_at, note FROM handovers "
      "WHERE to_ms >= ?1 AND to_ms <= ?2 ORDER BY acknowledged_at DESC, id DESC LIMIT ?3");
  st.bind(1, ms(from)).bind(2, ms(to)).bind(3, static_cast<std::int64_t>(limit));
  std::vector<handover_ack> out;
  while (st.step())
    out.push_back({st.int64(0), at_ms(st.int64(1)), at_ms(st.int64(2)), st.text(3),
                   at_ms(st.int64(4)), st.text(5)});
  return out;
}

}  // namespace hearth::store
