// SPDX-License-Identifier: Apache-2.0
// A household's days as hourly figures (the console's charts, issue 15): a counter's steps
// spread over the hours they cover, wraps carried, no data never shown as "nothing used".
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "api/activity.hpp"
#include "base/time.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

const time_point t0 = *parse_rfc3339("2026-11-20T00:00:00Z");

store::stored_reading at(metric m, double v, duration when) {
  return {m, v, t0 + when};
}
store::stored_reading water(double litres, duration when) {
  return at(metric::water_total_l, litres, when);
}

}  // namespace

TEST_CASE("a water counter gives the litres used in each hour; no reading is no data",
          "[api][activity]") {
  const std::vector<store::stored_reading> rs{
      water(1000, -1h),  // a step that ends where the window starts: none of it is inside
      water(1010, 0h),  water(1010, 1h), water(1030, 2h), water(1050, 3h), water(1050, 4h)};
  const auto v = api::hourly(metric::water_total_l, rs, t0, 6, std::nullopt);
  REQUIRE(v.size() == 6);
  CHECK(v[0] == 0.0);  // 00:00 → 01:00, nothing used (a measured zero)
  CHECK(v[1] == 20.0);
  CHECK(v[2] == 20.0);
  CHECK(v[3] == 0.0);
  CHECK_FALSE(v[4]);  // after the last reading: not known, never drawn as 0
  CHECK_FALSE(v[5]);
}

TEST_CASE("a step over several hours is shared in proportion to the time in each",
          "[api][activity]") {
  // 30 L between 00:30 and 02:30: a quarter, a half and a quarter.
  const std::vector<store::stored_reading> rs{water(100, 30min), water(130, 150min)};
  const auto v = api::hourly(metric::water_total_l, rs, t0, 3, std::nullopt);
  REQUIRE(v.size() == 3);
  CHECK(*v[0] == Approx(7.5));
  CHECK(*v[1] == Approx(15.0));
  CHECK(*v[2] == Approx(7.5));
  // A reading from before the window gives the first hour its share.
  const auto later = api::hourly(metric::water_total_l, rs, t0 + 1h, 2, std::nullopt);
  CHECK(*later[0] == Approx(15.0));
  CHECK(*later[1] == Approx(7.5));
}

TEST_CASE("a counter that wraps is carried across the wrap", "[api][activity]") {
  const std::vector<store::stored_reading> rs{water(9990, 0h), water(15, 1h)};
  const auto v = api::hourly(metric::water_total_l, rs, t0, 1, 10000.0);
  REQUIRE(v[0]);
  CHECK(*v[0] == Approx(25.0));
}

TEST_CASE("a boolean is counted per hour (door openings, motion); power is a mean",
          "[api][activity]") {
  // door.open and motion.detected come with issue 14; any boolean metric is summed alike.
  const auto door = metric::water_leak;
  const std::vector<store::stored_reading> rs{
      at(door, 1, 10min),
      at(door, 0, 11min),
      at(door, 1, 40min),
      at(door, 0, 41min),
      at(door, 1, 190min),  // hour 3; hours 1 and 2 are counted 0
      at(metric::power_w, 100, 5min),
      at(metric::power_w, 300, 35min)};
  const auto doors = api::hourly(door, rs, t0, 5, std::nullopt);
  REQUIRE(doors.size() == 5);
  CHECK(doors[0] == 2.0);
  CHECK(doors[1] == 0.0);
  CHECK(doors[2] == 0.0);
  CHECK(doors[3] == 1.0);
  CHECK_FALSE(doors[4]);
  const auto power = api::hourly(metric::power_w, rs, t0, 2, std::nullopt);
  CHECK(*power[0] == Approx(200.0));
  CHECK_FALSE(power[1]);
  CHECK(api::kind_of(metric::water_total_l) == api::series_kind::use);
  CHECK(api::kind_of(door) == api::series_kind::count);
  CHECK(api::kind_of(metric::power_w) == api::series_kind::mean);
}
