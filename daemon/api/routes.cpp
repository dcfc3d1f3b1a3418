// SPDX-License-Identifier: Apache-2.0
#include "api/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "app/pipeline.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

response json_error(int status, std::string_view code, std::string_view message) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  return {status, "application/json", json::serialize(o), {}};
}

namespace {
response json_ok(const json::value& v) {
  return {200, "application/json", json::serialize(v), {}};
}
}  // namespace

routes::routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
               std::function<health()> health_probe)
    : book_(book), store_(st), telemetry_(tel), pipeline_(p), health_(std::move(health_probe)) {}

response routes::handle(const request& r) {
  const auto& p = r.path;
  if (p == "/healthz") {
    if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
    const auto h = health_();
    json::object o;
    const bool ok = h.store_ok;  // a broker outage degrades, it does not make hearthd unhealthy
    o["status"] = ok ? (h.mqtt_connected ? "ok" : "degraded") : "failing";
    o["mqtt_connected"] = h.mqtt_connected;
    o["store_ok"] = h.store_ok;
    if (!h.detail.empty()) o["detail"] = h.detail;
    auto res = json_ok(o);
    if (!ok) res.status = 503;
    return res;
  }
  if (p == "/metrics") {
    if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
    return {200, "text/plain; version=0.0.4", telemetry_.render(), {}};
  }
  if (!p.starts_with("/api/v1/")) return json_error(404, "not-found", "no such resource");
  const std::string_view rest = std::string_view(p).substr(8);
  if (r.method != "GET")
    return json_error(405, "method-not-allowed", "this resource is read-only here");
  if (rest == "alerts") return alerts_list(r);
  if (rest.starts_with("alerts/")) return alert_one(std::string(rest.substr(7)));
  if (rest == "devices/unknown") return unknown_devices();
  if (rest == "devices") return devices();
  if (rest.starts_with("devices/") && rest.ends_with("/readings")) {
    const auto id = rest.substr(8, rest.size() - 8 - 9);
    return device_readings(std::string(id), r);
  }
  return json_error(404, "not-found", "no such resource");
}

response routes::alerts_list(const request& r) {
  alerts::queue_filter f;
  if (auto it = r.query.find("state"); it != r.query.end() && !it->second.empty()) {
    f.state = alerts::state_from_name(it->second);
    if (!f.state)
      return json_error(400, "bad-request", "state must be open, acknowledged or resolved");
  }
  if (auto it = r.query.find("priority"); it != r.query.end() && !it->second.empty()) {
    int pr = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), pr);
    if (ec != std::errc{} || ptr != it->second.data() + it->second.size() || pr < 1 || pr > 4)
      return json_error(400, "bad-request", "priority must be 1 to 4");
    f.priority = pr;
  }
  if (auto it = r.query.find("building"); it != r.query.end() && !it->second.empty())
    f.building = it->second;
  std::vector<alerts::alert> list;
  if (f.state == alerts::state::resolved) {
    for (auto& a : store_.load_alerts(alerts::state::resolved))
      if ((!f.priority || a.priority == *f.priority) &&
          (!f.building || a.subject.building == *f.building))
        list.push_back(std::move(a));
  } else {
    list = book_.queue(f);
  }
  json::array arr;
  for (const auto& a : list)
    arr.push_back(alerts::to_json(a));
  json::object o;
  o["alerts"] = std::move(arr);
  return json_ok(o);
}

response routes::alert_one(const std::string& id) {
  if (const auto* a = book_.find(id)) {
    auto v = alerts::to_json(*a);
    v.as_object()["timeline"] = json::array{};
    return json_ok(v);
  }
  for (const auto& a : store_.load_alerts(std::nullopt, 100000))
    if (a.id == id) {
      auto v = alerts::to_json(a);
      v.as_object()["timeline"] = json::array{};
      return json_ok(v);
    }
  return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
}

response routes::unknown_devices() {
  json::array arr;
  for (const auto& u : store_.unknown_devices()) {
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

response routes::devices() {
  json::array arr;
  for (const auto& d : pipeline_.devices().all().devices) {
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

response routes::device_readings(const std::string& id, const request& r) {
  if (!pipeline_.devices().find_device(id)) return json_error(404, "not-found", "no such device");
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
  for (const auto& rd : store_.readings(id, since, until)) {
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

}  // namespace hearth::api
