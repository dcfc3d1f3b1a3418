// SPDX-License-Identifier: Apache-2.0
// Devices, their readings, unregistered senders and the quarantine: what an integrator
// checks while wiring a community.
#include <boost/json.hpp>
#include <charconv>

#include "api/reply.hpp"
#include "api/resources.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

response quarantine(context& c, const request& r) {
  if (auto bad = check_query(r, {"limit"})) return *bad;
  std::size_t limit = 100;
  if (auto it = r.query.find("limit"); it != r.query.end()) {
    const auto& v = it->second;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc{} || ptr != v.data() + v.size() || limit < 1 || limit > 1000)
      return json_error(400, "bad-request", "limit must be 1 to 1000");
  }
  json::array arr;
  for (const auto& q : c.store.quarantine(limit)) {
    json::object o;
    o["received_at"] = format_rfc3339(q.received_at);
    o["topic"] = q.topic;
    o["reason"] = q.reason;
    o["detail"] = q.detail;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["quarantine"] = std::move(arr);
  return json_ok(o);
}

response unknown_devices(context& c) {
  json::array arr;
  for (const auto& u : c.store.unknown_devices()) {
    json::object o;
    o["external_id"] = u.external_id;
    o["last_topic"] = u.last_topic;
    o["first_seen"] = format_rfc3339(u.first_seen);
    o["last_seen"] = format_rfc3339(u.last_seen);
    o["count"] = u.count;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["devices"] = std::move(arr);
  return json_ok(o);
}

response devices(context& c) {
  json::array arr;
  for (const auto& d : c.pipeline.devices().all().devices) {
    json::object o;
    o["device_id"] = d.id;
    o["external_id"] = d.external_id;
    o["type"] = d.type;
    o["household_id"] = d.household_id.empty() ? json::value(nullptr) : json::value(d.household_id);
    o["building"] = d.building;
    o["location"] = d.location;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["devices"] = std::move(arr);
  return json_ok(o);
}

response device_readings(context& c, const std::string& id, const request& r) {
  if (auto bad = check_query(r, {"since", "until"})) return *bad;
  if (!c.pipeline.devices().find_device(id)) return json_error(404, "not-found", "no such device");
  time_point since{}, until = time_point::max();
  if (auto it = r.query.find("since"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "since must be an RFC 3339 time");
    since = *t;
  }
  if (auto it = r.query.find("until"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "until must be an RFC 3339 time");
    until = *t;
  }
  json::array arr;
  for (const auto& rd : c.store.readings(id, since, until)) {
    json::object o;
    o["metric"] = name(rd.metric);
    if (info(rd.metric).boolean)
      o["value"] = rd.value != 0;
    else
      o["value"] = rd.value;
    o["unit"] = info(rd.metric).unit;
    o["ts"] = format_rfc3339(rd.ts);
    arr.push_back(std::move(o));
  }
  json::object o;
  o["device_id"] = id;
  o["readings"] = std::move(arr);
  return json_ok(o);
}

}  // namespace

std::vector<route> device_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view see = "see devices";
  return {
      {"GET", "devices", read_devices, see, [&c](const call&) { return devices(c); }},
      {"GET", "devices/unknown", read_devices, see,
       [&c](const call&) { return unknown_devices(c); }},
      {"GET", "devices/{}/readings", read_devices, see,
       [&c](const call& k) { return device_readings(c, k.arg(), k.req); }},
      {"GET", "quarantine", read_devices, see,
       [&c](const call& k) { return quarantine(c, k.req); }},
  };
}

}  // namespace hearth::api
