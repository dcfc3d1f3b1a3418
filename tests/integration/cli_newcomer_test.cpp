// SPDX-License-Identifier: Apache-2.0
// What a newcomer meets first on the command line: `hearthd run` without a config says how
// to start (EX_USAGE), `check` names a database folder that does not exist, and `users add`
// warns about a social worker no resident names.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

namespace {
using namespace hearth::test;

std::string config_in(const temp_dir& dir, const std::string& database,
                      const std::string& extra = {}) {
  const auto cfg = dir / "hearth.yaml";
  write_file(cfg, "database: " + database +
                      "\ndevices_dir: " HEARTH_SOURCE_DIR "/devices\nrules_dir: " HEARTH_SOURCE_DIR
                      "/rules\n" +
                      extra);
  return cfg.string();
}
/// `users add` of a social worker the registry names passes quietly; of one it does not,
/// it still adds them (the registry may name them later) and warns.
void check_social_worker_warning(const temp_dir& dir, const std::string& cfg,
                                 const std::string& named) {
  const auto known = run_command(
      {HEARTHD_BINARY, "users", "add", named, "--role", "social_worker", "--config", cfg}, dir);
  INFO(known.output);
  CHECK(known.status == 0);
  CHECK(known.output.find("warning") == std::string::npos);

  const auto stranger = run_command(
      {HEARTHD_BINARY, "users", "add", "sw-nobody", "--role", "social_worker", "--config", cfg},
      dir);
  INFO(stranger.output);
  CHECK(stranger.status == 0);
  CHECK(stranger.output.find("warning: no resident in the registry has social_worker "
                             "'sw-nobody'") != std::string::npos);
  CHECK(stranger.output.find("API token") != std::string::npos);
}
}  // namespace

TEST_CASE("hearthd run without a config says how to start and exits 64", "[cli]") {
  temp_dir dir;
  const auto r = run_command({HEARTHD_BINARY, "run"}, dir);
  INFO(r.output);
  CHECK(r.status == 64);
  CHECK(r.output.find("hearthd run --config /etc/hearth/hearth.yaml") != std::string::npos);
  CHECK(r.output.find("systemctl start hearthd") != std::string::npos);
  CHECK(r.output.find("scripts/demo") != std::string::npos);
}

TEST_CASE("a command line hearthd does not understand exits 64; --help exits 0", "[cli]") {
  temp_dir dir;
  CHECK(run_command({HEARTHD_BINARY, "frobnicate"}, dir).status == 64);
  CHECK(run_command({HEARTHD_BINARY}, dir).status == 64);
  CHECK(run_command({HEARTHD_BINARY, "check"}, dir).status == 64);  // --config is required
  const auto help = run_command({HEARTHD_BINARY, "--help"}, dir);
  CHECK(help.status == 0);
  CHECK(help.output.find("run") != std::string::npos);
}

TEST_CASE("check reports a database folder that does not exist, at the database line",
          "[cli][config]") {
  temp_dir dir;
  const auto missing = (dir / "no-such-folder" / "hearth.db").string();
  const auto cfg = config_in(dir, missing);
  const auto r = run_command({HEARTHD_BINARY, "check", "--config", cfg}, dir);
  INFO(r.output);
  CHECK(r.status == 78);
  CHECK(r.output.find(cfg + ":1: the folder of 'database' does not exist: " +
                      (dir / "no-such-folder").string()) != std::string::npos);
  // The same config with the folder made is fine, and so is an in-memory database.
  std::filesystem::create_directories(dir / "no-such-folder");
  CHECK(run_command({HEARTHD_BINARY, "check", "--config", cfg}, dir).status == 0);
  CHECK(run_command({HEARTHD_BINARY, "check", "--config", config_in(dir, "':memory:'")}, dir)
            .status == 0);
}

TEST_CASE("users add warns about a social worker whom no resident names, and not otherwise",
          "[cli][auth]") {
  temp_dir dir;
  // The test registry names sw-lu and sw-song; it is in the registry folder, not yet imported.
  const auto cfg =
      config_in(dir, (dir / "hearth.db").string(), "registry_dir: " HEARTH_TEST_DATA "/registry\n");
  check_social_worker_warning(dir, cfg, "sw-lu");

  // An operator is not a caseload: no warning.
  const auto op = run_command(
      {HEARTHD_BINARY, "users", "add", "op-1", "--role", "operator", "--config", cfg}, dir);
  CHECK(op.status == 0);
  CHECK(op.output.find("warning") == std::string::npos);
}

TEST_CASE("users add finds a social worker in the imported registry, with no registry folder",
          "[cli][auth]") {
  temp_dir dir;
  const auto cfg = config_in(dir, (dir / "hearth.db").string());
  std::vector<std::string> import{HEARTHD_BINARY, "import", "--config", cfg};
  for (const char* f : {"households.csv", "residents.csv", "devices.csv", "buildings.csv"})
    import.push_back(std::string(HEARTH_TEST_DATA "/registry/") + f);
  const auto imported = run_command(import, dir);
  INFO(imported.output);
  REQUIRE(imported.status == 0);
  check_social_worker_warning(dir, cfg, "sw-song");
}
