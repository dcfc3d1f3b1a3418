// SPDX-License-Identifier: Apache-2.0
// systemd/hearthd.service is checked by systemd itself: `systemd-analyze verify` on a copy
// whose ExecStart is the binary just built, and `systemd-analyze security` must rate it OK.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/harness.hpp"

using namespace hearth::test;
namespace fs = std::filesystem;

namespace {

std::string unit_text() {
  return read_file(fs::path(HEARTH_SOURCE_DIR) / "systemd" / "hearthd.service");
}

bool have_systemd_analyze() {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"})
    if (fs::exists(fs::path(dir) / "systemd-analyze")) return true;
  return false;
}

/// The unit with ExecStart pointing at the built hearthd, in `dir`.
fs::path unit_copy(const temp_dir& dir) {
  auto text = unit_text();
  const std::string from = "/usr/bin/hearthd";
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), HEARTHD_BINARY);
  const auto path = dir / "hearthd.service";
  write_file(path, text);
  return path;
}

}  // namespace

TEST_CASE("the systemd unit has the service contract of DESIGN.md", "[systemd]") {
  const auto text = unit_text();
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=hearth",
        "ProtectSystem=strict", "NoNewPrivileges=yes", "RestartPreventExitStatus=78",
        "ExecReload=/bin/kill -HUP $MAINPID", "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes", "LockPersonality=yes", "RestrictNamespaces=yes",
        "ReadWritePaths=/var/lib/hearth", "LimitNOFILE=65536"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

TEST_CASE("systemd-analyze verify accepts the unit with the built hearthd", "[systemd]") {
  if (!have_systemd_analyze()) {
    WARN("SKIPPED: systemd-analyze is not installed (package systemd; scripts/setup installs it)");
    return;
  }
  temp_dir dir;
  const auto unit = unit_copy(dir);
  process verify({"systemd-analyze", "verify", unit.string()}, dir / "verify.log");
  const auto rc = verify.wait(std::chrono::seconds(30));
  INFO("systemd-analyze verify said:\n" << verify.log());
  REQUIRE(rc == 0);
  // Warnings (unknown keys, bad values) are printed with exit code 0: there must be none
  // about our unit.
  CHECK(verify.log().find("hearthd.service") == std::string::npos);
}

TEST_CASE("systemd-analyze security rates the unit's exposure at most 2.0", "[systemd]") {
  if (!have_systemd_analyze()) {
    WARN("SKIPPED: systemd-analyze is not installed (package systemd; scripts/setup installs it)");
    return;
  }
  temp_dir dir;
  const auto unit = unit_copy(dir);
  process security(
      {"systemd-analyze", "security", "--offline=true", "--threshold=20", unit.string()},
      dir / "security.log");
  const auto rc = security.wait(std::chrono::seconds(30));
  INFO("systemd-analyze security said:\n" << security.log());
  REQUIRE(rc == 0);
  CHECK(security.log().find("Overall exposure level") != std::string::npos);
}
