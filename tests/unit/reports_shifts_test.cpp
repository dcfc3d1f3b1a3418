// SPDX-License-Identifier: Apache-2.0
// Shifts from the config's local start times (issue 16).
#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "reports/shifts.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
time_point at(const char* s) {
  return *parse_rfc3339(s);
}
const std::vector<std::chrono::minutes> k_three = {0h, 8h, 16h};
}  // namespace

TEST_CASE("the shift that contains a time, and the ones before it, in local time", "[reports]") {
  const std::string tz = "Asia/Shanghai";
  CHECK(reports::shift_of(at("2026-11-20T09:00:00+08:00"), k_three, tz) ==
        reports::period{at("2026-11-20T08:00:00+08:00"), at("2026-11-20T16:00:00+08:00")});
  CHECK(reports::shift_of(at("2026-11-20T09:00:00+08:00"), k_three, tz, 1) ==
        reports::period{at("2026-11-20T00:00:00+08:00"), at("2026-11-20T08:00:00+08:00")});
  CHECK(reports::shift_of(at("2026-11-20T00:30:00+08:00"), k_three, tz, 1) ==
        reports::period{at("2026-11-19T16:00:00+08:00"), at("2026-11-20T00:00:00+08:00")});
  // exactly at a start: that shift has begun
  CHECK(reports::shift_of(at("2026-11-20T16:00:00+08:00"), k_three, tz).from ==
        at("2026-11-20T16:00:00+08:00"));
  // one shift a day, three days back
  CHECK(reports::shift_of(at("2026-11-20T09:00:00+08:00"), {8h}, tz, 3) ==
        reports::period{at("2026-11-17T08:00:00+08:00"), at("2026-11-18T08:00:00+08:00")});
}

TEST_CASE("a shift across a DST change is as long as the clock says", "[reports]") {
  // Europe/London leaves summer time at 02:00 on 2026-10-25: the night shift is 9 h long.
  const auto p = reports::shift_of(at("2026-10-25T03:00:00Z"), {20h, 8h}, "Europe/London");
  CHECK(p.from == at("2026-10-24T19:00:00Z"));
  CHECK(p.to == at("2026-10-25T08:00:00Z"));
}
