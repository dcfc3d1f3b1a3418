// SPDX-License-Identifier: Apache-2.0
// Figure 7 (issue 12): a simulated month of 2,000 households through hearth's rules, a day
// at a time (devices checking in on their own cadences, incidents, devices and a gateway
// that really die): the share of opened alerts that no injected incident explains, and how
// late each real death is seen. `hearth-sim month` prints the same figure.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "bench.hpp"
#include "month.hpp"
#include "support/shipped.hpp"

using namespace hearth;
using namespace hearth::bench;

TEST_CASE("a month of 2,000 households: the share of false alerts", "[health]") {
  sim::month_options o;  // 2,000 households, 7 days of warm-up, 30 measured
  const auto t0 = steady::now();
  const auto r = sim::run_month(o, test::shipped_definitions());
  const double secs = std::chrono::duration<double>(steady::now() - t0).count();
  fmt::print("{}(ran in {:.0f} s)\n", sim::describe(o, r), secs);
  duration worst{0};
  std::size_t seen = 0;
  for (const auto& d : r.deaths)
    if (d.detected != time_point{}) {
      ++seen;
      worst = std::max(worst, d.late());
    }
  record({"health.false_share", "false alerts, 2,000 households, 30 days", 100 * r.false_share(),
          "%", std::nullopt, "", std::nullopt, "< 1 %", r.false_share() < 0.01,
          fmt::format("{} of {} opened alerts explained by no incident", r.false_alerts.size(),
                      r.opened)});
  record({"health.deaths", "real deaths seen", static_cast<double>(seen), "", std::nullopt, "",
          std::nullopt, fmt::format("all {}", r.deaths.size()), seen == r.deaths.size(),
          fmt::format("worst: {} after twice the interval it was judged on",
                      describe_duration(std::max(worst, duration{0})))});
  record({"health.gateway", "dead gateway: gateway-offline / device-offline behind it",
          static_cast<double>(r.gateway_deaths_alerted), "", std::nullopt, "", std::nullopt,
          "1 / 0", r.gateway_deaths_alerted == 1 && r.offline_behind_dead_gateway == 0,
          fmt::format("{} device-offline behind it", r.offline_behind_dead_gateway)});
}
