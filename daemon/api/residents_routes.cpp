// SPDX-License-Identifier: Apache-2.0
// Residents and households: personal data, scoped to a social worker's caseload (outside
// it they answer 404), every resident shown an audited read.
#include <algorithm>
#include <boost/json.hpp>

#include "api/messages.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"

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

response residents_list(context& c, const auth::principal& who) {
  const auto& reg = c.pipeline.devices();
  const auto aways = c.book.aways();
  const auto now = c.book.now();
  json::array arr;
  std::vector<std::string> shown;
  for (const auto& r : reg.all().residents) {
    if (!auth::resident_in_scope(who, r)) continue;
    arr.push_back(resident_json(r, reg, away_of(aways, r.id, now)));
    shown.emplace_back(r.id);
  }
  c.audit_reads(who.user, shown);
  json::object o;
  o["residents"] = std::move(arr);
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
      x["device_id"] = d.id;
      x["type"] = d.type;
      x["location"] = d.location;
      devs.push_back(std::move(x));
    }
  o["devices"] = std::move(devs);
  o["recent_alerts"] = recent_alerts(c.store, {}, id, locale);
  c.audit_reads(who.user, shown);
  return json_ok(o);
}

}  // namespace

std::vector<route> resident_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view personal = "see residents' personal data";
  return {
      {"GET", "residents", list_residents, "list residents",
       [&c](const call& k) { return residents_list(c, k.who); }},
      {"GET", "residents/{}", read_personal_data, personal,
       [&c](const call& k) {
         return resident_one(c, k.arg(), k.who, caller_locale(k.req, c.locale));
       }},
      {"GET", "households/{}", read_personal_data, personal,
       [&c](const call& k) {
         return household_one(c, k.arg(), k.who, caller_locale(k.req, c.locale));
       }},
  };
}

}  // namespace hearth::api
