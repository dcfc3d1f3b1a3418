// SPDX-License-Identifier: Apache-2.0
// The `sla:` and `shifts:` keys of the config file (issue 16): the board's required shares and
// the shifts the supervisor's screens offer.
#include <catch2/catch.hpp>

#include "app/config.hpp"
#include "support/config_support.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
}  // namespace

TEST_CASE("without sla: P1 is 97.5 % in 60 s and 99 % in 180 s; shifts start 00:00, 08:00, 16:00",
          "[config][reports]") {
  diagnostics d;
  auto c = test::parse_config_with("", d);
  REQUIRE(c);
  CHECK(c->desk.figures == reports::default_figures());
  REQUIRE(c->desk.figures.size() == 5);
  CHECK(c->desk.figures[0] == reports::sla_figure{1, 60s, 97.5});
  CHECK(c->desk.figures[1] == reports::sla_figure{1, 180s, 99});
  CHECK(c->desk.figures[2] == reports::sla_figure{2, std::nullopt, 95});
  CHECK(c->desk.shifts == std::vector<std::chrono::minutes>{0h, 8h, 16h});
}

TEST_CASE("a priority named under sla: replaces its defaults; the others stay",
          "[config][reports]") {
  diagnostics d;
  auto c = test::parse_config_with(
      "sla:\n  p1: [{within: 60s, share: 98.5}]\n  p3: [{share: 90}, {within: 1h, share: 80}]\n"
      "shifts: [\"20:00\", \"08:00\"]\n",
      d);
  REQUIRE(c);
  CHECK(c->desk.figures == std::vector<reports::sla_figure>{{1, 60s, 98.5},
                                                            {2, std::nullopt, 95},
                                                            {3, std::nullopt, 90},
                                                            {3, 1h, 80},
                                                            {4, std::nullopt, 95}});
  CHECK(c->desk.shifts == std::vector<std::chrono::minutes>{8h, 20h});
}

TEST_CASE("bad sla: and shifts: values are config errors at their line", "[config][reports]") {
  struct bad {
    const char* yaml;
    const char* says;
  };
  for (const auto& b : {
           bad{"sla:\n  p1: [{within: 60s, share: 120}]\n", "'share' must be a percentage"},
           bad{"sla:\n  p1: [{within: 60s}]\n", "share"},
           bad{"sla:\n  p1: [{within: 0s, share: 90}]\n", "'within' must be more than 0"},
           bad{"sla:\n  p1: [{within: 60s, share: 90, note: x}]\n", "note"},
           bad{"sla:\n  p5: [{share: 90}]\n", "p5"},
           bad{"sla:\n  p2: 95\n", "'p2' must be a list"},
           bad{"shifts: [\"8:00\"]\n", "HH:MM"},
           bad{"shifts: [\"25:00\"]\n", "HH:MM"},
           bad{"shifts: [\"08:00\", \"08:00\"]\n", "the same start twice"},
           bad{"shifts: []\n", "'shifts' must be a list"},
       }) {
    INFO(b.yaml);
    diagnostics d;
    CHECK_FALSE(test::parse_config_with(b.yaml, d));
    REQUIRE_FALSE(d.empty());
    CHECK_THAT(d.front().text(), Catch::Contains(b.says));
    CHECK(d.front().line > 3);  // the appended keys start at line 4
  }
}
