// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the rule engine: a small community, the shipped definitions, a manual
// clock, and reports built directly (no MQTT, no normalization).

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/time.hpp"
#include "catalog/device_type.hpp"
#include "engine/engine.hpp"
#include "engine/rule_file.hpp"
#include "registry/registry.hpp"
#include "support/shipped.hpp"

namespace hearth::test {
using namespace std::chrono_literals;

inline time_point at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

/// The shipped rules with their texts in `locale`.
inline std::vector<engine::rule> shipped_rules(std::string_view locale = "en") {
  diagnostics d;
  auto rules = engine::load_rules_dir(HEARTH_SOURCE_DIR "/rules", d);
  engine::select_locale(rules, locale);
  return rules;
}

inline std::vector<engine::rule> only(const std::vector<engine::rule>& rules,
                                      const std::string& id) {
  std::vector<engine::rule> out;
  for (const auto& r : rules)
    if (r.id == id) out.push_back(r);
  return out;
}

/// A rule from YAML, its texts in `locale`.
inline engine::rule rule_from(const std::string& yaml, std::string_view locale = "en") {
  diagnostics d;
  auto r = engine::parse_rule(yaml, "test.yaml", d);
  if (!r) throw std::runtime_error(d.empty() ? "bad rule" : d.front().text());
  std::vector<engine::rule> one{*r};
  engine::select_locale(one, locale);
  return one.front();
}

/// B1: H-1 (R-1, born 1940, alone), H-2 (R-2 and R-3, a couple), H-3 (R-4, born 1970, alone).
/// Devices: meters, an SOS button, smoke and gas detectors, a tilt sensor and the Zigbee bridge.
inline registry::tables community() {
  registry::tables t;
  t.households = {{"H-1", "B1", "101", "Building 1 Unit 101"},
                  {"H-2", "B1", "102", "Building 1 Unit 102"},
                  {"H-3", "B1", "103", "Building 1 Unit 103"}};
  t.residents = {{"R-1", "H-1", "Resident One", 1940, true, "", "", "", "sw-a"},
                 {"R-2", "H-2", "Resident Two", 1945, false, "", "", "", "sw-a"},
                 {"R-3", "H-2", "Resident Three", 1947, false, "", "", "", "sw-a"},
                 {"R-4", "H-3", "Resident Four", 1970, true, "", "", "", "sw-b"}};
  t.devices = {{"meter-1", "a1", "lora.water-meter", "H-1", "B1", "utility"},
               {"meter-2", "a2", "lora.water-meter", "H-2", "B1", "utility"},
               {"meter-3", "a3", "lora.water-meter", "H-3", "B1", "utility"},
               {"sos-1", "0x01", "z2m.sos-button", "H-1", "B1", "bedroom"},
               {"smoke-1", "0x02", "z2m.smoke-detector", "H-1", "B1", "kitchen"},
               {"gas-1", "0x03", "z2m.gas-detector", "H-1", "B1", "kitchen"},
               {"tilt-1", "t1", "tts.tilt-sensor", "", "B1", "north-east corner"},
               {"bridge-1", "zigbee2mqtt/bridge", "z2m.bridge", "", "B1", "plant room"}};
  t.buildings = {{"B1", 18, 4}};
  return t;
}

/// An engine over the shipped device types and `rules`, on a manual clock, in Asia/Shanghai.
struct fixture {
  manual_clock clock;
  engine::engine eng;
  registry::tables tables;  ///< the registry given, for device types
  /// `locale`: the language of the signals' `title` and `summary` (all are in `texts`).
  explicit fixture(std::vector<engine::rule> rules,
                   time_point start = at("2026-11-20T00:00:00+08:00"),
                   registry::tables reg = community(), std::string locale = "en")
      : clock(start), eng(std::move(rules), clock, "Asia/Shanghai"), tables(reg) {
    eng.set_catalog(shipped_types());
    eng.set_messages(shipped_messages(), std::move(locale));
    eng.set_registry(std::make_shared<registry::registry>(std::move(reg)));
  }
  std::string type_of(const std::string& device) const {
    for (const auto& d : tables.devices)
      if (d.id == device) return d.type;
    return "native";
  }

  /// A report from `device` at the clock's time (or `ts`), with these readings.
  std::vector<engine::signal> send(const std::string& device,
                                   std::vector<std::pair<metric, double>> values,
                                   std::optional<time_point> ts = {}) {
    report r;
    r.device_id = device;
    r.device_type = type_of(device);
    r.ts = ts.value_or(clock.now());
    for (auto [m, v] : values)
      r.readings.push_back({device, m, v, r.ts});
    return eng.on_report(r);
  }
  /// A report that happened at `event` and arrives now (a gateway's backlog).
  std::vector<engine::signal> arrive(const std::string& device,
                                     std::vector<std::pair<metric, double>> values,
                                     time_point event) {
    report r;
    r.device_id = device;
    r.device_type = type_of(device);
    r.ts = event;
    r.received_at = clock.now();
    for (auto [m, v] : values)
      r.readings.push_back({device, m, v, r.ts});
    return eng.on_report(r);
  }
  std::vector<engine::signal> meter(const std::string& device, double litres,
                                    std::optional<time_point> ts = {}) {
    return send(device, {{metric::water_total_l, litres}}, ts);
  }
  std::vector<engine::signal> tick() { return eng.tick(clock.now()); }
  /// Advances the clock in steps of `step`, ticking after each, and collects the signals.
  std::vector<engine::signal> run_for(duration d, duration step = 1min) {
    std::vector<engine::signal> out;
    for (auto end = clock.now() + d; clock.now() < end;) {
      clock.advance(step);
      auto s = tick();
      out.insert(out.end(), s.begin(), s.end());
    }
    return out;
  }
};

/// "rule|subject" keys of the fire signals.
inline std::vector<std::string> fired(const std::vector<engine::signal>& s) {
  std::vector<std::string> out;
  for (const auto& x : s)
    if (x.what == engine::signal::kind::fire) out.push_back(x.key);
  return out;
}
inline std::vector<std::string> cleared(const std::vector<engine::signal>& s) {
  std::vector<std::string> out;
  for (const auto& x : s)
    if (x.what == engine::signal::kind::clear) out.push_back(x.key);
  return out;
}
using keys = std::vector<std::string>;

}  // namespace hearth::test
