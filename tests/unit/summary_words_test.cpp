// SPDX-License-Identifier: Apache-2.0
// Summaries in plain words, in zh-CN and en: the reading in its unit, names people use, a
// date when the time is not today, and how late a late event arrived.
#include <catch2/catch.hpp>

#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;

namespace {
const std::string& zh(const engine::signal& s) {
  return s.texts.at("zh-CN").summary;
}
const std::string& en(const engine::signal& s) {
  return s.texts.at("en").summary;
}
}  // namespace

TEST_CASE("gas at 35 %LEL: the summary names the reading and the alarm level, in both languages",
          "[engine][i18n]") {
  fixture f(only(shipped_rules(), "gas-leak"), at("2026-11-20T14:58:00+08:00"));
  auto s = f.send("gas-1", {{metric::gas_alarm, 0}, {metric::gas_lel_pct, 35}});
  REQUIRE(fired(s) == keys{"gas-leak|gas-1"});
  // Before: "The gas detector ... reported gas.lel_pct ≥ 20 at 14:58."
  CHECK(en(s[0]) ==
        "The gas detector in B1 unit 101 (kitchen) reported gas at 35 %LEL (alarm level 20 %LEL) "
        "at 14:58.");
  CHECK(zh(s[0]) == "B1栋101室（kitchen）的燃气报警器在 14:58 报告燃气浓度 35 %LEL（报警值 20 %LEL）。");
  CHECK(s[0].texts.at("zh-CN").title == "B1栋101室燃气泄漏");
  CHECK(s[0].summary == en(s[0]));  // the fixture publishes in en
}

TEST_CASE("a battery report names the device as people do and the state in words",
          "[engine][i18n]") {
  fixture f(only(shipped_rules(), "battery-low"), at("2026-11-20T09:00:00+08:00"));
  // Before: "The z2m.smoke-detector smoke-1 ... reported device.battery_low is true".
  auto s = f.send("smoke-1", {{metric::device_battery_low, 1}});
  REQUIRE(fired(s).size() == 1);
  CHECK(en(s[0]) ==
        "The smoke alarm smoke-1 in B1 unit 101 (kitchen) reported battery low at 09:00; replace "
        "the battery.");
  CHECK(zh(s[0]) == "B1栋101室（kitchen）的烟雾报警器（smoke-1）在 09:00 报告电量低，请更换电池。");
  CHECK(s[0].texts.at("en").title == "Battery low: smoke alarm in B1 unit 101");
  fixture g(only(shipped_rules(), "battery-low"), at("2026-11-20T09:00:00+08:00"));
  auto p = g.send("sos-1", {{metric::device_battery_pct, 12}});
  REQUIRE(fired(p).size() == 1);
  CHECK(en(p[0]) ==
        "The SOS button sos-1 in B1 unit 101 (bedroom) reported battery at 12 % (alarm level 15 %) "
        "at 09:00; replace the battery.");
  CHECK(zh(p[0]) ==
        "B1栋101室（bedroom）的SOS 按键（sos-1）在 09:00 报告电量 12%（报警值 15%），请更换电池。");
}

TEST_CASE("a press that happened 11 days before it arrived alerts, with its date and its delay",
          "[engine][i18n]") {
  // Before: "was pressed at 15:31" for a press 11 days old, and nothing said it was late.
  fixture f(only(shipped_rules(), "sos-pressed"), at("2026-12-01T16:30:00+08:00"));
  auto s = f.arrive("sos-1", {{metric::sos_pressed, 1}}, at("2026-11-20T15:31:00+08:00"));
  REQUIRE(fired(s) == keys{"sos-pressed|sos-1"});  // a life-safety event is never dropped for age
  CHECK(en(s[0]) ==
        "The SOS button in B1 unit 101 (bedroom) was pressed at 20 Nov 15:31. It happened at 20 "
        "Nov 15:31 (11 days ago); the message arrived 11 d late, at 16:30.");
  CHECK(zh(s[0]) ==
        "B1栋101室（bedroom）的SOS 按键在 11月20日 15:31 被按下。（此事发生于 11月20日 15:31，11天前；"
        "消息晚到 11天，于 16:30 收到。）");
  // A message a minute behind is not late.
  auto prompt = f.arrive("sos-1", {{metric::sos_pressed, 1}}, f.clock.now() - 1min);
  REQUIRE(fired(prompt).size() == 1);
  CHECK(en(prompt[0]) == "The SOS button in B1 unit 101 (bedroom) was pressed at 16:29.");
}

TEST_CASE("a threshold with for: names the reading with its own time, and the latest one",
          "[engine][i18n]") {
  // 12 %LEL at 08:00, 7 %LEL (in the band) at 08:10, the window ends at 08:10 and the tick
  // fires at 08:11. Before: "12 at 08:11": the value of 08:00 beside the tick's time.
  auto rule = rule_from(
      "id: gas-high\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\n"
      "summary: {zh-CN: '{value}（{time}）', en: '{value} at {time}'}\nfor: 10min\n"
      "when: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: gas.lel_pct, below: 5}\n");
  auto words = rule_from(
      "id: gas-words\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\n"
      "summary: {zh-CN: '{condition}，自 {since} 起（{window}）；{latest}',"
      " en: '{condition} since {since} ({window}); {latest}'}\nfor: 10min\n"
      "when: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: gas.lel_pct, below: 5}\n");
  fixture f({rule, words}, at("2026-11-20T08:00:00+08:00"));
  CHECK(f.send("gas-1", {{metric::gas_lel_pct, 12}}).empty());
  f.clock.advance(10min);
  CHECK(f.send("gas-1", {{metric::gas_lel_pct, 7}}).empty());
  f.clock.advance(1min);
  auto s = f.tick();
  REQUIRE(s.size() == 2);
  CHECK(en(s[0]) == "12 %LEL at 08:00");
  CHECK(en(s[1]) == "Gas at 12 %LEL (alarm level 10 %LEL) since 08:00 (10 min); latest reading "
                    "7 %LEL at 08:10");
  CHECK(zh(s[1]) == "燃气浓度 12 %LEL（报警值 10 %LEL），自 08:00 起（10分）；最新读数 7 %LEL（08:10）");
}

TEST_CASE("every shipped rule fills its texts in both languages, with no placeholder left",
          "[engine][i18n]") {
  // One fired example of each rule; no "{", no metric id and no type id in any text.
  auto rules = shipped_rules();
  fixture f(rules, at("2026-11-20T06:00:00+08:00"));
  std::vector<engine::signal> all;
  auto add = [&](std::vector<engine::signal> s) { all.insert(all.end(), s.begin(), s.end()); };
  add(f.send("sos-1", {{metric::sos_pressed, 1}}));
  add(f.send("smoke-1", {{metric::smoke_alarm, 1}, {metric::device_tamper, 1}}));
  add(f.send("gas-1", {{metric::gas_lel_pct, 35}, {metric::device_battery_pct, 9}}));
  add(f.send("tilt-1", {{metric::tilt_x_deg, 0}, {metric::tilt_y_deg, 0}}));
  add(f.send("tilt-1", {{metric::tilt_x_deg, 0.3}, {metric::tilt_y_deg, 0}}));
  add(f.send("bridge-1", {{metric::device_online, 0}}));
  double l = 100;
  for (int h = 0; h <= 24; ++h) {  // H-2: flow all day; H-1: quiet
    add(f.meter("meter-2", l += 40));
    add(f.meter("meter-1", 500));
    add(f.send("sos-1", {{metric::device_battery_pct, 90}}));
    f.clock.advance(1h);
  }
  add(f.run_for(5h, 10min));  // the smoke alarm has gone silent
  std::set<std::string> rules_fired;
  for (const auto& s : all) {
    if (s.what != engine::signal::kind::fire) continue;
    rules_fired.insert(s.rule);
    for (const auto& [loc, w] : s.texts) {
      INFO(s.rule << " " << loc << ": " << w.title << " / " << w.summary);
      CHECK(w.title.find('{') == std::string::npos);
      CHECK(w.summary.find('{') == std::string::npos);
      CHECK(w.summary.find("z2m.") == std::string::npos);
      CHECK(w.summary.find("lora.") == std::string::npos);
      CHECK(w.summary.find(" is true") == std::string::npos);
      CHECK(w.summary.find("_pct") == std::string::npos);
    }
  }
  CHECK(rules_fired == std::set<std::string>{"battery-low", "building-tilt-critical",
                                             "building-tilt-warning", "device-offline",
                                             "device-tamper", "gas-leak", "gateway-offline",
                                             "lone-elder-no-water", "smoke-detected",
                                             "sos-pressed", "water-continuous-flow"});
}
