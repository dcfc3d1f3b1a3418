// SPDX-License-Identifier: Apache-2.0
// water.total_l counters: wraps at the modulus, resets never read as negative or huge use.
#include <catch2/catch.hpp>
#include <limits>

#include "normalize/counter.hpp"

namespace {
using hearth::normalize::counter_delta;
using hearth::normalize::counter_step;
using kind = counter_delta::kind;
constexpr double k_wrap = 4294967296.0;  // 2^32, the reference meter's uint32 litres
}  // namespace

TEST_CASE("a counter that moves forward uses the difference", "[normalize]") {
  CHECK(counter_step(120'340, 120'342, k_wrap) == counter_delta{2, kind::forward});
  CHECK(counter_step(500, 500, k_wrap) == counter_delta{0, kind::forward});
}

TEST_CASE("a counter that passes 2^32 wraps and the litres across the wrap count", "[normalize]") {
  CHECK(counter_step(k_wrap - 10, 5, k_wrap) == counter_delta{15, kind::wrapped});
  CHECK(counter_step(k_wrap - 1, 0, k_wrap) == counter_delta{1, kind::wrapped});
}

TEST_CASE("a counter reset reads as 0 L used, never as negative use", "[normalize]") {
  CHECK(counter_step(88'012, 3, k_wrap) == counter_delta{0, kind::reset});
  CHECK(counter_step(88'012, 3, std::nullopt) == counter_delta{0, kind::reset});
}

TEST_CASE("a small step backwards seen the long way round the modulus is not huge use",
          "[normalize]") {
  // A meter that re-sends a slightly older total must not read as 4 billion litres.
  CHECK(counter_step(5, k_wrap - 10, k_wrap) == counter_delta{0, kind::reset});
  CHECK(counter_step(1'000, 1'000 + 5'000'000, k_wrap) == counter_delta{0, kind::reset});
}

TEST_CASE("the plausible step bound can be tightened by the caller", "[normalize]") {
  CHECK(counter_step(0, 600, k_wrap, 500) == counter_delta{0, kind::reset});
  CHECK(counter_step(0, 400, k_wrap, 500) == counter_delta{400, kind::forward});
  CHECK(counter_step(k_wrap - 300, 300, k_wrap, 500) == counter_delta{0, kind::reset});
}

TEST_CASE("values that are not finite or are negative are treated as a reset", "[normalize]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(counter_step(nan, 10, k_wrap) == counter_delta{0, kind::reset});
  CHECK(counter_step(10, std::numeric_limits<double>::infinity(), k_wrap) ==
        counter_delta{0, kind::reset});
  CHECK(counter_step(-1, 10, k_wrap) == counter_delta{0, kind::reset});
}
