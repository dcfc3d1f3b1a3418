// SPDX-License-Identifier: Apache-2.0
// Residents and households: personal data, scoped to a social worker's caseload (outside
// it they answer 404), every resident shown an audited read.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "api/activity.hpp"
#include "api/messages.hpp"
#include "api/page.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "registry/search.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

/// The newest alerts (any state) about a resident or a household, newest first.
json::array recent_alerts(store::store& st, const std::string& resident_id,
                          const std::string& household_id, std::string_view locale,
                          std::size_t limit = 20) {
  json::array out;
  for (const auto& a : st.alerts_about(resident_id, household_id, limit))
    out.push_back(alert_brief(a, locale));
  return out;
}

response residents_list(context& c, const request& q, const auth::principal& who) {
  if (auto bad = check_query(q, {"limit", "cursor"})) return *bad;
  auto pg = read_page(q, 1);
  if (!pg) return error_response(pg.err());
  const auto& reg = c.pipeline.devices();
  const auto aways = c.book.aways();
  const auto now = c.book.now();
  // By resident id (the registry is loaded in that order); the caseload first, then the page.
  std::vector<registry::resident> mine;
  for (const auto& r : reg.all().residents)
    if (auth::resident_in_scope(who, r)) mine.push_back(r);
  const auto page = take_page<registry::resident>(
      mine, *pg, [](const registry::resident& r, const auto& key) { return r.id > key[0]; },
      [](const registry::resident& r) { return std::vector<std::string>{std::string(r.id)}; });
  json::array arr;
  std::vector<std::string> shown;
  for (const auto* r : page.items) {
    arr.push_back(resident_json(*r, reg, away_of(aways, r->id, now)));
    shown.emplace_back(r->id);
  }
  c.audit_reads(who.user, shown);
  json::object o;
  o["residents"] = std::move(arr);
  set_next_cursor(o, page.next);
  return json_ok(o);
}

response resident_one(context& c, const std::string& id, const auth::principal& who,
                      std::string_view locale) {
  const auto& reg = c.pipeline.devices();
  const auto* r = reg.find_resident(id);
  if (!r || !auth::resident_in_scope(who, *r))
    return json_error(404, "not-found", "no such resident");
  const auto aways = c.book.aways();
  auto o = resident_json(*r, reg, away_of(aways, r->id, c.book.now()));
  o["recent_alerts"] = recent_alerts(c.store, std::string(r->id), {}, locale);
  c.audit_reads(who.user, {std::string(r->id)});
  return json_ok(o);
}

response household_one(context& c, const std::string& id, const auth::principal& who,
                       std::string_view locale) {
  const auto& reg = c.pipeline.devices();
  const auto* h = reg.find_household(id);
  if (!h || !auth::household_in_scope(who, reg, id))
    return json_error(404, "not-found", "no such household");
  const auto aways = c.book.aways();
  const auto now = c.book.now();
  auto o = household_json(*h);
  json::array residents;
  std::vector<std::string> shown;
  for (const auto* r : reg.residents_of(id)) {
    if (!auth::resident_in_scope(who, *r)) continue;
    residents.push_back(resident_json(*r, reg, away_of(aways, r->id, now)));
    shown.emplace_back(r->id);
  }
  o["residents"] = std::move(residents);
  json::array devs;
  for (const auto& d : reg.all().devices)
    if (d.household_id == id) {
      json::object x;
      x["device_id"] = d.id.view();
      x["type"] = d.type.view();
      x["location"] = d.location.view();
      devs.push_back(std::move(x));
    }
  o["devices"] = std::move(devs);
  o["recent_alerts"] = recent_alerts(c.store, {}, id, locale);
  c.audit_reads(who.user, shown);
  return json_ok(o);
}

/// An integer query parameter within [lo, hi], or `fallback` when absent.
result<long long> int_param(const request& r, const std::string& key, long long lo, long long hi,
                            long long fallback) {
  auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return fallback;
  long long v = 0;
  const auto& t = it->second;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size() || v < lo || v > hi)
    return make_error("bad-request", fmt::format("{} must be {} to {}", key, lo, hi));
  return v;
}

constexpr std::size_t k_max_query = 100;

response search(context& c, const call& k) {
  const auto& r = k.req;
  if (auto bad = check_query(r, {"q", "limit"})) return *bad;
  auto q = r.query.find("q");
  if (q == r.query.end() || q->second.empty())
    return json_error(400, "bad-request", "give what to look for in 'q'");
  if (q->second.size() > k_max_query)
    return json_error(400, "bad-request", fmt::format("'q' is at most {} bytes", k_max_query));
  auto limit = int_param(r, "limit", 1, 100, 20);
  if (!limit) return error_response(limit.err());
  const auto& reg = c.pipeline.devices();
  const auto found = registry::search(
      reg, q->second,
      [&](const registry::resident& x) { return auth::resident_in_scope(k.who, x); },
      static_cast<std::size_t>(*limit));
  // Whether someone found has an alert waiting: the first thing an operator asks.
  std::map<std::string_view, json::array> open;
  const auto locale = caller_locale(r, c.locale);
  const auto queue = c.book.queue();
  for (const auto& a : queue)
    for (const auto& rid : a.subject.resident_ids)
      open[rid].push_back(alert_brief(a, locale));
  const auto aways = c.book.aways();
  const auto now = c.book.now();
  json::array arr;
  std::vector<std::string> shown;
  for (const auto& hit : found.hits) {
    auto o = resident_json(*hit.who, reg, away_of(aways, hit.who->id, now));
    o["matched"] = registry::match_field_name(hit.field);
    auto it = open.find(hit.who->id);
    o["open_alerts"] = it == open.end() ? json::array{} : it->second;
    arr.push_back(std::move(o));
    shown.emplace_back(hit.who->id);
  }
  c.audit_reads(k.who.user, shown);
  json::object o;
  o["query"] = q->second;
  o["results"] = std::move(arr);
  o["truncated"] = found.truncated;
  return in_language(json_ok(o), locale);
}

/// The learned spells that overlap [from, end), each with the device it was learned from
/// (none: the household's, from all its sensors).
void add_spells(json::array& out, const std::vector<engine::engine::learned_spell>& learned,
                std::string_view device_id, time_point from, time_point end) {
  for (const auto& sp : learned) {
    if (sp.start + sp.length <= from || sp.start >= end) continue;
    json::object o;
    o["rule"] = sp.rule;
    if (!device_id.empty()) o["device_id"] = device_id;
    o["start"] = format_rfc3339(sp.start);
    o["end"] = format_rfc3339(sp.start + sp.length);
    out.push_back(std::move(o));
  }
}

/// A household's days as hourly figures, with what the rules learned and the alerts, for
/// the resident page's charts and a welfare alert's last 48 h.
response household_activity(context& c, const std::string& id, const call& k) {
  const auto& r = k.req;
  if (auto bad = check_query(r, {"days", "hours", "until"})) return *bad;
  const auto& reg = c.pipeline.devices();
  if (!reg.find_household(id) || !auth::household_in_scope(k.who, reg, id))
    return json_error(404, "not-found", "no such household");
  if (r.query.contains("days") && r.query.contains("hours"))
    return json_error(400, "bad-request", "give days or hours, not both");
  auto days = int_param(r, "days", 1, 31, 7);
  if (!days) return error_response(days.err());
  auto hours = int_param(r, "hours", 1, 31 * 24, *days * 24);
  if (!hours) return error_response(hours.err());
  auto until = c.book.now();
  if (auto it = r.query.find("until"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "until must be an RFC 3339 time");
    until = *t;
  }
  // Whole hours, ending with the hour that holds `until`.
  const auto end = std::chrono::ceil<std::chrono::hours>(until + duration{1});
  const auto from = end - std::chrono::hours(*hours);
  const auto n = static_cast<std::size_t>(*hours);
  const auto metrics = activity_metrics();
  json::array series, spells;
  for (const auto& d : reg.all().devices) {
    if (d.household_id != id) continue;
    const auto* type = c.pipeline.types().find(d.type);
    // One step before the window gives the first hour's use (an hourly meter, a 30-minute
    // plug): readings from six hours earlier.
    const auto readings =
        c.store.readings(std::string(d.id), from - std::chrono::hours(6), end, 200'000);
    for (const auto m : metrics) {
      if (std::none_of(readings.begin(), readings.end(),
                       [&](const auto& x) { return x.metric == m; }))
        continue;
      json::array values;
      for (const auto& v :
           hourly(m, readings, from, n,
                  type && m == metric::water_total_l ? type->counter_wrap : std::nullopt))
        values.push_back(v ? json::value(std::round(*v * 1000) / 1000) : json::value(nullptr));
      json::object s;
      s["device_id"] = d.id.view();
      s["type"] = d.type.view();
      s["location"] = d.location.view();
      s["metric"] = name(m);
      s["kind"] = series_kind_name(kind_of(m));
      s["unit"] = info(m).unit;
      s["values"] = std::move(values);
      series.push_back(std::move(s));
    }
    add_spells(spells, c.pipeline.rules_engine().learned_spells(d.id), d.id, from, end);
  }
  // What the activity rules learned of the whole household (every sensor quiet at once).
  add_spells(spells, c.pipeline.rules_engine().learned_spells("@" + id), "", from, end);
  json::array alerts;
  const auto locale = caller_locale(r, c.locale);
  for (const auto& a : c.store.alerts_about({}, id, 200))
    if (a.opened_at >= from && a.opened_at < end) alerts.push_back(alert_brief(a, locale));
  std::vector<std::string> shown;
  for (const auto* x : reg.residents_of(id))
    if (auth::resident_in_scope(k.who, *x)) shown.emplace_back(x->id);
  // A household's daily pattern is personal data of the people who live there.
  c.audit_reads(k.who.user, shown);
  json::object o;
  o["household_id"] = id;
  o["from"] = format_rfc3339(from);
  o["to"] = format_rfc3339(end);
  o["hours"] = *hours;
  o["series"] = std::move(series);
  o["quiet_spells"] = std::move(spells);
  o["alerts"] = std::move(alerts);
  return in_language(json_ok(o), locale);
}

}  // namespace

std::vector<route> resident_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view personal = "see residents' personal data";
  return {
      {"GET", "residents", list_residents, "list residents",
       [&c](const call& k) { return residents_list(c, k.req, k.who); }},
      {"GET", "residents/{}", read_personal_data, personal,
       [&c](const call& k) {
         return resident_one(c, k.arg(), k.who, caller_locale(k.req, c.locale));
       }},
      {"GET", "households/{}", read_personal_data, personal,
       [&c](const call& k) {
         return household_one(c, k.arg(), k.who, caller_locale(k.req, c.locale));
       }},
      {"GET", "households/{}/activity", read_personal_data, personal,
       [&c](const call& k) { return household_activity(c, k.arg(), k); }},
      {"GET", "search", read_personal_data, "search residents",
       [&c](const call& k) { return search(c, k); }},
  };
}

}  // namespace hearth::api
