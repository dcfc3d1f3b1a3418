// SPDX-License-Identifier: Apache-2.0
// ctest's fixture for the PostgreSQL cluster that the integration tests share (hidden test
// cases, run only by name from tests/CMakeLists.txt): start it in $HEARTH_TEST_PG, and stop it.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "support/postgres.hpp"

TEST_CASE("start the shared PostgreSQL cluster", "[.pg-cluster-start]") {
  const char* dir = std::getenv("HEARTH_TEST_PG");
  REQUIRE(dir);
  hearth::test::pg_cluster cluster(false, dir);
  REQUIRE(cluster.running());
  cluster.keep();
}

TEST_CASE("stop the shared PostgreSQL cluster", "[.pg-cluster-stop]") {
  const char* dir = std::getenv("HEARTH_TEST_PG");
  REQUIRE(dir);
  auto cluster = hearth::test::pg_cluster::attach(dir);
  REQUIRE(cluster);
  cluster->stop();
  std::filesystem::remove_all(dir);
}
