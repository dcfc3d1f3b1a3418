// SPDX-License-Identifier: Apache-2.0
#include "api/views.hpp"

#include <boost/json.hpp>

#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

json::object alert_view(const alerts::alert& a, const alerts::escalation_policy& policy) {
  auto o = alerts::to_json(a).as_object();
  auto life = alerts::lifecycle_json(a);
  life["claim_target_at"] = format_rfc3339(policy.claim_due(a.priority, a.opened_at));
  o["lifecycle"] = std::move(life);
  return o;
}

json::object alert_brief(const alerts::alert& a) {
  json::object o;
  o["id"] = a.id;
  o["rule"] = a.rule;
  o["priority"] = a.priority;
  o["state"] = alerts::state_name(a.state);
  o["title"] = a.title;
  o["opened_at"] = format_rfc3339(a.opened_at);
  o["outcome"] = a.outcome.empty() ? json::value(nullptr) : json::value(a.outcome);
  return o;
}

json::value away_json(const alerts::away* a) {
  if (!a) return nullptr;
  json::object o;
  o["since"] = format_rfc3339(a->since);
  o["until"] = format_rfc3339(a->until);
  o["reason"] = a->reason;
  o["author"] = a->author;
  return o;
}

json::object household_json(const registry::household& h) {
  json::object o;
  o["household_id"] = h.id;
  o["building"] = h.building;
  o["unit"] = h.unit;
  o["address"] = h.address;
  return o;
}

json::object resident_json(const registry::resident& r, const registry::registry& reg,
                           const alerts::away* away) {
  json::object o;
  o["resident_id"] = r.id;
  o["name"] = r.name;
  o["birth_year"] = r.birth_year;
  o["lives_alone"] = r.lives_alone;
  o["phone"] = r.phone;
  json::array contacts;
  if (!r.emergency_contact.empty() || !r.emergency_phone.empty()) {
    json::object c;
    c["name"] = r.emergency_contact;
    c["phone"] = r.emergency_phone;
    contacts.push_back(std::move(c));
  }
  o["emergency_contacts"] = std::move(contacts);
  o["social_worker"] = r.social_worker;
  o["household_id"] = r.household_id;
  if (const auto* h = reg.find_household(r.household_id))
    o["household"] = household_json(*h);
  else
    o["household"] = nullptr;
  o["away"] = away_json(away);
  return o;
}

const alerts::away* away_of(const std::vector<alerts::away>& aways, std::string_view id,
                            time_point now) {
  for (const auto& a : aways)
    if (a.resident_id == id && a.until > now) return &a;
  return nullptr;
}

}  // namespace hearth::api
