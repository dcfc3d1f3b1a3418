// SPDX-License-Identifier: Apache-2.0
// base/time: durations as config and rule files write them.
#include "base/time.hpp"

#include <catch2/catch.hpp>

using namespace hearth;
using namespace std::chrono_literals;

TEST_CASE("durations are read in each unit, with spaces and in parts", "[time]") {
  CHECK(parse_duration("500ms") == duration{500ms});
  CHECK(parse_duration("90s") == duration{90s});
  CHECK(parse_duration("15 min") == duration{15min});
  CHECK(parse_duration("1h30m") == duration{90min});
  CHECK(parse_duration("2d") == duration{48h});
  CHECK(parse_duration("36500d") == duration{36500 * 24h});
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("5 weeks"));
  CHECK_FALSE(parse_duration("-5s"));
}

// Found by fuzz_rule: "8.8e64s" was converted from double to long long out of range
// (undefined behaviour, which UBSan stops at).
TEST_CASE("a duration past 100 years, infinite or not a number is refused, not overflowed",
          "[time]") {
  CHECK_FALSE(parse_duration("8.8e64s"));
  CHECK_FALSE(parse_duration("1e300d"));
  CHECK_FALSE(parse_duration("inf s"));
  CHECK_FALSE(parse_duration("nan s"));
  CHECK_FALSE(parse_duration("36600d"));
  CHECK_FALSE(parse_duration("36500d 36500d"));  // each part fits, the sum does not
  CHECK(parse_duration("36524d"));               // just under 100 years
}
