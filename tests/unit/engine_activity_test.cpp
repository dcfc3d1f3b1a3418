// SPDX-License-Identifier: Apache-2.0
// Signs of life beyond water (issue 14): the standby load, lone-elder-inactive,
// door-open-at-night and daily_total's at_most, each driven by a manual clock.
#include <catch2/catch.hpp>

#include "engine/kinds/standby.hpp"
#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;
using engine::signal;

namespace {

/// The fixture's community plus H-4 (R-5, born 1938, alone) with a water meter, a smart plug
/// on the kitchen circuit, a door contact at the entrance and a motion sensor in the living
/// room; H-5 (R-6, born 1936, alone) with a water meter only; a door contact in H-2 (a couple).
registry::tables signs_community() {
  auto t = community();
  t.households.push_back({"H-4", "B1", "104", "Building 1 Unit 104"});
  t.households.push_back({"H-5", "B1", "105", "Building 1 Unit 105"});
  t.residents.push_back({"R-5", "H-4", "Resident Five", 1938, true, "", "", "", "sw-a"});
  t.residents.push_back({"R-6", "H-5", "Resident Six", 1936, true, "", "", "", "sw-a"});
  t.devices.push_back({"meter-4", "a4", "lora.water-meter", "H-4", "B1", "utility"});
  t.devices.push_back({"plug-4", "0x41", "z2m.energy-meter", "H-4", "B1", "kitchen"});
  t.devices.push_back({"door-4", "0x42", "z2m.door-sensor", "H-4", "B1", "entrance"});
  t.devices.push_back({"pir-4", "0x43", "z2m.motion-sensor", "H-4", "B1", "living room"});
  t.devices.push_back({"meter-5", "a5", "lora.water-meter", "H-5", "B1", "utility"});
  t.devices.push_back({"door-2", "0x22", "z2m.door-sensor", "H-2", "B1", "entrance"});
  return t;
}

constexpr auto k_start = "2026-11-16T00:00:00+08:00";

/// Minutes since local midnight in Asia/Shanghai (UTC+8, no daylight saving).
int local_minute(time_point t) {
  const auto m = std::chrono::floor<std::chrono::minutes>(t.time_since_epoch()).count() + 8 * 60;
  return static_cast<int>(((m % 1440) + 1440) % 1440);
}

/// H-4's day, ten minutes at a time: a fridge cycling (100 W for the first 20 minutes of every
/// hour, 5 W otherwise) and a router (8 W) always; while the resident is active, a kettle at
/// 07:00, the cooker at noon and at 18:00, 12 L of water in the hours to 08:00, 13:00, 19:00
/// and 21:00, the entrance door opened at 09:00 and 17:00, motion at 07:00, 09:00, 12:00,
/// 15:00, 18:00 and 20:30. The sensors check in as they would.
struct household {
  explicit household(fixture& fx) : f(fx) {}
  fixture& f;
  bool active = true;     ///< the resident does things
  bool water = true;      ///< ... including using water
  bool silent = false;    ///< no device sends anything
  bool pir_dead = false;  ///< the motion sensor alone sends nothing
  double kwh = 412.37, litres = 88'000;
  std::vector<signal> out;

  static double watts(int m, bool active) {
    double w = 8 + (m % 60 < 20 ? 100 : 5);
    if (active && m >= 7 * 60 && m < 7 * 60 + 4) w += 2000;
    if (active && ((m >= 12 * 60 && m < 12 * 60 + 20) || (m >= 18 * 60 && m < 18 * 60 + 30)))
      w += 1500;
    return w;
  }
  void take(std::vector<signal> s) { out.insert(out.end(), s.begin(), s.end()); }

  /// One step: the ten minutes up to the clock's new time.
  void step() {
    f.clock.advance(10min);
    const auto now = f.clock.now();
    const int m = local_minute(now);
    for (int i = 10; i >= 1; --i)
      kwh += watts((m - i + 1440) % 1440, active) / 60 / 1000;
    if (!silent) {
      const double shown = std::floor(kwh * 100) / 100;  // Zigbee2MQTT's 2 decimals
      take(f.send("plug-4",
                  {{metric::power_total_kwh, shown}, {metric::power_w, watts(m, active)}}));
      if (m % 60 == 0) {
        const int h = m / 60;
        if (active && water && (h == 8 || h == 13 || h == 19 || h == 21)) litres += 12;
        take(f.meter("meter-4", litres));
      }
      if (active && (m == 9 * 60 || m == 17 * 60))
        take(f.send("door-4", {{metric::door_open, 1}}));
      else if ((active && (m == 9 * 60 + 10 || m == 17 * 60 + 10)) || m % 60 == 30)
        take(f.send("door-4", {{metric::door_open, 0}, {metric::device_battery_pct, 90}}));
      if (!pir_dead) {
        const bool moved = active && (m == 7 * 60 || m == 9 * 60 || m == 12 * 60 || m == 15 * 60 ||
                                      m == 18 * 60 || m == 20 * 60 + 30);
        if (moved)
          take(f.send("pir-4", {{metric::motion_detected, 1}}));
        else if (m % 60 == 40)
          take(f.send("pir-4", {{metric::motion_detected, 0}, {metric::device_battery_pct, 95}}));
      }
    }
    take(f.tick());
  }
  void run_until(const char* rfc3339) {
    while (f.clock.now() < at(rfc3339))
      step();
  }
};

std::vector<engine::rule> welfare_rules() {
  auto rules = only(shipped_rules(), "lone-elder-inactive");
  const auto water = only(shipped_rules(), "lone-elder-no-water");
  rules.insert(rules.end(), water.begin(), water.end());
  return rules;
}

const signal* first_fire(const std::vector<signal>& s, const std::string& key) {
  for (const auto& x : s)
    if (x.what == signal::kind::fire && x.key == key) return &x;
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- the standby load

TEST_CASE("a fridge's steady kWh is never above the learned standby load; a kettle is",
          "[engine][standby]") {
  manual_clock clock(at(k_start));
  engine::core k(clock, "Asia/Shanghai");
  engine::kinds::standby_profile p;
  const auto history = std::chrono::duration_cast<duration>(std::chrono::hours(24 * 28));
  auto t = at(k_start);
  const auto ten_minutes = [&](bool kettle) {
    const int m = local_minute(t + 10min);
    double wh = 0;
    for (int i = 10; i >= 1; --i)
      wh += household::watts((m - i + 1440) % 1440, false) / 60;
    if (kettle) wh += 2000.0 * 4 / 60;
    auto got = p.add(k, t, t + 10min, wh / 1000, history);
    t += 10min;
    return got;
  };
  // Nothing is judged before three nights are on record.
  while (t < at("2026-11-18T02:00:00+08:00"))  // two nights, and two half-hours of the third
    ten_minutes(false);
  CHECK(p.nights() == 2);
  CHECK_FALSE(p.at(k, t).has_value());
  while (t < at("2026-11-20T00:00:00+08:00"))
    ten_minutes(false);
  CHECK(p.nights() == 4);
  // Two more days of the fridge alone: no half-hour, complete or filling, is above.
  int judged = 0;
  while (t < at("2026-11-22T00:00:00+08:00"))
    for (const auto& h : ten_minutes(false)) {
      auto standby = p.at(k, h.start);
      REQUIRE(standby);
      CHECK(h.watts <= *standby);
      ++judged;
    }
  CHECK(judged > 2 * 48);
  // A kettle (2 kW for 4 minutes) at 07:00 shows in the half-hour still filling.
  while (t < at("2026-11-22T07:00:00+08:00"))
    ten_minutes(false);
  const auto kettle = ten_minutes(true);
  REQUIRE(kettle.size() == 1);
  CHECK_FALSE(kettle[0].complete);
  CHECK(kettle[0].watts > *p.at(k, kettle[0].start) + 50);
}

TEST_CASE("a silence of more than an hour is not spread over the half-hours it hides",
          "[engine][standby]") {
  manual_clock clock(at(k_start));
  engine::core k(clock, "Asia/Shanghai");
  engine::kinds::standby_profile p;
  const auto history = std::chrono::duration_cast<duration>(std::chrono::hours(24 * 28));
  const auto t = at(k_start);
  CHECK(p.add(k, t, t + 20min, 0.02, history).size() == 1);  // filling 00:00-00:30
  // Three hours later: the half-hour being filled ends where the readings stopped (20 of its
  // 30 minutes seen: an observation); the three hours themselves are none.
  const auto after = p.add(k, t + 20min, t + 200min, 0.3, history);
  REQUIRE(after.size() == 1);
  CHECK(after[0].complete);
  CHECK(after[0].watts == Approx(60));
  // The readings go on: the half-hour from 03:00 fills from 03:20.
  const auto next = p.add(k, t + 200min, t + 205min, 0.005, history);
  REQUIRE(next.size() == 1);
  CHECK_FALSE(next[0].complete);
  CHECK(next[0].start == t + 180min);
}

// ---------------------------------------------------------------- lone-elder-inactive

TEST_CASE("lone-elder-inactive fires on the elder quiet on every signal, naming each one",
          "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  household h{f};
  h.run_until("2026-11-20T20:40:00+08:00");
  CHECK(h.out.empty());
  h.active = false;  // only the fridge and the router from here on
  h.run_until("2026-11-21T08:20:00+08:00");
  CHECK(fired(h.out).empty());
  h.run_until("2026-11-21T08:30:00+08:00");  // 12 h after the last motion, at 20:30
  REQUIRE(fired(h.out) == keys{"lone-elder-inactive|H-4"});
  const auto& s = *first_fire(h.out, "lone-elder-inactive|H-4");
  CHECK(s.priority == 2);
  CHECK(s.welfare);
  CHECK(s.subject.resident_ids == std::vector<std::string>{"R-5"});
  CHECK(s.title == "No sign of life in B1 unit 104 for 12 h");
  CHECK(
      s.summary ==
      "No sign of life since 20 Nov 20:30 (12 h): water last used 20 Nov 19:00, electricity at "
      "standby since 20 Nov 18:30, the entrance door last opened 20 Nov 17:00 and no motion in the "
      "living room since 20 Nov 20:30; the longest quiet spell at this time of day in the last "
      "28 d was 10 h.");
  // The evidence names every signal: each sensor's last sign of life.
  REQUIRE(s.evidence.size() == 4);
  CHECK(s.evidence[0].device_id == "meter-4");
  CHECK(s.evidence[0].metric == metric::water_total_l);
  CHECK(s.evidence[1].device_id == "plug-4");
  CHECK(s.evidence[1].metric == metric::power_w);
  CHECK(s.evidence[1].ts == at("2026-11-20T18:30:00+08:00"));
  CHECK(s.evidence[2] ==
        alerts::evidence{"door-4", metric::door_open, 1, at("2026-11-20T17:00:00+08:00")});
  CHECK(s.evidence[3] ==
        alerts::evidence{"pir-4", metric::motion_detected, 1, at("2026-11-20T20:30:00+08:00")});
  // Fires once; the next sign of life (motion at 07:00 would be earlier: the kettle) clears it.
  h.run_until("2026-11-21T12:00:00+08:00");
  CHECK(fired(h.out).size() == 1);
  h.active = true;
  h.run_until("2026-11-22T07:10:00+08:00");
  CHECK(cleared(h.out) == keys{"lone-elder-inactive|H-4"});
}

TEST_CASE("a sign of life heard late does not split one silence into two alerts", "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  household h{f};
  h.run_until("2026-11-20T20:40:00+08:00");
  h.active = false;
  h.run_until("2026-11-21T09:00:00+08:00");
  REQUIRE(fired(h.out) == keys{"lone-elder-inactive|H-4"});
  // At 09:00, motion at 20:50 last night arrives from a gateway's backlog: she was about ten
  // minutes longer than the alert said, and has been quiet for 12 h since. The alert stays.
  h.take(f.arrive("pir-4", {{metric::motion_detected, 1}}, at("2026-11-20T20:50:00+08:00")));
  h.run_until("2026-11-21T20:00:00+08:00");
  CHECK(cleared(h.out).empty());
  CHECK(fired(h.out).size() == 1);
  // Her next real sign of life ends the one episode.
  h.active = true;
  h.run_until("2026-11-22T07:10:00+08:00");
  CHECK(cleared(h.out) == keys{"lone-elder-inactive|H-4"});
  CHECK(fired(h.out).size() == 1);
}

TEST_CASE("the elder who uses no water but is otherwise active raises neither welfare rule",
          "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  household h{f};
  h.water = false;  // the meter keeps reporting, 0 L, for a week
  h.run_until("2026-11-23T00:00:00+08:00");
  CHECK(h.out.empty());
}

TEST_CASE(
    "lone-elder-no-water stays for the water-only household; lone-elder-inactive never fires "
    "there",
    "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  double litres = 1000;
  std::vector<signal> out;
  for (int i = 0; i < 13; ++i) {
    f.clock.advance(1h);
    auto s = f.meter("meter-5", litres);
    out.insert(out.end(), s.begin(), s.end());
  }
  CHECK(fired(out) == keys{"lone-elder-no-water|H-5"});
}

TEST_CASE(
    "a household whose sensors all fall silent raises device-offline, never "
    "lone-elder-inactive",
    "[engine]") {
  auto rules = welfare_rules();
  const auto offline = only(shipped_rules(), "device-offline");
  rules.insert(rules.end(), offline.begin(), offline.end());
  fixture f(rules, at(k_start), signs_community());
  household h{f};
  h.run_until("2026-11-20T20:40:00+08:00");
  h.silent = true;
  h.run_until("2026-11-22T12:00:00+08:00");
  auto got = fired(h.out);
  std::sort(got.begin(), got.end());
  CHECK(got == keys{"device-offline|door-4", "device-offline|meter-4", "device-offline|pir-4",
                    "device-offline|plug-4"});
}

TEST_CASE(
    "a silent motion sensor is not read as a quiet resident: the others decide, and the "
    "summary says it is silent",
    "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  household h{f};
  h.run_until("2026-11-19T12:00:00+08:00");
  h.pir_dead = true;  // its battery is flat; the resident goes on as before
  h.run_until("2026-11-20T20:40:00+08:00");
  CHECK(h.out.empty());
  h.active = false;
  h.run_until("2026-11-21T12:00:00+08:00");
  REQUIRE(fired(h.out) == keys{"lone-elder-inactive|H-4"});
  const auto& s = *first_fire(h.out, "lone-elder-inactive|H-4");
  // Quiet since the last sign the others saw (water used in the hour to 19:00), so it fires
  // 12 h later; the motion sensor's last motion is named with its silence.
  CHECK(s.at == at("2026-11-21T07:00:00+08:00"));
  CHECK(
      s.summary ==
      "No sign of life since 20 Nov 19:00 (12 h): water last used 20 Nov 19:00, electricity at "
      "standby since 20 Nov 18:30, the entrance door last opened 20 Nov 17:00 and no motion in the "
      "living room since 19 Nov 12:00 (the sensor has been silent since 19 Nov 12:00); the "
      "longest quiet spell at this time of day in the last 28 d was 2 h.");
}

TEST_CASE(
    "away pauses lone-elder-inactive: an elder away with everything at standby raises "
    "nothing",
    "[engine]") {
  fixture f(welfare_rules(), at(k_start), signs_community());
  household h{f};
  h.run_until("2026-11-20T09:00:00+08:00");
  f.eng.set_away("R-5", at("2026-11-23T09:00:00+08:00"));  // staying with her son
  h.active = false;
  h.run_until("2026-11-23T09:00:00+08:00");
  CHECK(h.out.empty());
  // Back, but quiet: the quiet time counts from the return, not from the last sign.
  h.run_until("2026-11-23T20:50:00+08:00");
  CHECK(fired(h.out).empty());
  h.run_until("2026-11-23T21:00:00+08:00");
  CHECK(fired(h.out) == keys{"lone-elder-inactive|H-4"});
}

TEST_CASE("the standby load and the quiet spells learned survive a restart", "[engine]") {
  // Two engines see the same four days; one is restarted from its rows before the quiet day.
  fixture a(welfare_rules(), at(k_start), signs_community());
  household ha{a};
  ha.run_until("2026-11-20T20:40:00+08:00");
  fixture b(welfare_rules(), at("2026-11-20T20:40:00+08:00"), signs_community());
  b.eng.restore(a.eng.snapshot());
  household hb{b};
  hb.kwh = ha.kwh;
  hb.litres = ha.litres;
  for (auto* h : {&ha, &hb}) {
    h->active = false;
    h->run_until("2026-11-21T09:00:00+08:00");
  }
  REQUIRE(fired(hb.out) == keys{"lone-elder-inactive|H-4"});
  CHECK(first_fire(hb.out, "lone-elder-inactive|H-4")->summary ==
        first_fire(ha.out, "lone-elder-inactive|H-4")->summary);
  CHECK(first_fire(hb.out, "lone-elder-inactive|H-4")->at == at("2026-11-21T08:30:00+08:00"));
}

// ---------------------------------------------------------------- door-open-at-night

TEST_CASE("door-open-at-night fires 30 min into the night hours, from tick, and clears on closing",
          "[engine]") {
  fixture f(only(shipped_rules(), "door-open-at-night"), at("2026-11-20T21:50:00+08:00"),
            signs_community());
  CHECK(f.send("door-4", {{metric::door_open, 1}}).empty());
  // Open since 21:50, but only the time from 22:00 counts.
  CHECK(f.run_for(40min - 1min).empty());
  auto s = f.run_for(1min);
  REQUIRE(fired(s) == keys{"door-open-at-night|door-4"});
  CHECK(s[0].priority == 3);
  CHECK(s[0].summary ==
        "The door (entrance) in B1 unit 104 has been open since 21:50, 30 min of it between 22:00 "
        "and 06:00.");
  CHECK(f.send("door-4", {{metric::door_open, 1}}).empty());  // a check-in, still open
  CHECK(cleared(f.send("door-4", {{metric::door_open, 0}})) == keys{"door-open-at-night|door-4"});
}

TEST_CASE("a door open across 06:00, or in a couple's home, is not door-open-at-night",
          "[engine]") {
  fixture f(only(shipped_rules(), "door-open-at-night"), at("2026-11-21T05:50:00+08:00"),
            signs_community());
  f.send("door-4", {{metric::door_open, 1}});
  f.send("door-2", {{metric::door_open, 1}});
  CHECK(f.run_for(20min).empty());  // 10 min of night, then day
  f.send("door-4", {{metric::door_open, 0}});
  // A door opened at 06:10 and left open all day fires at 22:30 (the next night hours,
  // counted from 22:00) ...
  f.send("door-4", {{metric::door_open, 1}});
  CHECK(f.run_for(16h + 20min - 1min).empty());
  CHECK(fired(f.run_for(1min)) == keys{"door-open-at-night|door-4"});
  // ... and H-2's door (residents who do not live alone) never does.
}

TEST_CASE("door-open-at-night's open door survives a restart", "[engine]") {
  fixture a(only(shipped_rules(), "door-open-at-night"), at("2026-11-20T23:00:00+08:00"),
            signs_community());
  a.send("door-4", {{metric::door_open, 1}});
  a.run_for(10min);
  fixture b(only(shipped_rules(), "door-open-at-night"), a.clock.now(), signs_community());
  b.eng.restore(a.eng.snapshot());
  CHECK(b.run_for(20min - 1min, 1min).empty());
  CHECK(fired(b.run_for(1min)) == keys{"door-open-at-night|door-4"});
}

// ---------------------------------------------------------------- daily_total

TEST_CASE("daily_total at_most fires for a whole day with too little use, judged the next day",
          "[engine]") {
  fixture f({rule_from("id: low-use\npriority: 3\nkind: daily_total\n"
                       "title: {zh-CN: t, en: t}\nsummary: {zh-CN: '{used}，{date}（至多 "
                       "{limit}）', en: '{used} "
                       "on {date} (at most {limit})'}\nat_most: 30\n")},
            at("2026-11-19T22:00:00+08:00"));
  double litres = 500;
  std::vector<signal> out;
  const auto hourly = [&](int hours, double each) {
    for (int i = 0; i < hours; ++i) {
      f.clock.advance(1h);
      litres += each;
      auto s = f.meter("meter-1", litres);
      out.insert(out.end(), s.begin(), s.end());
    }
  };
  f.meter("meter-1", litres);
  hourly(1, 5);   // to 19 Nov 23:00
  hourly(1, 0);   // to 20 Nov 00:00: a step is counted on the day it ends
  hourly(24, 1);  // 20 Nov: 23 L; the step ending at 21 Nov 00:00 is the 21st's
  REQUIRE(fired(out) == keys{"low-use|meter-1"});
  CHECK(out[0].summary == "23 L on 2026-11-20 (at most 30 L)");
  // The 19th was not watched from its start: it is never judged.
  out.clear();
  hourly(24, 2);  // 21 Nov: 47 L (and the first step of the 22nd clears it)
  CHECK(fired(out).empty());
  CHECK(cleared(out) == keys{"low-use|meter-1"});
}

TEST_CASE("daily_total at_most never reads a meter's silence as low use", "[engine]") {
  fixture f({rule_from("id: low-use\npriority: 3\nkind: daily_total\n"
                       "title: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\n"
                       "at_most: 20\n")},
            at("2026-11-19T23:00:00+08:00"));
  f.meter("meter-1", 500);
  f.clock.advance(2h);
  f.meter("meter-1", 501);  // 20 Nov 01:00
  f.clock.advance(5h);      // silent five hours (the meter reports hourly)
  f.meter("meter-1", 502);
  std::vector<signal> out;
  for (int i = 0; i < 20; ++i) {
    f.clock.advance(1h);
    auto s = f.meter("meter-1", 502);
    out.insert(out.end(), s.begin(), s.end());
  }
  CHECK(fired(out).empty());
}

TEST_CASE("a daily_total rule takes exactly one of at_least and at_most", "[engine]") {
  diagnostics d;
  CHECK_FALSE(
      engine::parse_rule("id: x\npriority: 4\nkind: daily_total\n"
                         "title: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\n"
                         "at_least: 2000\nat_most: 20\n",
                         "x.yaml", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() ==
        "x.yaml:1: a daily_total rule needs exactly one of 'at_least' and 'at_most'");
}

// ---------------------------------------------------------------- in Chinese

TEST_CASE("lone-elder-inactive and door-open-at-night read in Chinese, the default locale",
          "[engine][i18n]") {
  SECTION("lone-elder-inactive names each sensor's last sign of life") {
    fixture f(welfare_rules(), at(k_start), signs_community(), "zh-CN");
    household h{f};
    h.run_until("2026-11-20T20:40:00+08:00");
    h.active = false;
    h.run_until("2026-11-21T08:30:00+08:00");
    REQUIRE(fired(h.out) == keys{"lone-elder-inactive|H-4"});
    const auto& s = *first_fire(h.out, "lone-elder-inactive|H-4");
    CHECK(s.title == "B1栋104室 12小时无生活迹象");
    CHECK(s.summary ==
          "自 11月20日 20:30 起无生活迹象（12小时）：最近一次用水 11月20日 19:00、自 11月20日 "
          "18:30 起用电仅为待机水平、门（entrance）最近一次打开 11月20日 17:00和人体感应（living "
          "room）自 11月20日 20:30 起未检测到活动；近 28天内同一时段最长的安静期为 10小时。");
    CHECK(s.summary == s.texts.at("zh-CN").summary);
  }
  SECTION("door-open-at-night says the night hours") {
    fixture f(only(shipped_rules(), "door-open-at-night"), at("2026-11-20T21:50:00+08:00"),
              signs_community(), "zh-CN");
    CHECK(f.send("door-4", {{metric::door_open, 1}}).empty());
    auto s = f.run_for(40min);
    REQUIRE(fired(s) == keys{"door-open-at-night|door-4"});
    CHECK(s[0].title == "B1栋104室夜间门未关");
    CHECK(s[0].summary ==
          "B1栋104室的门（entrance）自 21:50 起一直开着，其中 30分在 22:00 至 06:00 之间。");
  }
}
