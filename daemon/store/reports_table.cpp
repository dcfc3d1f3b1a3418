// SPDX-License-Identifier: Apache-2.0
// The supervisor's reports (issue 16): alerts by the time they opened or were resolved, the
// latest note a person wrote on an alert, and acknowledged handovers.
#include <boost/json.hpp>

#include "store/store.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {
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

std::vector<alerts::alert> store::alerts_opened(time_point from, time_point to, std::size_t limit) {
  auto st = db_->prepare(
      "SELECT body FROM alerts WHERE opened_at >= ?1 AND opened_at < ?2 ORDER BY opened_at, id "
      "LIMIT ?3");
  st.bind(1, to_ms(from)).bind(2, to_ms(to)).bind(3, static_cast<std::int64_t>(limit + 1));
  return read_alerts(st);
}

std::vector<alerts::alert> store::alerts_resolved_since(time_point since, std::size_t limit) {
  auto st = db_->prepare(
      "SELECT body FROM alerts WHERE state = 'resolved' AND updated_at >= ?1 "
      "ORDER BY updated_at, id LIMIT ?2");
  st.bind(1, to_ms(since)).bind(2, static_cast<std::int64_t>(limit));
  return read_alerts(st);
}

std::map<std::string, std::string> store::latest_notes(const std::vector<std::string>& ids,
                                                       bool resolutions) {
  std::map<std::string, std::string> out;
  auto st = db_->prepare(
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

handover_row store::save_handover(handover_row h) {
  transaction tx(*db_);
  auto st = db_->prepare(
      "INSERT INTO handovers (from_ms, to_ms, acknowledged_by, acknowledged_at, note) "
      "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
  st.bind(1, to_ms(h.from)).bind(2, to_ms(h.to)).bind(3, h.by).bind(4, to_ms(h.at)).bind(5, h.note);
  if (st.step()) h.id = st.int64(0);
  st.reset();
  tx.commit();
  return h;
}

std::vector<handover_row> store::handovers(time_point from, time_point to, std::size_t limit) {
  auto st = db_->prepare(
      "SELECT id, from_ms, to_ms, acknowledged_by, acknowledged_at, note FROM handovers "
      "WHERE to_ms >= ?1 AND to_ms <= ?2 ORDER BY acknowledged_at DESC, id DESC LIMIT ?3");
  st.bind(1, to_ms(from)).bind(2, to_ms(to)).bind(3, static_cast<std::int64_t>(limit));
  std::vector<handover_row> out;
  while (st.step())
    out.push_back({st.int64(0), from_ms(st.int64(1)), from_ms(st.int64(2)), st.text(3),
                   from_ms(st.int64(4)), st.text(5)});
  return out;
}

}  // namespace hearth::store
