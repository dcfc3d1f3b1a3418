// SPDX-License-Identifier: Apache-2.0
// The `retention:` key of the config file: how long readings and quarantined messages are kept.
#include <catch2/catch.hpp>

#include "app/config.hpp"
#include "support/config_support.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

std::optional<app::config> parse(const std::string& extra, diagnostics& d) {
  return test::parse_config_with(extra, d);
}
}  // namespace

TEST_CASE("readings are kept 400 days unless the config says otherwise", "[config][retention]") {
  diagnostics d;
  auto c = parse("", d);
  REQUIRE(c);
  CHECK(c->retention == std::chrono::days(400));
  auto shorter = parse("retention: 90d\n", d);
  REQUIRE(shorter);
  CHECK(shorter->retention == std::chrono::days(90));
}

TEST_CASE("a retention outside 1 day to 100 years, or not a duration, is a config error",
          "[config][retention]") {
  for (const char* bad : {"retention: 2h\n", "retention: 40000d\n", "retention: forever\n",
                          "retention: { readings: 400d }\n"}) {
    diagnostics d;
    CHECK_FALSE(parse(bad, d));
    REQUIRE_FALSE(d.empty());
    CHECK_THAT(d.front().text(), Catch::Contains("retention"));
  }
}

TEST_CASE("a misspelt retention key is rejected like any unknown key", "[config][retention]") {
  diagnostics d;
  CHECK_FALSE(parse("retension: 400d\n", d));
  REQUIRE_FALSE(d.empty());
  CHECK_THAT(d.front().text(), Catch::Contains("retension"));
}
