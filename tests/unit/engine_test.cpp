// SPDX-License-Identifier: Apache-2.0
// One section per rule kind, each driven by a manual clock. Every shipped rule has a test
// that fires it and one where it must stay quiet.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;
using engine::signal;

namespace {

/// Hourly meter readings from `from` for `hours` hours; `used(i)` litres in hour i.
std::vector<signal> hourly(
    fixture& f, const std::string& meter, double& litres, int hours,
    const std::function<double(int)>& used = [](int) { return 0.0; }) {
  std::vector<signal> out;
  for (int i = 1; i <= hours; ++i) {
    f.clock.advance(1h);
    litres += used(i);
    auto s = f.meter(meter, litres);
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- event

TEST_CASE("sos-pressed fires on a press and not on a battery report", "[engine]") {
  fixture f(only(shipped_rules(), "sos-pressed"));
  CHECK(fired(f.send("sos-1", {{metric::device_battery_pct, 90}})).empty());
  auto s = f.send("sos-1", {{metric::sos_pressed, 1}});
  REQUIRE(fired(s) == keys{"sos-pressed|sos-1"});
  CHECK(s[0].priority == 1);
  CHECK(s[0].summary == "The SOS button in B1 unit 101 (bedroom) was pressed at 00:00.");
  CHECK(s[0].subject.resident_ids == std::vector<std::string>{"R-1"});
}

TEST_CASE("smoke-detected fires on smoke and not on a test press", "[engine]") {
  fixture f(only(shipped_rules(), "smoke-detected"));
  CHECK(fired(f.send("smoke-1", {{metric::smoke_alarm, 1}, {metric::smoke_test, 1}})).empty());
  CHECK(fired(f.send("smoke-1", {{metric::smoke_alarm, 0}, {metric::smoke_test, 1}})).empty());
  CHECK(fired(f.send("smoke-1", {{metric::smoke_alarm, 1}, {metric::smoke_test, 0}})) ==
        keys{"smoke-detected|smoke-1"});
}

TEST_CASE("gas-leak fires on the alarm or at 20 %LEL, not at 19 %LEL", "[engine]") {
  fixture f(only(shipped_rules(), "gas-leak"));
  CHECK(fired(f.send("gas-1", {{metric::gas_alarm, 0}, {metric::gas_lel_pct, 19.9}})).empty());
  CHECK(fired(f.send("gas-1", {{metric::gas_alarm, 0}, {metric::gas_lel_pct, 20}})) ==
        keys{"gas-leak|gas-1"});
  auto s = f.send("gas-1", {{metric::gas_alarm, 1}, {metric::gas_lel_pct, 3}});
  REQUIRE(fired(s) == keys{"gas-leak|gas-1"});
  CHECK(s[0].summary == "The gas detector in B1 unit 101 (kitchen) reported gas alarm at 00:00.");
  CHECK(s[0].texts.at("zh-CN").summary ==
        "B1栋101室（kitchen）的燃气报警器在 00:00 报告燃气报警。");
}

// ---------------------------------------------------------------- threshold

TEST_CASE("battery-low fires at 15 %, holds in the band and clears at 20 % (hysteresis)",
          "[engine]") {
  fixture f(only(shipped_rules(), "battery-low"));
  CHECK(fired(f.send("sos-1", {{metric::device_battery_pct, 16}})).empty());
  CHECK(fired(f.send("sos-1", {{metric::device_battery_pct, 15}})) == keys{"battery-low|sos-1"});
  CHECK(f.send("sos-1", {{metric::device_battery_pct, 17}}).empty());  // band: no flap
  CHECK(f.send("sos-1", {{metric::device_battery_pct, 14}}).empty());  // already firing
  CHECK(f.send("sos-1", {{metric::device_battery_pct, 19}}).empty());
  auto s = f.send("sos-1", {{metric::device_battery_pct, 20}});
  REQUIRE(cleared(s) == keys{"battery-low|sos-1"});
  CHECK_FALSE(s[0].auto_resolve);
  CHECK(fired(f.send("sos-1", {{metric::device_battery_low, 1},
                               {metric::device_battery_pct, 60}})) == keys{"battery-low|sos-1"});
}

TEST_CASE("battery-low does not clear while the percentage is still in the band", "[engine]") {
  fixture f(only(shipped_rules(), "battery-low"));
  REQUIRE(fired(f.send("smoke-1", {{metric::device_battery_low, 1}})).size() == 1);
  CHECK(f.send("smoke-1", {{metric::device_battery_low, 0}, {metric::device_battery_pct, 17}})
            .empty());
  CHECK(cleared(
            f.send("smoke-1", {{metric::device_battery_low, 0}, {metric::device_battery_pct, 40}}))
            .size() == 1);
}

TEST_CASE("device-tamper fires once per episode and clears when tamper ends", "[engine]") {
  fixture f(only(shipped_rules(), "device-tamper"));
  CHECK(f.send("meter-1", {{metric::device_tamper, 0}}).empty());
  CHECK(fired(f.send("meter-1", {{metric::device_tamper, 1}})) == keys{"device-tamper|meter-1"});
  CHECK(f.send("meter-1", {{metric::device_tamper, 1}}).empty());
  CHECK(cleared(f.send("meter-1", {{metric::device_tamper, 0}})) == keys{"device-tamper|meter-1"});
}

TEST_CASE(
    "a threshold with for: fires from tick when the window has passed, not a millisecond before",
    "[engine]") {
  fixture f({rule_from(
      "id: gas-high\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: "
      "'{condition} 自 {since}', en: '{condition} since {since}'}\n"
      "for: 10min\nwhen: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: gas.lel_pct, below: "
      "5}\n")});
  CHECK(f.send("gas-1", {{metric::gas_lel_pct, 12}}).empty());
  f.clock.advance(10min - 1ms);
  CHECK(f.tick().empty());
  f.clock.advance(1ms);
  auto s = f.tick();
  REQUIRE(fired(s) == keys{"gas-high|gas-1"});
  CHECK(s[0].summary == "Gas at 12 %LEL (alarm level 10 %LEL) since 00:00");
  CHECK(s[0].texts.at("zh-CN").summary == "燃气浓度 12 %LEL（报警值 10 %LEL） 自 00:00");
  CHECK(s[0].evidence.size() == 1);
  CHECK(f.tick().empty());
  CHECK(f.send("gas-1", {{metric::gas_lel_pct, 7}}).empty());  // band
  CHECK(cleared(f.send("gas-1", {{metric::gas_lel_pct, 4}})) == keys{"gas-high|gas-1"});
}

TEST_CASE("a clear reading inside the for: window cancels it", "[engine]") {
  fixture f(
      {rule_from("id: gas-high\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: "
                 "{zh-CN: s, en: s}\n"
                 "for: 10min\nwhen: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: "
                 "gas.lel_pct, below: 5}\n")});
  f.send("gas-1", {{metric::gas_lel_pct, 12}});
  f.clock.advance(5min);
  f.send("gas-1", {{metric::gas_lel_pct, 2}});
  f.clock.advance(5min);
  CHECK(f.tick().empty());
  f.send("gas-1", {{metric::gas_lel_pct, 12}});  // a new window starts here
  CHECK(f.run_for(9min).empty());
  CHECK(fired(f.run_for(1min)) == keys{"gas-high|gas-1"});
}

// ---------------------------------------------------------------- no-data and gateways

TEST_CASE(
    "device-offline fires at twice the report interval, once, and clears when the device speaks",
    "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("sos-1", {{metric::device_battery_pct, 90}});  // z2m.sos-button reports every 2 h
  f.clock.advance(4h - 1ms);
  CHECK(f.tick().empty());
  f.clock.advance(1ms);
  auto s = f.tick();
  REQUIRE(fired(s) == keys{"device-offline|sos-1"});
  CHECK(s[0].priority == 4);
  CHECK(s[0].summary ==
        "No message from the SOS button sos-1 (bedroom, B1 unit 101) since 00:00 (4 h); it "
        "usually reports every 2 h (its type declares 2 h).");
  CHECK(s[0].texts.at("zh-CN").summary ==
        "B1栋101室（bedroom）的SOS 按键（sos-1）自 00:00 起没有消息（已 4小时）；它通常每 "
        "2小时报告一次（其类型声明为每 2小时）。");
  CHECK(f.run_for(3h, 10min).empty());
  // Back: one message is not yet a device that keeps its cadence. The episode clears on the
  // first message after it has been back one interval.
  CHECK(f.send("sos-1", {{metric::device_battery_pct, 89}}).empty());
  f.clock.advance(1h);
  CHECK(f.send("sos-1", {{metric::device_battery_pct, 89}}).empty());
  CHECK(f.run_for(1h, 10min).empty());
  auto back = f.send("sos-1", {{metric::device_battery_pct, 89}});
  REQUIRE(cleared(back) == keys{"device-offline|sos-1"});
  CHECK(back[0].auto_resolve);
}

TEST_CASE("device-offline is judged on arrival, so a device with a wrong clock is not offline",
          "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("sos-1", {{metric::device_battery_pct, 90}}, f.clock.now() - 6h);  // event time 6 h behind
  CHECK(f.run_for(4h - 1min).empty());
}

TEST_CASE("a device that never reported is not offline, and a type without interval never is",
          "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("bridge-1", {{metric::device_online, 1}});  // z2m.bridge has no report interval
  CHECK(f.run_for(48h, 30min).empty());
}

TEST_CASE("gateway-offline fires once and the devices behind it raise no device-offline",
          "[engine]") {
  auto rules = shipped_rules();
  fixture f(rules);
  f.send("sos-1", {{metric::device_battery_pct, 90}});
  f.meter("meter-1", 100);  // LoRaWAN: not behind the Zigbee bridge
  f.clock.advance(1h);
  auto off = f.send("bridge-1", {{metric::device_online, 0}});
  REQUIRE(fired(off) == keys{"gateway-offline|bridge-1"});
  CHECK(off[0].priority == 3);
  CHECK(
      f.send("bridge-1", {{metric::device_online, 0}}).empty());  // one alert, not one per message
  auto later = f.run_for(8h, 10min);
  CHECK(fired(later) == keys{"device-offline|meter-1"});  // sos-1 is behind the bridge: held back
  auto on = f.send("bridge-1", {{metric::device_online, 1}});
  REQUIRE(cleared(on) == keys{"gateway-offline|bridge-1"});
  CHECK(on[0].auto_resolve);
  // Back online, the button gets a full 4 h to speak before it counts as offline.
  CHECK(f.run_for(4h - 1min).empty());
  CHECK(fired(f.run_for(1min)) == keys{"device-offline|sos-1"});
}

// ---------------------------------------------------------------- inactivity

TEST_CASE("lone elder with no water for 12 h raises a priority-2 alert", "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  double l = 120'340;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 11, [](int i) { return i == 5 ? 2.0 : 0.0; }).empty());
  f.clock.advance(59min);
  CHECK(f.meter("meter-1", l).empty());  // 11 h 59 min
  f.clock.advance(1min);
  auto s = f.meter("meter-1", l);  // 12 h, 2 L used
  REQUIRE(fired(s) == keys{"lone-elder-no-water|H-1"});
  CHECK(s[0].priority == 2);
  CHECK(s[0].welfare);
  CHECK(s[0].title == "Little or no water used in B1 unit 101 for 12 h");
  // Before: "No water used since 06:10 (12 h; 2 L in that time)": no water, and 2 L.
  CHECK(s[0].summary ==
        "Water used since 06:10: 2 L in 12 h, less than 10 L; no quiet spell at this time of day "
        "in the last 28 d is on record. The water meter is still reporting (last reading 18:10).");
  CHECK(s[0].texts.at("zh-CN").summary ==
        "自 06:10 起用水 2 升（12小时内，少于 10 升）；近 "
        "28天内同一时段没有安静期记录。水表仍在上报（最近"
        "一次读数 18:10）。");
  REQUIRE(s[0].evidence.size() == 2);
  CHECK(s[0].evidence[0].value == 120'340);
  CHECK(s[0].evidence[1].value == 120'342);
  f.clock.advance(1h);
  CHECK(f.meter("meter-1", l).empty());  // no repeat while it lasts
  f.clock.advance(1h);
  CHECK(cleared(f.meter("meter-1", l + 30)) == keys{"lone-elder-no-water|H-1"});
}

TEST_CASE("a trickle after lone-elder-no-water fired is one alert, not one an hour", "[engine]") {
  // 1 L an hour: 12 h of it is under 10 L, so it fires; then each hour the trailing spell
  // loses its first litre. Once 10 L have gone through, the spell is over: the alert clears,
  // and the next one needs a quiet spell of its own, not the same trailing one an hour on.
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  double l = 120'340;
  f.meter("meter-1", l);
  auto s = hourly(f, "meter-1", l, 18, [](int i) { return i == 1 ? 0.0 : 0.8; });
  CHECK(fired(s) == keys{"lone-elder-no-water|H-1"});
  CHECK(cleared(s).size() <= 1);
}

TEST_CASE("10 L in 12 h is use: lone-elder-no-water stays quiet", "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"));
  double l = 5000;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 30, [](int i) { return i % 6 == 0 ? 10.0 : 0.0; }).empty());
}

TEST_CASE("lone-elder-no-water selects only residents who live alone and are 60 or older",
          "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"));
  double a = 100, b = 100;
  f.meter("meter-2", a);  // a couple
  f.meter("meter-3", b);  // lives alone, 56
  for (int i = 0; i < 24; ++i) {
    f.clock.advance(1h);
    CHECK(f.meter("meter-2", a).empty());
    CHECK(f.meter("meter-3", b).empty());
  }
}

TEST_CASE("a silent meter never raises lone-elder-no-water; it raises device-offline", "[engine]") {
  fixture f(shipped_rules());
  f.meter("meter-1", 100);
  auto s = f.run_for(30h, 10min);
  CHECK(fired(s) == keys{"device-offline|meter-1"});
  // It comes back after 30 h showing no use: silence is not inactivity, so no alert yet.
  auto back = f.meter("meter-1", 100);
  CHECK(fired(back).empty());
  f.clock.advance(1h);
  CHECK(cleared(f.meter("meter-1", 100)) == keys{"device-offline|meter-1"});  // back steadily
}

TEST_CASE("a gap in the meter's reports holds lone-elder-no-water back until 12 h are covered",
          "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  f.meter("meter-1", 100);
  f.clock.advance(1h);
  f.meter("meter-1", 100);
  f.clock.advance(11h);
  CHECK(f.meter("meter-1", 100).empty());  // 12 h quiet, but the meter was silent for 11 of them
  double l = 100;
  auto s = hourly(f, "meter-1", l, 12);
  REQUIRE(fired(s) == keys{"lone-elder-no-water|H-1"});
  CHECK(s[0].at == at("2026-11-21T06:10:00+08:00"));
}

TEST_CASE("away pauses lone-elder-no-water, and the quiet time counts again only from the return",
          "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  f.eng.set_away("R-1", at("2026-11-21T02:10:00+08:00"));
  double l = 100;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 31).empty());  // until 13:10 the next day
  auto s = hourly(f, "meter-1", l, 1);         // 14:10: 12 h after the return
  REQUIRE(fired(s) == keys{"lone-elder-no-water|H-1"});
  CHECK(s[0].summary.starts_with("Water used since 02:10: 0 L in 12 h,"));
}

TEST_CASE(
    "a learned longer quiet spell at that time of day raises the bar; a longer one still fires",
    "[engine]") {
  // Every night the resident is quiet from 21:00 to 11:00 (14 h).
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T11:00:00+08:00"));
  double l = 1000;
  f.meter("meter-1", l);
  auto day = [&](int quiet_hours) {
    // 11:00 -> 21:00: 20 L an hour; then quiet for `quiet_hours`; then use again.
    std::vector<signal> out = hourly(f, "meter-1", l, 10, [](int) { return 20.0; });
    auto q = hourly(f, "meter-1", l, quiet_hours);
    out.insert(out.end(), q.begin(), q.end());
    return out;
  };
  auto first = day(14);  // nothing learned yet: 12 h fires (night one)
  CHECK(fired(first) == keys{"lone-elder-no-water|H-1"});
  auto s2 = day(14);  // the 14 h spell is learned; the use at 12:00 ended night one
  CHECK(cleared(s2) == keys{"lone-elder-no-water|H-1"});
  CHECK(fired(s2).empty());  // 14 h is not longer than the learned 14 h
  auto s3 = day(16);         // longer than the learned 14 h: fires at 12:00 (15 h)
  REQUIRE(fired(s3) == keys{"lone-elder-no-water|H-1"});
  CHECK(s3.back().at == at("2026-11-23T12:00:00+08:00"));
  auto& s4 = s3;
  CHECK(s4.back().summary.find(
            "the longest quiet spell at this time of day in the last 28 d was 14 h") !=
        std::string::npos);
}

TEST_CASE("a counter wrap at 2^32 is use, not a reset and never negative", "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  double l = 4294967290.0;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 10).empty());
  f.clock.advance(1h);
  CHECK(f.meter("meter-1", 4).empty());  // 10 L across the wrap
  double after = 4;
  CHECK(hourly(f, "meter-1", after, 1).empty());  // 18:10: not 12 h since the use
  CHECK(hourly(f, "meter-1", after, 11).size() == 1);
}

TEST_CASE("a counter reset starts a new measurement: neither use nor quiet is read across it",
          "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  double l = 120'000;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 5).empty());
  double r = 0;
  f.clock.advance(1h);
  CHECK(f.meter("meter-1", r).empty());  // 12:10: the meter was replaced
  CHECK(hourly(f, "meter-1", r, 11).empty());
  auto s = hourly(f, "meter-1", r, 1);
  REQUIRE(fired(s).size() == 1);
  CHECK(s[0].at == at("2026-11-21T00:10:00+08:00"));
}

TEST_CASE("duplicate and out-of-order meter readings are ignored", "[engine]") {
  fixture f(only(shipped_rules(), "lone-elder-no-water"), at("2026-11-20T06:10:00+08:00"));
  double l = 500;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 6).empty());
  CHECK(f.meter("meter-1", l).empty());  // the same reading again
  CHECK(f.meter("meter-1", l + 80, at("2026-11-20T08:00:00+08:00"))
            .empty());  // late, and from before
  auto s = hourly(f, "meter-1", l, 6);
  CHECK(fired(s) == keys{"lone-elder-no-water|H-1"});
}

// ---------------------------------------------------------------- baseline (tilt)

TEST_CASE(
    "tilt is judged from the first readings: warning at half the limit, critical at the limit",
    "[engine]") {
  auto rules = shipped_rules();
  std::vector<engine::rule> tilt = only(rules, "building-tilt-warning");
  tilt.push_back(only(rules, "building-tilt-critical").front());
  fixture f(tilt);
  CHECK(f.send("tilt-1", {{metric::tilt_x_deg, 0.41}, {metric::tilt_y_deg, -0.12}})
            .empty());  // baseline
  CHECK(f.send("tilt-1", {{metric::tilt_x_deg, 0.51}, {metric::tilt_y_deg, -0.12}})
            .empty());                                                                   // 1.7 ‰
  auto w = f.send("tilt-1", {{metric::tilt_x_deg, 0.53}, {metric::tilt_y_deg, -0.12}});  // 2.1 ‰
  REQUIRE(fired(w) == keys{"building-tilt-warning|tilt-1"});
  CHECK(w[0].priority == 3);
  CHECK(w[0].summary ==
        "The tilt sensor at the north-east corner of building B1 has tilted 2.1 ‰ from its "
        "installation angles "
        "(x 0.41°, y -0.12°; now x 0.53°, y -0.12°); the warning level is 2 ‰, half the limit.");
  auto c = f.send("tilt-1", {{metric::tilt_x_deg, 0.41}, {metric::tilt_y_deg, 0.11}});  // 4.01 ‰
  REQUIRE(fired(c) == keys{"building-tilt-critical|tilt-1"});
  CHECK(c[0].priority == 1);
}

TEST_CASE("the building's own tilt limit is used when given", "[engine]") {
  auto reg = community();
  reg.buildings = {{"B1", 18, 6}};
  fixture f(only(shipped_rules(), "building-tilt-warning"), at("2026-11-20T00:00:00+08:00"), reg);
  f.send("tilt-1", {{metric::tilt_x_deg, 0.0}, {metric::tilt_y_deg, 0.0}});
  CHECK(f.send("tilt-1", {{metric::tilt_x_deg, 0.16}, {metric::tilt_y_deg, 0.0}})
            .empty());  // 2.8 ‰ < 3 ‰
  CHECK(fired(f.send("tilt-1", {{metric::tilt_x_deg, 0.18}, {metric::tilt_y_deg, 0.0}})).size() ==
        1);
}

TEST_CASE("a tilt baseline set by hand replaces the first readings", "[engine]") {
  fixture f(only(shipped_rules(), "building-tilt-critical"));
  f.eng.set_tilt_baseline("tilt-1", 0.0, 0.0);
  CHECK(fired(f.send("tilt-1", {{metric::tilt_x_deg, 0.3}, {metric::tilt_y_deg, 0.0}})).size() ==
        1);
}

// ---------------------------------------------------------------- slots

TEST_CASE("water-continuous-flow fires after flow in every 30-minute slot for 24 h", "[engine]") {
  fixture f(only(shipped_rules(), "water-continuous-flow"));
  double l = 0;
  f.meter("meter-2", l);
  CHECK(hourly(f, "meter-2", l, 23, [](int) { return 20.0; }).empty());
  auto s = hourly(f, "meter-2", l, 1, [](int) { return 20.0; });
  REQUIRE(fired(s) == keys{"water-continuous-flow|H-2"});
  CHECK(s[0].summary ==
        "Water has flowed in every 30 min slot since 20 Nov 00:00 (1 d; 480 L in that time): a "
        "leak or a tap left running.");
  CHECK(cleared(hourly(f, "meter-2", l, 1)) == keys{"water-continuous-flow|H-2"});
}

TEST_CASE("one dry hour in the day keeps water-continuous-flow quiet", "[engine]") {
  fixture f(only(shipped_rules(), "water-continuous-flow"));
  double l = 0;
  f.meter("meter-2", l);
  CHECK(hourly(f, "meter-2", l, 40, [](int i) { return i == 20 ? 0.0 : 20.0; }).empty());
}

TEST_CASE("a meter gap breaks the run of flowing slots", "[engine]") {
  fixture f(only(shipped_rules(), "water-continuous-flow"));
  double l = 0;
  f.meter("meter-2", l);
  hourly(f, "meter-2", l, 12, [](int) { return 20.0; });
  f.clock.advance(3h);
  l += 60;
  CHECK(f.meter("meter-2", l).empty());
  CHECK(hourly(f, "meter-2", l, 23, [](int) { return 20.0; }).empty());
  CHECK(hourly(f, "meter-2", l, 1, [](int) { return 20.0; }).size() == 1);
}

// ---------------------------------------------------------------- daily total

TEST_CASE(
    "daily_total fires once when the local day's use crosses the limit, and clears the next day",
    "[engine]") {
  fixture f({rule_from(
      "id: heavy-use\npriority: 4\nkind: daily_total\ntitle: {zh-CN: t, en: t}\n"
      "summary: {zh-CN: '今天用水 {used}（上限 {limit}）', en: '{used} today (limit {limit})'}\n"
      "at_least: 500\n")});
  double l = 0;
  f.meter("meter-1", l);
  CHECK(hourly(f, "meter-1", l, 4, [](int) { return 100.0; }).empty());
  auto s = hourly(f, "meter-1", l, 1, [](int) { return 100.0; });
  REQUIRE(fired(s) == keys{"heavy-use|meter-1"});
  CHECK(s[0].summary == "500 L today (limit 500 L)");
  CHECK(s[0].texts.at("zh-CN").summary == "今天用水 500 升（上限 500 升）");
  CHECK(hourly(f, "meter-1", l, 18, [](int) { return 100.0; }).empty());
  CHECK(cleared(hourly(f, "meter-1", l, 1)) == keys{"heavy-use|meter-1"});  // local midnight
}

// ---------------------------------------------------------------- state

TEST_CASE("engine state written by take_changes restores into an engine that behaves the same",
          "[engine]") {
  fixture a(only(shipped_rules(), "device-offline"));
  a.send("sos-1", {{metric::device_battery_pct, 90}});
  a.clock.advance(1h);
  auto rows = a.eng.take_changes();
  REQUIRE_FALSE(rows.empty());
  CHECK(a.eng.take_changes().empty());
  fixture b(only(shipped_rules(), "device-offline"), a.clock.now());
  b.eng.restore(rows);
  CHECK(b.eng.snapshot() == a.eng.snapshot());
  CHECK(b.run_for(3h - 1min).empty());
  CHECK(fired(b.run_for(1min)) == keys{"device-offline|sos-1"});
}

TEST_CASE("changed state is handed out in slices, each row once, none lost", "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  for (int i = 0; i < 10; ++i)
    f.send(fmt::format("sos-{}", i), {{metric::device_battery_pct, 90}});
  const auto all = [&] {
    fixture g(only(shipped_rules(), "device-offline"));
    for (int i = 0; i < 10; ++i)
      g.send(fmt::format("sos-{}", i), {{metric::device_battery_pct, 90}});
    return g.eng.take_changes();
  }();
  REQUIRE(all.size() > 3);
  std::vector<engine::state_row> sliced;
  while (f.eng.changed()) {
    auto part = f.eng.take_changes(3);
    REQUIRE(!part.empty());
    CHECK(part.size() <= 3);
    sliced.insert(sliced.end(), part.begin(), part.end());
  }
  CHECK(sliced == all);
  CHECK(f.eng.take_changes().empty());
}

TEST_CASE(
    "a registry swap in the middle of a round keeps the rows not yet handed out, each under "
    "its own device",
    "[engine]") {
  const auto feed = [](fixture& f) {
    for (const auto* d : {"meter-1", "meter-2", "meter-3", "sos-1", "smoke-1", "gas-1"})
      f.send(d, {{metric::device_battery_pct, 90}});
  };
  const auto by_key = [](const std::vector<engine::state_row>& rows) {
    std::map<std::string, std::string> m;
    for (const auto& r : rows)
      m[r.key] = r.json;
    return m;
  };
  fixture whole(only(shipped_rules(), "device-offline"));
  feed(whole);
  const auto all = by_key(whole.eng.take_changes());
  REQUIRE(all.size() >= 6);

  fixture f(only(shipped_rules(), "device-offline"));
  feed(f);
  auto rows = f.eng.take_changes(2);
  REQUIRE(rows.size() == 2);
  // The devices in the opposite order: every device's handle moves.
  auto reversed = community();
  std::reverse(reversed.devices.begin(), reversed.devices.end());
  f.eng.set_registry(std::make_shared<registry::registry>(reversed));
  while (f.eng.changed()) {
    auto part = f.eng.take_changes(2);
    REQUIRE_FALSE(part.empty());
    rows.insert(rows.end(), part.begin(), part.end());
  }
  CHECK(by_key(rows) == all);
}

TEST_CASE(
    "a call hands out one round at most: what changes meanwhile goes out in the next, so a "
    "device's row is written once a round however often it reports",
    "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  for (const auto* d : {"meter-1", "meter-2", "meter-3", "sos-1"})
    f.send(d, {{metric::device_battery_pct, 90}});
  auto first = f.eng.take_changes(2);
  REQUIRE(first.size() == 2);
  CHECK(f.eng.round_open());
  f.clock.advance(1s);
  f.send("sos-1", {{metric::device_battery_pct, 80}});  // changed again during the round
  const auto rest = f.eng.take_changes(1000);
  CHECK_FALSE(f.eng.round_open());
  CHECK(f.eng.changed());
  std::set<std::string> seen;
  for (const auto& r : first)
    seen.insert(r.key);
  for (const auto& r : rest)
    CHECK(seen.insert(r.key).second);  // no row twice within a round
  const auto next = f.eng.take_changes(1000);
  REQUIRE_FALSE(next.empty());
  CHECK(std::any_of(next.begin(), next.end(),
                    [](const engine::state_row& r) { return r.key == "d|sos-1"; }));
  CHECK_FALSE(f.eng.changed());
}

TEST_CASE("a no-data rule added on reload judges devices that already reported", "[engine]") {
  fixture f(only(shipped_rules(), "battery-low"));
  f.send("sos-1", {{metric::device_battery_pct, 90}});
  CHECK(f.run_for(5h, 30min).empty());
  f.eng.set_rules(only(shipped_rules(), "device-offline"));
  CHECK(fired(f.run_for(1min)) == keys{"device-offline|sos-1"});
}
