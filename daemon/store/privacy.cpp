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
  auto st = c.prepare("SELECT id, body FROM alerts WHERE instr(body, ?1) > 0 ORDER BY id");
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
    throw store_error(SQLITE_ERROR, "no random bytes from OpenSSL for a pseudonym");
  std::string out = "erased-";
  for (auto x : b)
    out += fmt::format("{:02x}", x);
  return out;
}

std::int64_t device_key(connection& c, const std::string& device_id) {
  auto st = c.prepare("SELECT key FROM device_keys WHERE device_id = ?1");
  st.bind(1, device_id);
  return st.step() ? st.int64(0) : -1;
}

/// Rows of one device, hour by hour (the key is (bucket, device, ts, metric)).
constexpr const char* k_device_rows =
    "WITH RECURSIVE b(x) AS (SELECT (SELECT MIN(bucket) FROM readings) UNION ALL SELECT x + 1 "
    "FROM b WHERE x < (SELECT MAX(bucket) FROM readings)) ";

}  // namespace

std::optional<json::object> export_resident(connection& c, const std::string& resident_id,
                                            const std::string& actor, time_point at, bool full) {
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
    const auto key = device_key(c, id);
    json::array readings;
    if (key >= 0 && full) {
      auto rs = c.prepare(std::string(k_device_rows) +
                          "SELECT r.metric, r.value, r.ts FROM b CROSS JOIN readings r ON "
                          "r.bucket = b.x AND r.device = ?1 ORDER BY b.x, r.ts, r.metric");
      rs.bind(1, key);
      while (rs.step()) {
        const auto m = static_cast<std::size_t>(rs.int64(0));
        if (m >= k_metrics.size()) continue;
        readings.push_back(json::object{
            {"metric", k_metrics[m].name}, {"value", rs.real(1)}, {"ts", when(rs.int64(2))}});
      }
    } else if (key >= 0) {
      auto rs = c.prepare(std::string(k_device_rows) +
                          "SELECT r.metric, COUNT(*), MIN(r.ts), MAX(r.ts), MIN(r.value), "
                          "MAX(r.value) FROM b CROSS JOIN readings r ON r.bucket = b.x AND "
                          "r.device = ?1 GROUP BY r.metric ORDER BY r.metric");
      rs.bind(1, key);
      while (rs.step()) {
        const auto m = static_cast<std::size_t>(rs.int64(0));
        if (m >= k_metrics.size()) continue;
        readings.push_back(json::object{{"metric", k_metrics[m].name},
                                        {"count", rs.int64(1)},
                                        {"first", when(rs.int64(2))},
                                        {"last", when(rs.int64(3))},
                                        {"min", rs.real(4)},
                                        {"max", rs.real(5)}});
      }
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
        "SELECT seq, at, actor, action, alert_id, subject, note, channel FROM audit ORDER BY seq");
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
  append_audit(c, {{at, actor, "personal-data-exported", "", "resident:" + resident_id,
                    full ? "full readings" : "readings summary", "cli"}});
  tx.commit();
  return out;
}

std::optional<erasure> erase_resident(connection& c, const std::string& resident_id,
                                      const std::string& actor, time_point at) {
  transaction tx(c);
  auto p = find_resident(c, resident_id);
  if (!p) return std::nullopt;
  auto named = alerts_naming(c, resident_id);
  for (const auto& [id, body] : named) {
    const auto* st = body.if_contains("state");
    if (st && st->is_string() && st->as_string() != "resolved")
      throw store_error(SQLITE_CONSTRAINT,
                        fmt::format("alert {} about {} is still {}; resolve it first", id,
                                    resident_id, std::string_view(st->as_string())));
  }
  erasure out;
  out.pseudonym = random_pseudonym();
  auto del_resident = c.prepare("DELETE FROM residents WHERE resident_id = ?1");
  del_resident.bind(1, resident_id).run();
  auto del_away = c.prepare("DELETE FROM aways WHERE resident_id = ?1");
  del_away.bind(1, resident_id).run();
  out.aways = sqlite3_changes(c.raw());
  auto del_state = c.prepare("DELETE FROM engine_state WHERE key = ?1");
  del_state.bind(1, "a|" + resident_id).run();
  out.state_rows += sqlite3_changes(c.raw());

  auto upd = c.prepare("UPDATE alerts SET body = ?2 WHERE id = ?1");
  for (auto& [id, body] : named) {
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
    auto del_rows = c.prepare(
        std::string(k_device_rows) +
        "DELETE FROM readings WHERE (bucket, device, ts, metric) IN (SELECT r.bucket, r.device, "
        "r.ts, r.metric FROM b CROSS JOIN readings r ON r.bucket = b.x AND r.device = ?1)");
    auto del_keyed = c.prepare(
        "DELETE FROM engine_state WHERE key = 'd|' || ?1 OR (key LIKE 'i|%' AND (key LIKE '%|' "
        "|| ?1 OR key LIKE '%|' || ?1 || '|%'))");
    for (const auto& dev : household_devices(c, p->household_id)) {
      if (const auto key = device_key(c, dev); key >= 0) {
        del_rows.bind(1, key).run();
        out.readings += sqlite3_changes(c.raw());
      }
      del_keyed.bind(1, dev).run();
      out.state_rows += sqlite3_changes(c.raw());
    }
    del_keyed.bind(1, p->household_id).run();
    out.state_rows += sqlite3_changes(c.raw());
  }
  // The trail says that an erasure happened and what it covered; it does not record the
  // pseudonym, so the re-labelled alerts cannot be tied back to the id through it.
  append_audit(c, {{at, actor, "personal-data-erased", "", "resident:" + resident_id,
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
