// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "alerts/book.hpp"
#include "base/time.hpp"
#include "engine/engine.hpp"
#include "engine/rule_file.hpp"
#include "support/shipped.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

time_point at(const char* s) {
  return *parse_rfc3339(s);
}

std::shared_ptr<registry::registry> sample_registry() {
  registry::tables t;
  t.households.push_back({"H-3-502", "B3", "502", "Building 3 Unit 502"});
  t.residents.push_back({"R-1001", "H-3-502", "Example Resident A", 1941, true, "+86-0", "Daughter",
                         "+86-1", "sw-lu"});
  t.devices.push_back(
      {"sos-3-502", "0x00158d0008a1b2c3", "z2m.sos-button", "H-3-502", "B3", "bedroom"});
  return std::make_shared<registry::registry>(std::move(t));
}

std::vector<engine::rule> shipped_rules() {
  diagnostics d;
  auto rules = engine::load_rules_dir(HEARTH_SOURCE_DIR "/rules", d);
  INFO((d.empty() ? "" : d.front().text()));
  REQUIRE(d.empty());
  engine::select_locale(rules, "en");
  return rules;
}

report press(time_point ts, bool pressed = true) {
  return report{"sos-3-502",
                "z2m.sos-button",
                ts,
                {{"sos-3-502", metric::sos_pressed, pressed ? 1.0 : 0.0, ts}},
                {}};
}

}  // namespace

TEST_CASE("an SOS press fires sos-pressed at priority 1 for the household's residents",
          "[engine]") {
  manual_clock clock{at("2026-11-20T06:58:00Z")};
  engine::engine eng(shipped_rules(), clock, "Asia/Shanghai");
  eng.set_messages(test::shipped_messages(), "en");
  eng.set_registry(sample_registry());
  auto signals = eng.on_report(press(clock.now()));
  REQUIRE(signals.size() == 1);
  REQUIRE(signals[0].rule == "sos-pressed");
  REQUIRE(signals[0].priority == 1);
  REQUIRE(signals[0].subject.resident_ids == std::vector<std::string>{"R-1001"});
  REQUIRE(signals[0].summary == "The SOS button in B3 unit 502 (bedroom) was pressed at 14:58.");
  REQUIRE(signals[0].evidence.size() == 1);
  REQUIRE(signals[0].evidence[0].metric == metric::sos_pressed);
}

TEST_CASE("a battery report from an SOS button fires nothing", "[engine]") {
  manual_clock clock{at("2026-11-20T06:58:00Z")};
  engine::engine eng(shipped_rules(), clock, "UTC");
  eng.set_messages(test::shipped_messages(), "en");
  eng.set_registry(sample_registry());
  report battery{"sos-3-502",
                 "z2m.sos-button",
                 clock.now(),
                 {{"sos-3-502", metric::device_battery_pct, 92, clock.now()}},
                 {}};
  REQUIRE(eng.on_report(battery).empty());
  REQUIRE(eng.on_report(press(clock.now(), false)).empty());
}

TEST_CASE("a second press while the SOS alert is open updates it instead of opening another",
          "[engine][alerts]") {
  manual_clock clock{at("2026-11-20T06:58:00Z")};
  engine::engine eng(shipped_rules(), clock, "UTC");
  eng.set_messages(test::shipped_messages(), "en");
  eng.set_registry(sample_registry());
  alerts::book book(clock, 0);
  auto first = book.on_signal(eng.on_report(press(clock.now())).at(0));
  clock.advance(1ms);
  auto second = book.on_signal(eng.on_report(press(clock.now())).at(0));
  REQUIRE(first.size() == 1);
  REQUIRE(first[0].what == alerts::transition::kind::opened);
  REQUIRE(second.size() == 1);
  REQUIRE(second[0].what == alerts::transition::kind::updated);
  REQUIRE(second[0].after.id == first[0].after.id);
  REQUIRE(second[0].after.occurrences == 2);
  REQUIRE(book.queue().size() == 1);
}
