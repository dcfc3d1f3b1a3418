// SPDX-License-Identifier: Apache-2.0
// The names of PostgreSQL's day partitions of readings, which the writer, `hearthd migrate`
// and retention must agree on.
#include "store/pg_days.hpp"

#include <catch2/catch.hpp>

using namespace hearth::store;

TEST_CASE("a reading's day partition is named by its UTC day, and the name reads back",
          "[store][pg]") {
  constexpr std::int64_t day_ms = pg_days::k_day_ms;
  // 2026-11-20 is day 20,777 since the epoch.
  CHECK(pg_days::day_of(20'777 * day_ms) == 20'777);
  CHECK(pg_days::day_of(20'778 * day_ms - 1) == 20'777);
  CHECK(pg_days::partition_name(20'777) == "readings_20261120");
  CHECK(pg_days::day_from_name("readings_20261120") == 20'777);
  // Before the epoch the day rounds down, not toward zero.
  CHECK(pg_days::day_of(-1) == -1);
  CHECK(pg_days::partition_name(-1) == "readings_19691231");
  CHECK(pg_days::day_from_name("readings_19691231") == -1);
  // Other tables, and names that are not a real day, are not partitions of a day.
  CHECK_FALSE(pg_days::day_from_name("readings"));
  CHECK_FALSE(pg_days::day_from_name("readings_20261131"));
  CHECK_FALSE(pg_days::day_from_name("readings_2026112"));
  CHECK_FALSE(pg_days::day_from_name("quarantine_20261120"));
}
