// SPDX-License-Identifier: Apache-2.0
#include "api/views.hpp"

#include <boost/json.hpp>

#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

json::object alert_view(const alerts::alert& a, const alerts::escalation_policy& policy,
                        std::string_view locale) {
  auto o = alerts::to_json(a, locale).as_object();
  auto life = alerts::lifecycle_json(a);
  life["claim_target_at"] = format_rfc3339(policy.claim_due(a.priority, a.opened_at));
  o["lifecycle"] = std::move(life);
  return o;
}

json::object alert_brief(const alerts::alert& a, std::string_view locale) {
  json::object o;
  o["id"] = a.id;
  o["rule"] = a.rule;
  o["priority"] = a.priority;
  o["state"] = alerts::state_name(a.state);
  auto it = a.texts.find(locale);
  o["title"] = it != a.texts.end() ? it->second.title : a.title;
  o["opened_at"] = format_rfc3339(a.opened_at);
  o["outcome"] = a.outcome.empty() ? json::value(nullptr) : json::value(a.outcome);
  return o;
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

namespace {

bool groups(std::string_view action) {
  return action == "repeated" || action == "urgency-raised" || action == "notified" ||
         action == "escalated";
}

std::string word_or(const i18n::context& w, const std::string& key, const std::string& fallback) {
  return w.words.has(key) ? std::string(w.words.get(w.locale, key)) : fallback;
}

/// "已通知值班员" / "operator tier notified" for a notification of one tier, else the
/// action's words.
std::string what(const alerts::audit_entry& e, const i18n::context& w) {
  if (e.action == "notified" && e.subject.starts_with("tier:")) {
    const auto tier = e.subject.substr(5);
    return i18n::render(w, {"timeline.tier_notified",
                            {{"tier", i18n::arg::of_text(word_or(w, "tier." + tier, tier))}}});
  }
  return word_or(w, "timeline.action." + e.action, e.action);
}

}  // namespace

json::array timeline_view(const std::vector<alerts::audit_entry>& rows, const i18n::context& w) {
  json::array out;
  const alerts::audit_entry* last = nullptr;
  for (const auto& e : rows) {
    if (last && groups(e.action) && e.action == last->action && e.subject == last->subject &&
        e.actor == last->actor && e.channel == last->channel && !out.empty()) {
      auto& g = out.back().as_object();
      g["count"] = g.at("count").to_number<std::int64_t>() + 1;
      g["last_at"] = format_rfc3339(e.at);
      g["note"] = e.note.empty() ? json::value(nullptr) : json::value(e.note);  // the newest
      g["words"].as_object()["last_when"] = i18n::format_time(w, e.at);
      last = &e;
      continue;
    }
    json::object o;
    o["at"] = format_rfc3339(e.at);
    o["actor"] = e.actor;
    o["action"] = e.action;
    o["note"] = e.note.empty() ? json::value(nullptr) : json::value(e.note);
    o["channel"] = e.channel;
    o["count"] = 1;
    json::object words;
    words["when"] = i18n::format_time(w, e.at);
    words["who"] = word_or(w, "timeline.actor." + e.actor, e.actor);
    words["what"] = what(e, w);
    words["how"] = word_or(w, "timeline.channel." + e.channel, e.channel);
    o["words"] = std::move(words);
    out.push_back(std::move(o));
    last = &e;
  }
  return out;
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
  o["household_id"] = h.id.view();
  o["building"] = h.building.view();
  o["unit"] = h.unit.view();
  o["address"] = h.address.view();
  return o;
}

json::object resident_json(const registry::resident& r, const registry::registry& reg,
                           const alerts::away* away) {
  json::object o;
  o["resident_id"] = r.id.view();
  o["name"] = r.name.view();
  o["birth_year"] = r.birth_year;
  o["lives_alone"] = r.lives_alone;
  o["phone"] = r.phone.view();
  json::array contacts;
  if (!r.emergency_contact.empty() || !r.emergency_phone.empty()) {
    json::object c;
    c["name"] = r.emergency_contact.view();
    c["phone"] = r.emergency_phone.view();
    contacts.push_back(std::move(c));
  }
  o["emergency_contacts"] = std::move(contacts);
  o["social_worker"] = r.social_worker.view();
  o["household_id"] = r.household_id.view();
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
