// SPDX-License-Identifier: Apache-2.0
// Two weeks of a community with electricity, door and motion sensors in lone elders' homes
// (issue 14), replayed through the live pipeline: the exact set of alerts is the set the
// injected incidents expect, and nothing else. The standby loads are learned on the way
// (three nights), so the second week judges electricity too.
#include <catch2/catch.hpp>

#include "community.hpp"
#include "sim_replay.hpp"
#include "traffic.hpp"

using namespace hearth;

TEST_CASE("two weeks of a community with activity sensors raise exactly the expected alerts",
          "[sim][replay]") {
  const auto c = sim::make_community({120, 5});
  int with_sensors = 0;
  for (const auto& h : c.households)
    with_sensors += h.activity_sensors() ? 1 : 0;
  REQUIRE(with_sensors >= 8);
  sim::traffic_options o;
  o.start = std::chrono::sys_days{std::chrono::year{2026} / 11 / 19} + std::chrono::hours{16};
  o.days = 14;
  // A gateway outage's expectation needs gateway state, which hearth-sim does not send yet
  // (tools/hearth-sim/README.md, known gaps): with it, every meter behind the gateway would
  // be device-offline and no gateway-offline would open.
  o.gateway_outages = false;
  const auto t = sim::make_traffic(c, o);
  const auto got = test::replay_sim(c, t);
  CHECK(got.rejected == test::expected_rejections(t));

  std::multiset<std::string> want;
  std::set<std::string> kinds;
  for (const auto& inc : t.incidents) {
    kinds.insert(inc.kind);
    for (const auto& r : inc.expected_rules)
      want.insert(r + " " + inc.household_id);
  }
  for (const char* k : {"inactive-resident", "no-water-active", "away-standby", "door-left-open"})
    CHECK(kinds.count(k) == 1);
  // Any alert nobody expected, by device, to say what raised it.
  std::string unexpected;
  auto left = want;
  for (const auto& a : got.alerts) {
    const auto it = left.find(a.rule + " " + a.subject.household_id);
    if (it != left.end())
      left.erase(it);
    else if (unexpected.size() < 2000)
      unexpected += a.rule + " " + a.subject.device_id + "; ";
  }
  INFO("unexpected: " << unexpected);
  CHECK(got.opened == want);

  // The all-quiet elder's alert names every sensor's last sign of life, one evidence each
  // (the replay's locale is zh-CN, the default).
  for (const auto& a : got.alerts)
    if (a.rule == "lone-elder-inactive") {
      INFO(a.summary);
      CHECK(a.evidence.size() == 4);
      CHECK(a.summary.find("最近一次用水") != std::string::npos);
      CHECK(a.summary.find("用电") != std::string::npos);
      CHECK(a.summary.find("门（") != std::string::npos);
      CHECK(a.summary.find("人体感应（") != std::string::npos);
    }
}
