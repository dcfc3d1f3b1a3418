// SPDX-License-Identifier: Apache-2.0
#include "api/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "store/audit.hpp"

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

constexpr std::size_t k_max_body = 16 * 1024;
constexpr std::size_t k_max_actor = 64;

int status_of(const error& e) {
  if (e.code == "not-found") return 404;
  if (e.code == "conflict") return 409;
  if (e.code == "too-large") return 413;
  return 400;
}

response error_response(const error& e) {
  return json_error(status_of(e), e.code, e.message);
}

/// The alert as the API shows it: the published JSON plus its escalation state.
json::object alert_view(const alerts::alert& a) {
  auto o = alerts::to_json(a).as_object();
  o["lifecycle"] = alerts::lifecycle_json(a);
  return o;
}

/// A strictly validated JSON body: an object whose keys are all in `allowed`, each a
/// string. An empty body reads as {} (for actions whose fields are all optional).
result<std::map<std::string, std::string>> parse_body(
    const request& r, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required) {
  return parse_json_body(r.body, allowed, required);
}
}  // namespace

result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required) {
  if (body.size() > k_max_body)
    return make_error("too-large", fmt::format("the body is larger than {} bytes", k_max_body));
  std::map<std::string, std::string> out;
  if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error("bad-request", "the body must be a JSON object");
    for (const auto& [k, x] : v.as_object()) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
        return make_error("bad-request",
                          fmt::format("unknown key '{}'", std::string_view(k).substr(0, 40)));
      if (!x.is_string())
        return make_error("bad-request", fmt::format("'{}' must be a string", std::string_view(k)));
      out[std::string(k)] = std::string(x.get_string());
    }
  }
  for (auto k : required)
    if (!out.count(std::string(k)))
      return make_error("bad-request", fmt::format("'{}' is required", k));
  return out;
}

namespace {

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

/// A building is known from buildings.csv, or from any household or device in it.
bool building_known(const registry::registry& reg, const std::string& b) {
  if (reg.find_building(b)) return true;
  const auto& t = reg.all();
  return std::any_of(t.households.begin(), t.households.end(),
                     [&](const auto& h) { return h.building == b; }) ||
         std::any_of(t.devices.begin(), t.devices.end(),
                     [&](const auto& d) { return d.building == b; });
}

json::object silence_json(const alerts::silence& s) {
  json::object o, scope;
  scope[alerts::scope_name(s.kind)] = s.target;
  o["id"] = s.id;
  o["scope"] = std::move(scope);
  o["created_at"] = format_rfc3339(s.created_at);
  o["until"] = format_rfc3339(s.until);
  o["reason"] = s.reason;
  o["author"] = s.author;
  return o;
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
  if (rest.starts_with("alerts/") && r.method == "POST") {
    const auto tail = rest.substr(7);
    const auto slash = tail.find('/');
    if (slash == std::string_view::npos) return json_error(405, "method-not-allowed", "use GET");
    return alert_action(std::string(tail.substr(0, slash)), tail.substr(slash + 1), r);
  }
  if (rest == "silences") {
    if (r.method == "POST") return silence_create(r);
    if (r.method == "GET") return silences_list();
    return json_error(405, "method-not-allowed", "use GET or POST");
  }
  if (rest.starts_with("silences/")) {
    if (r.method != "DELETE") return json_error(405, "method-not-allowed", "use DELETE");
    return silence_delete(std::string(rest.substr(9)), r);
  }
  if (rest.starts_with("residents/") && rest.ends_with("/away")) {
    if (r.method != "POST") return json_error(405, "method-not-allowed", "use POST");
    return resident_away(std::string(rest.substr(10, rest.size() - 10 - 5)), r);
  }
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
    arr.push_back(alert_view(a));
  json::object o;
  o["alerts"] = std::move(arr);
  return json_ok(o);
}

response routes::alert_one(const std::string& id) {
  std::optional<alerts::alert> a;
  if (const auto* known = book_.find(id))
    a = *known;
  else
    a = store::load_alert(store_.db(), id);
  if (!a) return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
  auto v = alert_view(*a);
  v["timeline"] = store::timeline_json(store::audit_for_alert(store_.db(), a->id));
  return json_ok(v);
}

result<std::string> routes::actor_of(const request& r) const {
  auto it = r.headers.find("x-hearth-actor");
  if (it == r.headers.end() || it->second.empty()) return std::string("anonymous");
  const auto& v = it->second;
  const bool ok = v.size() <= k_max_actor && std::all_of(v.begin(), v.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                           c == '.' || c == '@';
                  });
  if (!ok)
    return make_error("bad-request",
                      "X-Hearth-Actor must be 1-64 letters, digits, '-', '_', '.', '@'");
  return v;
}

void routes::audit_read(const std::string& actor, const std::string& resident_id,
                        const std::string& channel) {
  book_.journal(
      {book_.now(), actor, "read-personal-data", "", "resident:" + resident_id, "", channel});
  pipeline_.record({});
}

void routes::recall(const std::string& id) {
  if (book_.find(id)) return;
  if (auto a = store::load_alert(store_.db(), id); a && a->state == alerts::state::resolved)
    book_.remember(*a);
}

response routes::alert_action(const std::string& id, std::string_view action, const request& r) {
  auto actor = actor_of(r);
  if (!actor) return error_response(actor.err());
  recall(id);
  const std::string channel = "api";
  result<std::vector<alerts::transition>> done = std::vector<alerts::transition>{};
  if (action == "claim" || action == "escalate") {
    auto body = parse_body(r, {"note"}, {});
    if (!body) return error_response(body.err());
    done = action == "claim" ? book_.claim(id, *actor, get(*body, "note"), channel)
                             : book_.escalate(id, *actor, get(*body, "note"), channel);
  } else if (action == "notes") {
    auto body = parse_body(r, {"text"}, {"text"});
    if (!body) return error_response(body.err());
    if (auto st = book_.add_note(id, *actor, get(*body, "text"), channel); !st)
      return error_response(st.err());
  } else if (action == "resolve") {
    auto body = parse_body(r, {"outcome", "note"}, {"outcome"});
    if (!body) return error_response(body.err());
    done = book_.resolve(id, get(*body, "outcome"), *actor, get(*body, "note"), channel);
  } else {
    return json_error(404, "not-found", "no such action; use claim, notes, escalate or resolve");
  }
  if (!done) return error_response(done.err());
  pipeline_.record(*done);
  return alert_one(id);
}

response routes::silences_list() {
  json::array arr;
  for (const auto& s : book_.silences())
    arr.push_back(silence_json(s));
  json::object o;
  o["silences"] = std::move(arr);
  return json_ok(o);
}

response routes::silence_create(const request& r) {
  auto actor = actor_of(r);
  if (!actor) return error_response(actor.err());
  if (r.body.size() > k_max_body) return json_error(413, "too-large", "the body is too large");
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return json_error(400, "bad-request", "the body must be a JSON object");
  alerts::silence s;
  s.author = *actor;
  bool have_scope = false, have_until = false, have_reason = false;
  for (const auto& [k, x] : v.as_object()) {
    if (k == "scope") {
      if (!x.is_object() || x.as_object().size() != 1)
        return json_error(400, "bad-request",
                          "'scope' must have exactly one of device_id, household_id, building");
      const auto& [sk, sv] = *x.as_object().begin();
      if (!sv.is_string() || sv.get_string().empty())
        return json_error(400, "bad-request", "the scope value must be a non-empty string");
      if (sk == "device_id")
        s.kind = alerts::silence::scope::device;
      else if (sk == "household_id")
        s.kind = alerts::silence::scope::household;
      else if (sk == "building")
        s.kind = alerts::silence::scope::building;
      else
        return json_error(400, "bad-request",
                          "'scope' must have exactly one of device_id, household_id, building");
      s.target = std::string(sv.get_string());
      have_scope = true;
    } else if (k == "until") {
      auto t = x.is_string() ? parse_rfc3339(x.get_string()) : std::nullopt;
      if (!t) return json_error(400, "bad-request", "'until' must be an RFC 3339 time");
      s.until = *t;
      have_until = true;
    } else if (k == "reason") {
      if (!x.is_string()) return json_error(400, "bad-request", "'reason' must be a string");
      s.reason = std::string(x.get_string());
      have_reason = true;
    } else {
      return json_error(400, "bad-request",
                        fmt::format("unknown key '{}'", std::string_view(k).substr(0, 40)));
    }
  }
  if (!have_scope || !have_until || !have_reason)
    return json_error(400, "bad-request", "'scope', 'until' and 'reason' are required");
  const auto& reg = pipeline_.devices();
  const bool known = s.kind == alerts::silence::scope::device ? reg.find_device(s.target) != nullptr
                     : s.kind == alerts::silence::scope::household
                         ? reg.find_household(s.target) != nullptr
                         : building_known(reg, s.target);
  if (!known)
    return json_error(
        404, "not-found",
        fmt::format("no {} '{}'", alerts::scope_name(s.kind), s.target.substr(0, 40)));
  auto made = book_.add_silence(std::move(s), "api");
  if (!made) return error_response(made.err());
  store::save_silence(store_.db(), *made);
  pipeline_.record({});
  auto res = json_ok(silence_json(*made));
  res.status = 201;
  return res;
}

response routes::silence_delete(const std::string& id, const request& r) {
  auto actor = actor_of(r);
  if (!actor) return error_response(actor.err());
  if (auto st = book_.remove_silence(id, *actor, "api"); !st) return error_response(st.err());
  store::delete_silence(store_.db(), id, *actor, book_.now());
  pipeline_.record({});
  return {204, "application/json", "", {}};
}

response routes::resident_away(const std::string& id, const request& r) {
  auto actor = actor_of(r);
  if (!actor) return error_response(actor.err());
  if (!pipeline_.devices().find_resident(id))
    return json_error(404, "not-found", "no such resident");
  auto body = parse_body(r, {"until", "reason"}, {"until", "reason"});
  if (!body) return error_response(body.err());
  auto until = parse_rfc3339(get(*body, "until"));
  if (!until) return json_error(400, "bad-request", "'until' must be an RFC 3339 time");
  auto set = book_.set_away({id, {}, *until, get(*body, "reason"), *actor}, "api");
  if (!set) return error_response(set.err());
  store::save_away(store_.db(), *set);
  pipeline_.set_away(*set);
  pipeline_.record({});
  json::object o;
  o["resident_id"] = set->resident_id;
  o["since"] = format_rfc3339(set->since);
  o["until"] = format_rfc3339(set->until);
  o["reason"] = set->reason;
  o["author"] = set->author;
  return json_ok(o);
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
