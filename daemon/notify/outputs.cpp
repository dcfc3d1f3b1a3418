// SPDX-License-Identifier: Apache-2.0
#include "notify/outputs.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

namespace hearth::notify {
namespace json = boost::json;

std::string alert_topic(const alerts::alert& a) {
  return "hearth/alerts/" + a.id;
}

std::string tier_payload(const alerts::transition& t, const registry::registry& reg) {
  json::object o;
  o["alert_id"] = t.after.id;
  o["rule"] = t.after.rule;
  o["priority"] = t.after.priority;
  o["tier"] = alerts::tier_name(t.notify.value_or(t.after.tier));
  o["action"] = t.action;
  o["urgency"] = t.after.urgency;
  o["title"] = t.after.title;  // titles never carry names or phones
  json::array workers;
  if (t.notify == alerts::tier::social_worker) {
    std::set<std::string> ids;
    for (const auto& r : t.after.subject.resident_ids)
      if (const auto* p = reg.find_resident(r); p && !p->social_worker.empty())
        ids.emplace(p->social_worker);
    for (const auto& id : ids)
      workers.push_back(json::value(id));
  }
  o["social_workers"] = std::move(workers);
  return json::serialize(o);
}

void alert_outputs::publish(const alerts::transition& t, const registry::registry& reg) {
  const auto body = json::serialize(alerts::to_json(t.after));
  if (mqtt_) mqtt_->publish(alert_topic(t.after), body, 1);
  std::map<std::string, std::string> headers{
      {"X-Hearth-Transition", std::string(alerts::transition_name(t.what))},
      {"X-Hearth-Action", t.action}};
  if (t.notify) headers["X-Hearth-Tier"] = std::string(alerts::tier_name(*t.notify));
  if (hooks_ && !hooks_->empty()) hooks_->send(t.after.id, body, headers);
  if (!t.notify) return;
  const auto tier = std::string(alerts::tier_name(*t.notify));
  if (mqtt_) {
    mqtt_->publish("hearth/notify/" + tier, tier_payload(t, reg), 1);
    journal_({clock_.now(), "hearthd", "notified", t.after.id, "tier:" + tier,
              fmt::format("{} tier told ({}) on hearth/notify/{}", tier, t.action, tier), "mqtt"});
  }
  if (hooks_ && !hooks_->empty())
    journal_({clock_.now(), "hearthd", "notified", t.after.id, "tier:" + tier,
              fmt::format("{} tier told ({}) through {} webhook(s)", tier, t.action,
                          hooks_->targets().size()),
              "webhook"});
}

}  // namespace hearth::notify
