// SPDX-License-Identifier: Apache-2.0
#include "store/privacy.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <set>
#include <vector>

#include "alerts/book.hpp"
#include "base/metric.hpp"
#include "base/time.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {

std::string when(std::int64_t v) {
  return format_rfc3339(time_point{duration{v}});
}

struct person {
  std::string household_id;
  json::object row;
};

std::optional<person> find_resident(connection& c, const std::string& id) {
  auto st = c.prepare(
      "SELECT resident_id, household_id, name, birth_year, lives_alone, phone, emergency_contact, "
      "emergency_phone, social_worker FROM residents WHERE resident_id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  person p;
  p.household_id = st.text(1);
  p.row = {{"resident_id", st.text(0)},
           {"household_id", st.text(1)},
           {"name", st.text(2)},
           {"birth_year", st.int64(3)},
           {"lives_alone", st.int64(4) != 0},
           {"phone", st.text(5)},
           {"emergency_contact", st.text(6)},
           {"emergency_phone", st.text(7)},
           {"social_worker", st.text(8)}};
  return p;
}

std::vector<std::string> household_devices(connection& c, const std::string& household_id) {
  std::vector<std::string> out;
  auto st = c.prepare("SELECT device_id FROM devices WHERE household_id = ?1 ORDER BY device_id");
  st.bind(1, household_id);
  while (st.step())
    out.push_back(st.text(0));
  return out;
}

/// Alerts whose subject names the resident: (id, parsed body).
std::vector<std::pair<std::int64_t, json::object>> alerts_naming(connection& c,
                                                                 const std::string& id) {
  std::vector<std::pair<std::int64_t, json::object>> out;
  // LIKE narrows the scan to bodies that mention the id at all; the JSON decides.
  auto st = c.prepare(c.dialect() == dialect::sqlite
                          ? "SELECT id, body FROM alerts WHERE instr(body, ?1) > 0 ORDER BY id"
                          : "SELECT id, body FROM alerts WHERE strpos(body, ?1) > 0 ORDER BY id");
  st.bind(1, json::serialize(json::string(id)));
  while (st.step()) {
    boost::system::error_code ec;
    auto v = json::parse(st.text(1), ec);
    if (ec || !v.is_object()) continue;
    const auto* subject = v.as_object().if_contains("subject");
    const auto* ids = subject && subject->is_object()
                          ? subject->as_object().if_contains("resident_ids")
                          : nullptr;
    if (!ids || !ids->is_array()) continue;
    for (const auto& r : ids->as_array())
      if (r.is_string() && r.as_string() == id) {
        out.emplace_back(st.int64(0), v.as_object());
        break;
      }
  }
  return out;
}

std::string random_pseudonym() {
  unsigned char b[6];
  if (RAND_bytes(b, sizeof b) != 1)
    throw store_error(errc::error, "no random bytes from OpenSSL for a pseudonym");
  std::string out = "erased-";
  for (auto x : b)
    out += fmt::format("{:02x}", x);
  return out;
}

}  // namespace

std::optional<json::object> export_resident(store& s, const std::string& resident_id,
                                            const std::string& actor, time_point at, bool full) {
  auto& c = s.db();
  transaction tx(c);
  auto p = find_resident(c, resident_id);
  if (!p) return std::nullopt;
  json::object out;
  out["exported_at"] = format_rfc3339(at);
  out["resident"] = p->row;
  {
    auto st = c.prepare(
        "SELECT household_id, building, unit, address FROM households WHERE household_id = ?1");
    st.bind(1, p->household_id);
    if (st.step())
      out["household"] = json::object{{"household_id", st.text(0)},
                                      {"building", st.text(1)},
                                      {"unit", st.text(2)},
                                      {"address", st.text(3)}};
  }
  json::array devices;
  for (const auto& id : household_devices(c, p->household_id)) {
    auto st = c.prepare(
        "SELECT device_id, external_id, type, location FROM devices WHERE device_id = ?1");
    st.bind(1, id);
    st.step();
    json::object d{{"device_id", st.text(0)},
                   {"external_id", st.text(1)},
                   {"type", st.text(2)},
                   {"location", st.text(3)}};
    json::array readings;
    if (full) {
      for (const auto& r : s.all_readings(id))
        readings.push_back(json::object{
            {"metric", info(r.metric).name}, {"value", r.value}, {"ts", format_rfc3339(r.ts)}});
    } else {
      for (const auto& r : s.readings_summary(id))
        readings.push_back(json::object{{"metric", info(r.metric).name},
                                        {"count", r.count},
                                        {"first", format_rfc3339(r.first)},
                                        {"last", format_rfc3339(r.last)},
                                        {"min", r.min},
                                        {"max", r.max}});
    }
    d[full ? "readings" : "readings_summary"] = std::move(readings);
    devices.push_back(std::move(d));
  }
  out["devices"] = std::move(devices);
  json::array alerts;
  std::set<std::string> alert_ids;
  for (auto& [id, body] : alerts_naming(c, resident_id)) {
    alert_ids.insert(std::to_string(id));
    body.erase("key");
    alerts.push_back(std::move(body));
  }
  out["alerts"] = std::move(alerts);
  json::array aways;
  {
    auto st = c.prepare(
        "SELECT since, until, reason, author FROM aways WHERE resident_id = ?1 ORDER BY since");
    st.bind(1, resident_id);
    while (st.step())
      aways.push_back(json::object{{"since", when(st.int64(0))},
                                   {"until", when(st.int64(1))},
                                   {"reason", st.text(2)},
                                   {"author", st.text(3)}});
  }
  out["aways"] = std::move(aways);
  json::array audit;
  {
    const auto subject = "resident:" + resident_id;
    auto st = c.prepare(
        "SELECT seq, at, actor, action, alert_id, subject, note, channel FROM audit WHERE action "
        "<> 'recorded' ORDER BY seq");  // records of alert rows are the chain's, not the person's
    while (st.step()) {
      const auto alert_id = st.text(4);
      const auto subj = st.text(5);
      if (subj != subject && !alert_ids.count(alert_id)) continue;
      audit.push_back(json::object{{"seq", st.int64(0)},
                                   {"at", when(st.int64(1))},
                                   {"actor", st.text(2)},
                                   {"action", st.text(3)},
                                   {"alert_id", alert_id},
                                   {"subject", subj},
                                   {"note", st.text(6)},
                                   {"channel", st.text(7)}});
    }
  }
  out["audit"] = std::move(audit);
  s.append_audit({{at, actor, "personal-data-exported", "", "resident:" + resident_id,
                   full ? "full readings" : "readings summary", "cli"}});
  tx.commit();
  return out;
}

std::optional<erasure> erase_resident(store& s, const std::string& resident_id,
                                      const std::string& actor, time_point at) {
  auto& c = s.db();
  transaction tx(c);
  auto p = find_resident(c, resident_id);
  if (!p) return std::nullopt;
  auto named = alerts_naming(c, resident_id);
  for (const auto& [id, body] : named) {
    const auto* st = body.if_contains("state");
    if (st && st->is_string() && st->as_string() != "resolved")
      throw store_error(errc::constraint,
                        fmt::format("alert {} about {} is still {}; resolve it first", id,
                                    resident_id, std::string_view(st->as_string())));
  }
  erasure out;
  out.pseudonym = random_pseudonym();
  auto del_resident = c.prepare("DELETE FROM residents WHERE resident_id = ?1");
  del_resident.bind(1, resident_id).run();
  auto del_away = c.prepare("DELETE FROM aways WHERE resident_id = ?1");
  del_away.bind(1, resident_id).run();
  out.aways = c.changes();
  auto del_state = c.prepare("DELETE FROM engine_state WHERE key = ?1");
  del_state.bind(1, "a|" + resident_id).run();
  out.state_rows += c.changes();

  auto upd = c.prepare("UPDATE alerts SET body = ?2 WHERE id = ?1");
  std::vector<std::int64_t> relabelled;
  for (auto& [id, body] : named) {
    relabelled.push_back(id);
    auto& ids = body["subject"].as_object()["resident_ids"].as_array();
    for (auto& r : ids)
      if (r.is_string() && r.as_string() == resident_id) r = out.pseudonym;
    upd.bind(1, id).bind(2, json::serialize(body)).run();
    ++out.alerts;
  }

  // Who still lives there? If nobody, the household's readings and learned patterns were
  // this person's alone (a daily water-use pattern is personal data).
  auto others = c.prepare("SELECT COUNT(*) FROM residents WHERE household_id = ?1");
  others.bind(1, p->household_id);
  others.step();
  if (others.int64(0) == 0 && !p->household_id.empty()) {
    out.household_readings_erased = true;
    auto del_keyed = c.prepare(
        "DELETE FROM engine_state WHERE key = 'd|' || ?1 OR (key LIKE 'i|%' AND (key LIKE '%|' "
        "|| ?1 OR key LIKE '%|' || ?1 || '|%'))");
    for (const auto& dev : household_devices(c, p->household_id)) {
      out.readings += s.erase_readings(dev);
      del_keyed.bind(1, dev).run();
      out.state_rows += c.changes();
    }
    del_keyed.bind(1, p->household_id).run();
    out.state_rows += c.changes();
  }
  s.record_alert_rows(relabelled, at);  // the chain keeps covering the alert rows
  // The trail says that an erasure happened and what it covered; it does not record the
  // pseudonym, so the re-labelled alerts cannot be tied back to the id through it.
  s.append_audit({{at, actor, "personal-data-erased", "", "resident:" + resident_id,
                   fmt::format("registry row, {} away record(s), {} rule-state row(s){} erased; "
                               "{} alert(s) re-labelled",
                               out.aways, out.state_rows,
                               out.household_readings_erased
                                   ? fmt::format(", {} household reading(s)", out.readings)
                                   : std::string(),
                               out.alerts),
                   "cli"}});
  tx.commit();
  return out;
}

}  // namespace hearth::store
