// SPDX-License-Identifier: Apache-2.0
// Issue 12's figure, small enough for every test run: a simulated community whose devices
// keep their own cadences (most unlike their types' declared intervals), with injected
// incidents, devices that really die and a gateway that really dies. Nearly every alert is
// explained by an incident, every death is seen once, in time, and the dead gateway is one
// alert. The full figure (2,000 households, 30 days) is `hearth-sim month` and the bench.
#include <catch2/catch.hpp>

#include "month.hpp"
#include "support/shipped.hpp"

using namespace hearth;
using namespace std::chrono_literals;

TEST_CASE("a simulated fortnight: at most one false alert, every death seen once and in time",
          "[sim]") {
  sim::month_options o;
  o.households = 120;
  o.seed = 12;
  o.warmup_days = 5;
  o.days = 7;
  o.death_rate = 10;  // per 2,000 households a day: about four deaths in 120 households
  const auto defs = test::shipped_definitions();
  const auto r = sim::run_month(o, defs);
  INFO(sim::describe(o, r));
  CHECK(r.opened > 20);
  // The month figure's target is < 1 % over 2,000 households (README, bench [health]); in
  // 120 households one false alert in ~57 is already 1.8 %, so this bounds the count. The
  // one this run had before (battery-low on a smoke detector whose simulated battery ran
  // below 0 %, a simulator artifact) is fixed; the bound keeps room for one.
  CHECK(r.false_alerts.size() <= 1);
  CHECK(r.missed.size() <= 1);
  REQUIRE(r.deaths.size() >= 2);
  for (const auto& d : r.deaths) {
    INFO(d.device_id);
    REQUIRE(d.detected != time_point{});
    CHECK(d.late() <= 10min);  // twice the cadence it kept, give or take a tick
  }
  CHECK(r.opened_by_rule.at("device-offline") >= r.deaths.size());
  CHECK(r.gateway_deaths == 1);
  CHECK(r.gateway_deaths_alerted == 1);
  CHECK(r.offline_behind_dead_gateway == 0);
}
