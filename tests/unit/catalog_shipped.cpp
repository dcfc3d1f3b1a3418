// SPDX-License-Identifier: Apache-2.0
// Every shipped file in devices/ loads, and its golden examples pass.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "catalog/device_type.hpp"
#include "normalize/examples.hpp"

namespace {
using namespace hearth;
namespace fs = std::filesystem;

const std::string k_devices = HEARTH_SOURCE_DIR "/devices";

std::vector<std::string> shipped_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(k_devices))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

TEST_CASE("every shipped device type loads without a diagnostic and its examples pass",
          "[catalog]") {
  const auto files = shipped_files();
  REQUIRE(files.size() >= 9);
  for (const auto& f : files) {
    DYNAMIC_SECTION(fs::path(f).filename().string()) {
      diagnostics d;
      auto c = catalog::catalog::load_files({f}, d);
      for (const auto& x : d)
        UNSCOPED_INFO(x.text());
      REQUIRE(d.empty());
      REQUIRE(c.types().size() == 1);
      const auto& t = *c.types().front();
      CHECK(t.name == fs::path(f).stem().string());
      CHECK_FALSE(t.examples.empty());
      const auto failures = normalize::run_examples(t);
      for (const auto& x : failures)
        UNSCOPED_INFO(x.text());
      CHECK(failures.empty());
    }
  }
}

TEST_CASE("the catalog ships the device types the issue names", "[catalog]") {
  diagnostics d;
  auto c = catalog::catalog::load_dir(k_devices, d);
  REQUIRE(d.empty());
  for (const char* name :
       {"z2m.sos-button", "z2m.smoke-detector", "z2m.gas-detector", "z2m.water-leak", "z2m.bridge",
        "lora.water-meter", "tts.water-meter", "tts.tilt-sensor", "native", "nbiot.water-meter",
        "shelly.plus-plug", "tasmota.energy-meter", "z2m.energy-meter", "z2m.door-sensor",
        "z2m.motion-sensor", "lora.energy-meter"})
    CHECK(c.find(name) != nullptr);
  for (const char* name : {"nbiot.water-meter", "shelly.plus-plug", "tasmota.energy-meter"})
    CHECK(c.find(name)->transport == catalog::transport::json);
  // Activity sensors (issue 14): the energy counters wrap like the water meters.
  CHECK(c.find("lora.energy-meter")->counter_wrap == 4294967.296);
  CHECK(c.find("z2m.energy-meter")->report_interval == std::chrono::minutes(30));
  CHECK(c.find("z2m.door-sensor")->report_interval == std::chrono::hours(2));
  CHECK(c.find("z2m.motion-sensor")->report_interval == std::chrono::hours(2));
  CHECK(c.find("lora.water-meter")->transport == catalog::transport::chirpstack);
  CHECK(c.find("lora.water-meter")->counter_wrap == 4294967296.0);
  CHECK(c.find("tts.water-meter")->counter_wrap == 4294967296.0);
  CHECK(c.find("z2m.sos-button")->life_safety);
  CHECK(c.find("z2m.bridge")->role == catalog::role::bridge);
}

TEST_CASE("the shipped catalog subscribes to every device topic, availability and bridge state",
          "[catalog]") {
  diagnostics d;
  auto c = catalog::catalog::load_dir(k_devices, d);
  REQUIRE(d.empty());
  const auto subs = c.subscriptions();
  const std::set<std::string> got(subs.begin(), subs.end());
  CHECK(got == std::set<std::string>{"application/+/device/+/event/up", "hearth/v1/devices/+/up",
                                     "v3/+/devices/+/up", "zigbee2mqtt/+",
                                     "zigbee2mqtt/+/availability", "zigbee2mqtt/bridge/state",
                                     "nbiot/watermeter/+/report", "+/events/rpc", "tele/+/SENSOR",
                                     "+/gateway/+/state/conn", "tts/gateways/+/events"});
}
