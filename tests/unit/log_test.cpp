// SPDX-License-Identifier: Apache-2.0
// Issue 18: a log line says when, how bad and which part; under journald the level goes in
// the <N> prefix that journald reads, and the time is left to journald.
#include "base/log.hpp"

#include <catch2/catch.hpp>

#include "base/time.hpp"

using namespace hearth;

TEST_CASE("outside journald a log line carries the UTC time, the level and the part", "[log]") {
  const auto ms = parse_rfc3339("2026-11-22T03:00:01.5Z")->time_since_epoch().count();
  CHECK(
      log::format_line(log::level::warning, "store", "FAILING (writer): disk full\n", ms, false) ==
      "2026-11-22T03:00:01.500Z WARN  store: FAILING (writer): disk full\n");
  CHECK(log::format_line(log::level::info, "app", "stopped", ms + 500, false) ==
        "2026-11-22T03:00:02.000Z INFO  app: stopped\n");
  CHECK(log::format_line(log::level::error, "ingest", "x", ms, false).find(" ERROR ingest: x") !=
        std::string::npos);
}

TEST_CASE("under journald the level is the syslog prefix and there is no time", "[log]") {
  CHECK(log::format_line(log::level::error, "api", "handler failed", 0, true) ==
        "<3>api: handler failed\n");
  CHECK(log::format_line(log::level::warning, "store", "x", 0, true) == "<4>store: x\n");
  CHECK(log::format_line(log::level::info, "app", "stopped", 0, true) == "<6>app: stopped\n");
}
