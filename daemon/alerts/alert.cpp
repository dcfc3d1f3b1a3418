// SPDX-License-Identifier: Apache-2.0
#include "alerts/alert.hpp"

#include <boost/json.hpp>

#include "base/time.hpp"

namespace hearth::alerts {
namespace json = boost::json;

std::string_view state_name(state s) {
  switch (s) {
    case state::open:
      return "open";
    case state::acknowledged:
      return "acknowledged";
    case state::resolved:
      return "resolved";
  }
  return "open";
}

std::optional<state> state_from_name(std::string_view s) {
  if (s == "open") return state::open;
  if (s == "acknowledged") return state::acknowledged;
  if (s == "resolved") return state::resolved;
  return std::nullopt;
}

std::string_view tier_name(tier t) {
  switch (t) {
    case tier::operator_desk:
      return "operator";
    case tier::supervisor:
      return "supervisor";
    case tier::social_worker:
      return "social_worker";
  }
  return "operator";
}

std::optional<tier> tier_from_name(std::string_view s) {
  if (s == "operator") return tier::operator_desk;
  if (s == "supervisor") return tier::supervisor;
  if (s == "social_worker") return tier::social_worker;
  return std::nullopt;
}

bool valid_outcome(std::string_view o) {
  for (auto v : k_outcomes)
    if (v == o) return true;
  return false;
}

json::object lifecycle_json(const alert& a) {
  auto t = [](time_point x) {
    return x == time_point{} ? json::value(nullptr) : json::value(format_rfc3339(x));
  };
  json::object o;
  o["tier"] = tier_name(a.tier);
  o["urgency"] = a.urgency;
  o["misses"] = a.misses;
  o["due_at"] = t(a.due_at);
  o["acknowledged_at"] = t(a.acknowledged_at);
  o["resolved_at"] = t(a.resolved_at);
  return o;
}

json::value to_json(const evidence& e) {
  json::object o;
  o["device_id"] = e.device_id;
  o["metric"] = name(e.metric);
  if (info(e.metric).boolean)
    o["value"] = e.value != 0;
  else
    o["value"] = e.value;
  o["ts"] = format_rfc3339(e.ts);
  return o;
}

json::value to_json(const alert& a) {
  json::object o;
  o["id"] = a.id;
  o["rule"] = a.rule;
  o["priority"] = a.priority;
  o["state"] = state_name(a.state);
  o["title"] = a.title;
  o["summary"] = a.summary;
  json::object s;
  s["device_id"] =
      a.subject.device_id.empty() ? json::value(nullptr) : json::value(a.subject.device_id);
  s["household_id"] =
      a.subject.household_id.empty() ? json::value(nullptr) : json::value(a.subject.household_id);
  s["building"] =
      a.subject.building.empty() ? json::value(nullptr) : json::value(a.subject.building);
  json::array r;
  for (const auto& id : a.subject.resident_ids)
    r.push_back(json::value(id));
  s["resident_ids"] = std::move(r);
  o["subject"] = std::move(s);
  o["opened_at"] = format_rfc3339(a.opened_at);
  o["updated_at"] = format_rfc3339(a.updated_at);
  o["occurrences"] = a.occurrences;
  json::array ev;
  for (const auto& e : a.evidence)
    ev.push_back(to_json(e));
  o["evidence"] = std::move(ev);
  o["assignee"] = a.assignee.empty() ? json::value(nullptr) : json::value(a.assignee);
  o["outcome"] = a.outcome.empty() ? json::value(nullptr) : json::value(a.outcome);
  return o;
}

json::value to_json(const alert& a, std::string_view locale) {
  auto v = to_json(a);
  if (auto it = a.texts.find(locale); it != a.texts.end()) {
    v.as_object()["title"] = it->second.title;
    v.as_object()["summary"] = it->second.summary;
  }
  return v;
}

json::object texts_json(const alert& a) {
  json::object o;
  for (const auto& [loc, w] : a.texts)
    o[loc] = json::object{{"title", w.title}, {"summary", w.summary}};
  return o;
}

std::optional<alert> alert_from_json(const json::value& v) {
  try {
    const auto& o = v.as_object();
    alert a;
    a.id = json::value_to<std::string>(o.at("id"));
    a.rule = json::value_to<std::string>(o.at("rule"));
    a.priority = static_cast<int>(o.at("priority").to_number<int>());
    auto st = state_from_name(o.at("state").as_string());
    if (!st) return std::nullopt;
    a.state = *st;
    a.title = json::value_to<std::string>(o.at("title"));
    a.summary = json::value_to<std::string>(o.at("summary"));
    const auto& s = o.at("subject").as_object();
    auto str = [](const json::value& x) {
      return x.is_string() ? std::string(x.get_string()) : std::string();
    };
    a.subject.device_id = str(s.at("device_id"));
    a.subject.household_id = str(s.at("household_id"));
    a.subject.building = str(s.at("building"));
    for (const auto& r : s.at("resident_ids").as_array())
      a.subject.resident_ids.push_back(str(r));
    auto t1 = parse_rfc3339(o.at("opened_at").as_string());
    auto t2 = parse_rfc3339(o.at("updated_at").as_string());
    if (!t1 || !t2) return std::nullopt;
    a.opened_at = *t1;
    a.updated_at = *t2;
    a.occurrences = static_cast<int>(o.at("occurrences").to_number<int>());
    for (const auto& e : o.at("evidence").as_array()) {
      const auto& eo = e.as_object();
      evidence ev;
      ev.device_id = str(eo.at("device_id"));
      auto m = metric_from_name(eo.at("metric").as_string());
      if (!m) return std::nullopt;
      ev.metric = *m;
      const auto& val = eo.at("value");
      ev.value = val.is_bool() ? (val.get_bool() ? 1.0 : 0.0) : val.to_number<double>();
      auto ts = parse_rfc3339(eo.at("ts").as_string());
      if (!ts) return std::nullopt;
      ev.ts = *ts;
      a.evidence.push_back(std::move(ev));
    }
    a.assignee = str(o.at("assignee"));
    a.outcome = str(o.at("outcome"));
    // Lifecycle fields are optional: rows written before they existed have none.
    auto when = [&](const char* k) {
      const auto* x = o.if_contains(k);
      if (!x || !x->is_string()) return time_point{};
      return parse_rfc3339(x->get_string()).value_or(time_point{});
    };
    if (const auto* t = o.if_contains("tier"); t && t->is_string())
      a.tier = tier_from_name(t->get_string()).value_or(tier::operator_desk);
    if (const auto* u = o.if_contains("urgency"); u && u->is_number())
      a.urgency = u->to_number<int>();
    if (const auto* m = o.if_contains("misses"); m && m->is_number())
      a.misses = m->to_number<int>();
    if (const auto* t = o.if_contains("texts"); t && t->is_object())
      for (const auto& [loc, w] : t->get_object())
        if (const auto* wo = w.if_object()) {
          auto field = [&](const char* k) {
            const auto* x = wo->if_contains(k);
            return x ? str(*x) : std::string();
          };
          a.texts[std::string(loc)] = {field("title"), field("summary")};
        }
    a.due_at = when("due_at");
    a.acknowledged_at = when("acknowledged_at");
    a.resolved_at = when("resolved_at");
    return a;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace hearth::alerts
