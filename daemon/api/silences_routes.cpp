// SPDX-License-Identifier: Apache-2.0
// Maintenance windows (silences) and "resident away": the two ways to keep alerts that are
// expected from reaching the queue. Neither ever mutes priority 1 (the book refuses).
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "api/reply.hpp"
#include "api/resources.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

/// A building is known from buildings.csv, or from any household or device in it.
bool building_known(const registry::registry& reg, const std::string& b) {
  if (reg.find_building(b)) return true;
  const auto& t = reg.all();
  return std::any_of(t.households.begin(), t.households.end(),
                     [&](const auto& h) { return h.building == b; }) ||
         std::any_of(t.devices.begin(), t.devices.end(),
                     [&](const auto& d) { return d.building == b; });
}

response silences_list(context& c) {
  json::array arr;
  for (const auto& s : c.book.silences())
    arr.push_back(silence_json(s));
  json::object o;
  o["silences"] = std::move(arr);
  return json_ok(o);
}

response silence_create(context& c, const request& r, const auth::principal& who) {
  if (r.body.size() > k_max_body) return json_error(413, "too-large", "the body is too large");
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return json_error(400, "bad-request", "the body must be a JSON object");
  alerts::silence s;
  s.author = who.user;
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
  const auto& reg = c.pipeline.devices();
  const bool known = s.kind == alerts::silence::scope::device ? reg.find_device(s.target) != nullptr
                     : s.kind == alerts::silence::scope::household
                         ? reg.find_household(s.target) != nullptr
                         : building_known(reg, s.target);
  if (!known)
    return json_error(
        404, "not-found",
        fmt::format("no {} '{}'", alerts::scope_name(s.kind), s.target.substr(0, 40)));
  auto made = c.book.add_silence(std::move(s), "api");
  if (!made) return error_response(made.err());
  c.store.save_silence(*made);
  c.pipeline.record({});
  auto res = json_ok(silence_json(*made));
  res.status = 201;
  return res;
}

response silence_delete(context& c, const std::string& id, const auth::principal& who) {
  auto released = c.book.remove_silence(id, who.user, "api");
  if (!released) return error_response(released.err());
  c.store.delete_silence(id, who.user, c.book.now());
  c.pipeline.record(*released);  // conditions that began during it and still hold alert now
  return no_content();
}

response resident_away(context& c, const std::string& id, const request& r,
                       const auth::principal& who) {
  const auto* res = c.pipeline.devices().find_resident(id);
  if (!res || !auth::resident_in_scope(who, *res))
    return json_error(404, "not-found", "no such resident");
  auto body = parse_json_body(r.body, {"until", "reason"}, {"until", "reason"});
  if (!body) return error_response(body.err());
  auto until = parse_rfc3339(get(*body, "until"));
  if (!until) return json_error(400, "bad-request", "'until' must be an RFC 3339 time");
  auto set = c.book.set_away({id, {}, *until, get(*body, "reason"), who.user}, "api");
  if (!set) return error_response(set.err());
  c.store.save_away(*set);
  c.pipeline.set_away(*set);
  c.pipeline.record({});
  json::object o;
  o["resident_id"] = set->resident_id;
  o["since"] = format_rfc3339(set->since);
  o["until"] = format_rfc3339(set->until);
  o["reason"] = set->reason;
  o["author"] = set->author;
  return json_ok(o);
}

response resident_away_end(context& c, const std::string& id, const auth::principal& who) {
  const auto* res = c.pipeline.devices().find_resident(id);
  if (!res || !auth::resident_in_scope(who, *res))
    return json_error(404, "not-found", "no such resident");
  auto ended = c.book.end_away(id, who.user, "api");
  if (!ended) return error_response(ended.err());
  c.store.save_away(*ended);  // kept with `until` now, so a restart does not restore it
  c.pipeline.end_away(*ended);
  c.pipeline.record({});
  return no_content();
}

}  // namespace

std::vector<route> silence_routes(context& c) {
  using enum auth::permission;
  return {
      {"GET", "silences", read_silences, "see silences",
       [&c](const call&) { return silences_list(c); }},
      {"POST", "silences", manage_silences, "create silences",
       [&c](const call& k) { return silence_create(c, k.req, k.who); }},
      {"DELETE", "silences/{}", manage_silences, "end silences",
       [&c](const call& k) { return silence_delete(c, k.arg(), k.who); }},
      {"POST", "residents/{}/away", set_away, "set a resident away",
       [&c](const call& k) { return resident_away(c, k.arg(), k.req, k.who); }},
      {"DELETE", "residents/{}/away", set_away, "end a resident's away",
       [&c](const call& k) { return resident_away_end(c, k.arg(), k.who); }},
  };
}

}  // namespace hearth::api
