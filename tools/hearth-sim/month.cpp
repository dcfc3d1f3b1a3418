// SPDX-License-Identifier: Apache-2.0
#include "month.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <optional>
#include <set>
#include <unordered_map>

#include "alerts/book.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/telemetry.hpp"
#include "base/time.hpp"
#include "engine/engine.hpp"
#include "engine/state.hpp"
#include "traffic.hpp"

namespace hearth::sim {
using namespace std::chrono_literals;

namespace {

registry::registry registry_of(const community& c) {
  registry::tables t;
  diagnostics d;
  registry::parse_csv_text(households_csv(c), "households.csv", t, d);
  registry::parse_csv_text(residents_csv(c), "residents.csv", t, d);
  registry::parse_csv_text(devices_csv(c), "devices.csv", t, d);
  registry::parse_csv_text(buildings_csv(c), "buildings.csv", t, d);
  if (!d.empty()) throw std::runtime_error("simulated registry: " + d.front().text());
  return registry::registry(t);
}

struct opened_alert {
  std::string rule;
  alerts::subject subject;
  time_point at;
  std::string summary;  ///< in English: what hearth told the operator
};

/// The incident an alert is about: its rule is expected, its subject is the incident's,
/// and it opened after the incident began (within two days).
bool explains(const incident& inc, const opened_alert& a) {
  if (std::find(inc.expected_rules.begin(), inc.expected_rules.end(), a.rule) ==
      inc.expected_rules.end())
    return false;
  if (a.at < inc.at - 5min || a.at > inc.at + 48h) return false;
  if (!inc.device_id.empty() && inc.device_id == a.subject.device_id) return true;
  if (!inc.household_id.empty() && inc.household_id == a.subject.household_id) return true;
  return inc.device_id.empty() && !a.subject.building.empty() &&
         inc.building.find(a.subject.building) != std::string::npos;
}

std::string label(const opened_alert& a) {
  return fmt::format("{} {} at {}", a.rule,
                     a.subject.device_id.empty() ? a.subject.household_id : a.subject.device_id,
                     format_rfc3339(a.at));
}

}  // namespace

month_result run_month(const month_options& o, const app::definitions& defs) {
  const auto c = make_community({o.households, o.seed});
  std::unordered_map<std::string, int> index_of;
  for (std::size_t i = 0; i < c.devices.size(); ++i)
    index_of[c.devices[i].id] = static_cast<int>(i);

  const time_point base = *parse_rfc3339("2026-11-01T00:00:00+08:00");
  const time_point month_start = base + std::chrono::hours(24 * o.warmup_days);
  manual_clock clock(base);
  telemetry tel;
  engine::engine eng(defs.rules, clock, "Asia/Shanghai");
  eng.set_messages(defs.messages, "zh-CN");
  alerts::book book(clock, 0);
  book.set_rule_policies(app::rule_policies(defs.rules));
  app::pipeline pipe(clock, tel, nullptr, nullptr, eng, book);
  pipe.set_catalog(defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(registry_of(c)));
  std::vector<opened_alert> alerts;
  // The operator: every alert is handled and resolved half an hour after it opened, so that
  // a later incident of the same rule and subject opens an alert of its own.
  std::deque<std::pair<std::string, time_point>> to_resolve;
  pipe.on_transition([&](const alerts::transition& t) {
    if (t.what != alerts::transition::kind::opened) return;
    const auto en = t.after.texts.find("en");
    alerts.push_back({t.after.rule, t.after.subject, clock.now(),
                      en != t.after.texts.end() ? en->second.summary : t.after.summary});
    to_resolve.emplace_back(t.after.id, clock.now() + o.handled_after);
  });
  auto operator_works = [&](time_point now) {
    while (!to_resolve.empty() && to_resolve.front().second <= now) {
      (void)book.resolve(to_resolve.front().first, "resident-fine", "sim-operator", "", "cli");
      to_resolve.pop_front();
    }
  };

  month_result r;
  std::vector<incident> incidents;
  std::vector<time_point> last_message(c.devices.size());
  std::vector<resume> state;
  for (int day = 0; day < o.warmup_days + o.days; ++day) {
    traffic_options t;
    t.start = base + std::chrono::hours(24 * day);
    t.days = 1;
    t.death_rate = o.death_rate;
    if (o.gateway_death) t.gateway_death_at = month_start + std::chrono::hours(12 * o.days);
    if (!state.empty()) t.from = &state;
    auto traffic = make_traffic(c, t);
    // A social worker marks the residents of the away incidents away as they leave (the
    // incident expects no alert only then), as the two-week replay test does.
    std::vector<const incident*> aways;
    for (const auto& inc : traffic.incidents)
      if (!inc.away_resident_id.empty()) aways.push_back(&inc);
    std::sort(aways.begin(), aways.end(), [](auto* a, auto* b) { return a->at < b->at; });
    for (const auto& m : traffic.messages) {
      clock.set(m.ts);
      while (!aways.empty() && aways.front()->at <= m.ts) {
        eng.set_away(aways.front()->away_resident_id, aways.front()->away_until);
        aways.erase(aways.begin());
      }
      pipe.tick(m.ts);  // as replay does before each capture line
      pipe.on_message(m.topic, m.payload, m.ts);
      operator_works(m.ts);
      if (m.device >= 0) last_message[static_cast<std::size_t>(m.device)] = m.ts;
      if (m.ts >= month_start) ++r.messages;
    }
    const auto end = t.start + 24h;
    for (auto now = clock.now(); now < end; now += 1min) {  // time passes to the day's end
      clock.set(now);
      pipe.tick(now);
      operator_works(now);
    }
    for (auto& i : traffic.incidents)
      incidents.push_back(std::move(i));
    state = std::move(traffic.end_state);
  }
  r.readings = static_cast<std::size_t>(tel.value("hearth_readings_total"));
  // The cadence hearth learned for each device, from its own persisted state.
  std::unordered_map<std::string, std::optional<duration>> learned;
  for (const auto& row : eng.snapshot()) {
    if (!row.key.starts_with("d|")) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(row.json, ec);
    if (ec || !v.is_object()) continue;
    engine::device_state st;
    std::optional<engine::tilt_state> tilt;
    std::vector<std::string> via;
    st.from_json(v.get_object(), tilt, via);
    learned[row.key.substr(2)] = st.every.learned();
  }

  // Every (incident, rule) pair it expects may explain one alert: the latest such incident
  // that began before it. The warm-up's alerts take their incidents too (and are not
  // counted), so that an incident of the warm-up cannot take a later alert of the same
  // device, and that one the next, down to the month's last incident.
  std::set<std::pair<std::size_t, std::string>> used;
  for (const auto& a : alerts) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < incidents.size(); ++i)
      if (explains(incidents[i], a) && !used.contains({i, a.rule}) &&
          (!best || incidents[i].at >= incidents[*best].at))
        best = i;
    if (best) used.insert({*best, a.rule});
    if (a.at < month_start) continue;
    ++r.opened;
    ++r.opened_by_rule[a.rule];
    if (best) {
      ++r.matched;
    } else {
      // With what happened to that device, household or building before it.
      std::string before;
      for (const auto& inc : incidents)
        if (inc.at <= a.at &&
            ((!inc.device_id.empty() && inc.device_id == a.subject.device_id) ||
             (!inc.household_id.empty() && inc.household_id == a.subject.household_id)))
          before += fmt::format("{}{} {}", before.empty() ? "; before it: " : ", ", inc.kind,
                                format_rfc3339(inc.at));
      for (const auto& o : alerts)
        if (&o != &a && o.rule == a.rule && o.subject.household_id == a.subject.household_id)
          before += fmt::format("; also {} (\"{}\")", format_rfc3339(o.at), o.summary);
      r.false_alerts.push_back(label(a) + before + " (\"" + a.summary + "\")");
      ++r.false_by_rule[a.rule];
    }
  }
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    const auto& inc = incidents[i];
    if (inc.at < month_start) continue;
    for (const auto& rule : inc.expected_rules) {
      ++r.incidents;
      if (used.contains({i, rule})) continue;
      // With what the same home or device went through before it (an earlier quiet day is
      // what a welfare rule's baseline learns from) and the alerts it had.
      std::string before;
      for (const auto& other : incidents)
        if (&other != &inc && other.at < inc.at &&
            ((!inc.device_id.empty() && other.device_id == inc.device_id) ||
             (!inc.household_id.empty() && other.household_id == inc.household_id)))
          before += fmt::format("{}{} {}", before.empty() ? "; before it: " : ", ", other.kind,
                                format_rfc3339(other.at));
      for (const auto& a : alerts)
        if ((!inc.device_id.empty() && a.subject.device_id == inc.device_id) ||
            (!inc.household_id.empty() && a.subject.household_id == inc.household_id))
          before += fmt::format("{}{} {}",
                                before.find("alerts:") == std::string::npos ? "; alerts: " : ", ",
                                a.rule, format_rfc3339(a.at));
      r.missed.push_back(fmt::format("{} {} {} at {}{}", inc.kind, rule, inc.device_id,
                                     format_rfc3339(inc.at), before));
    }
    if (inc.kind == "device-death") {
      death d;
      d.device_id = inc.device_id;
      const auto& dev = c.devices[static_cast<std::size_t>(index_of.at(inc.device_id))];
      d.type = type_name(dev.kind);
      d.died = inc.at;
      d.last_message = last_message[static_cast<std::size_t>(index_of.at(inc.device_id))];
      const auto* type = defs.types->find(d.type);
      d.keeps = std::chrono::seconds(dev.cadence_s);
      d.judged_on = std::max<duration>(type ? type->report_interval : duration{0},
                                       learned[inc.device_id].value_or(duration{0}));
      for (const auto& a : alerts)
        if (a.rule == "device-offline" && a.subject.device_id == inc.device_id && a.at >= inc.at) {
          d.detected = a.at;
          break;
        }
      r.deaths.push_back(d);
    }
    if (inc.kind == "gateway-death") {
      ++r.gateway_deaths;
      const int g = c.devices[static_cast<std::size_t>(index_of.at(inc.device_id))].gateway;
      for (const auto& a : alerts) {
        if (a.at < inc.at) continue;
        if (a.rule == "gateway-offline" && a.subject.device_id == inc.device_id)
          ++r.gateway_deaths_alerted;
        if (a.rule == "device-offline") {
          auto it = index_of.find(a.subject.device_id);
          if (it != index_of.end() && c.devices[static_cast<std::size_t>(it->second)].gateway == g)
            ++r.offline_behind_dead_gateway;
        }
      }
    }
  }
  return r;
}

std::string describe(const month_options& o, const month_result& r) {
  std::string out = fmt::format(
      "{} households, {} days after {} days of warm-up: {} messages, {} readings\n"
      "alerts opened: {}; explained by an injected incident: {}; false: {} ({:.2f} %)\n",
      o.households, o.days, o.warmup_days, r.messages, r.readings, r.opened, r.matched,
      r.false_alerts.size(), 100 * r.false_share());
  for (const auto& [rule, n] : r.opened_by_rule)
    out += fmt::format("  {:24} opened {:5}  false {}\n", rule, n,
                       r.false_by_rule.contains(rule) ? r.false_by_rule.at(rule) : 0);
  out += fmt::format("expected alerts: {}; missed: {}\n", r.incidents, r.missed.size());
  for (const auto& m : r.missed)
    out += "  missed: " + m + "\n";
  for (const auto& f : r.false_alerts)
    out += "  false: " + f + "\n";
  out += fmt::format("devices that died: {}\n", r.deaths.size());
  for (const auto& d : r.deaths)
    out += d.detected == time_point{}
               ? fmt::format("  {} ({}): not detected\n", d.device_id, d.type)
               : fmt::format(
                     "  {} ({}, checks in every {}): judged on {}, detected {} after "
                     "its last message ({:.2f} × its cadence); {} after twice the "
                     "interval it was judged on\n",
                     d.device_id, d.type, describe_duration(d.keeps),
                     describe_duration(d.judged_on), describe_duration(d.detected - d.last_message),
                     std::chrono::duration<double>(d.detected - d.last_message) /
                         std::chrono::duration<double>(d.keeps),
                     describe_duration(std::max(d.late(), duration{0})));
  out += fmt::format(
      "gateways that died: {}; gateway-offline alerts for them: {}; device-offline alerts for "
      "devices behind them: {}\n",
      r.gateway_deaths, r.gateway_deaths_alerted, r.offline_behind_dead_gateway);
  return out;
}

}  // namespace hearth::sim
