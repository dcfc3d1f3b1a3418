// SPDX-License-Identifier: Apache-2.0
#include "engine/engine.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>

#include "engine/template.hpp"

namespace hearth::engine {

engine::engine(std::vector<rule> rules, const clock& clk, const std::string& tz)
    : rules_(std::move(rules)), clock_(clk) {
  try {
    tz_ = date::locate_zone(tz);
  } catch (const std::exception&) {
    tz_ = date::locate_zone("UTC");
  }
}

engine::~engine() = default;

void engine::set_rules(std::vector<rule> rules) {
  rules_ = std::move(rules);
}

std::string engine::local_time(time_point t) const {
  const auto local =
      date::make_zoned(tz_, std::chrono::floor<std::chrono::minutes>(t)).get_local_time();
  return date::format("%H:%M", local);
}

bool engine::selected(const rule& r, const report& rep, const registry::device* dev) const {
  const auto& s = r.select;
  if (!s.device_types.empty() && std::find(s.device_types.begin(), s.device_types.end(),
                                           rep.device_type) == s.device_types.end())
    return false;
  if (!s.buildings.empty() && (!dev || std::find(s.buildings.begin(), s.buildings.end(),
                                                 dev->building) == s.buildings.end()))
    return false;
  if (s.min_age || s.lives_alone) {
    if (!dev || dev->household_id.empty()) return false;
    const auto residents = registry_->residents_of(dev->household_id);
    const int year = int(date::year_month_day{std::chrono::floor<date::days>(rep.ts)}.year());
    const bool any =
        std::any_of(residents.begin(), residents.end(), [&](const registry::resident* p) {
          if (s.min_age && year - p->birth_year < *s.min_age) return false;
          if (s.lives_alone && p->lives_alone != *s.lives_alone) return false;
          return true;
        });
    if (!any) return false;
  }
  return true;
}

signal engine::make_signal(const rule& r, const report& rep, const registry::device* dev,
                           std::vector<alerts::evidence> evidence,
                           std::map<std::string, std::string> vars) const {
  signal s;
  s.rule = r.id;
  s.priority = r.priority;
  s.at = rep.ts;
  s.evidence = std::move(evidence);
  s.subject.device_id = rep.device_id;
  if (dev) {
    s.subject.household_id = dev->household_id;
    s.subject.building = dev->building;
    if (!dev->household_id.empty())
      for (const auto* p : registry_->residents_of(dev->household_id))
        s.subject.resident_ids.push_back(p->id);
  }
  std::string subject_id;
  switch (r.subject) {
    case subject_scope::device:
      subject_id = rep.device_id;
      break;
    case subject_scope::household:
      subject_id = s.subject.household_id.empty() ? rep.device_id : s.subject.household_id;
      break;
    case subject_scope::building:
      subject_id = s.subject.building.empty() ? rep.device_id : s.subject.building;
      break;
  }
  s.key = r.id + "|" + subject_id;
  const auto* hh = dev ? registry_->find_household(dev->household_id) : nullptr;
  vars["device_id"] = rep.device_id;
  vars["device_type"] = rep.device_type;
  vars["location"] = dev && !dev->location.empty() ? dev->location : "unknown location";
  vars["household_id"] = s.subject.household_id;
  vars["building"] = s.subject.building;
  vars["unit"] = hh ? hh->unit : "";
  vars["place"] =
      hh ? fmt::format("{} unit {}", hh->building, hh->unit)
         : (s.subject.building.empty() ? rep.device_id : "building " + s.subject.building);
  vars["time"] = local_time(rep.ts);
  s.title = render(r.title, vars);
  s.summary = render(r.summary, vars);
  return s;
}

std::vector<signal> engine::on_report(const report& rep) {
  std::vector<signal> out;
  const auto* dev = registry_->find_device(rep.device_id);
  for (const auto& r : rules_) {
    if (r.kind != rule_kind::event) continue;
    if (!selected(r, rep, dev)) continue;
    std::vector<alerts::evidence> evidence;
    std::string matched;
    double matched_value = 0;
    for (const auto& c : r.when) {
      for (const auto& rd : rep.readings) {
        if (rd.metric == c.metric && c.holds(rd.value)) {
          evidence.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
          if (matched.empty()) {
            matched = c.describe();
            matched_value = rd.value;
          }
        }
      }
    }
    if (evidence.empty()) continue;
    const bool excepted = std::any_of(r.unless.begin(), r.unless.end(), [&](const condition& c) {
      return std::any_of(rep.readings.begin(), rep.readings.end(), [&](const reading& rd) {
        return rd.metric == c.metric && c.holds(rd.value);
      });
    });
    if (excepted) continue;  // e.g. a smoke test press: logged by the pipeline, not queued
    std::map<std::string, std::string> vars;
    vars["condition"] = matched;
    vars["metric"] = std::string(name(evidence.front().metric));
    vars["value"] = info(evidence.front().metric).boolean ? (matched_value != 0 ? "true" : "false")
                                                          : fmt::format("{}", matched_value);
    out.push_back(make_signal(r, rep, dev, std::move(evidence), std::move(vars)));
  }
  return out;
}

}  // namespace hearth::engine
