// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "base/diagnostic.hpp"
#include "catalog/device_type.hpp"
#include "normalize/normalizer.hpp"

using namespace hearth;

namespace {
catalog::device_type shipped(const std::string& name) {
  diagnostics d;
  auto c = catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d);
  INFO((d.empty() ? "" : d.front().text()));
  REQUIRE(d.empty());
  REQUIRE(c.find(name) != nullptr);
  return *c.find(name);
}
}  // namespace

TEST_CASE("a Zigbee2MQTT emergency press becomes sos.pressed and a battery reading",
          "[normalize]") {
  const auto t = shipped("z2m.sos-button");
  auto r = normalize::decode(t, "zigbee2mqtt/0x00158d0008a1b2c3",
                             R"({"action": "emergency", "battery": 92, "linkquality": 87})");
  REQUIRE(r.ok());
  REQUIRE(r->values == std::vector<normalize::value>{{metric::sos_pressed, 1},
                                                     {metric::device_battery_pct, 92}});
  REQUIRE(r->field_errors.empty());
}

TEST_CASE("a single click on an SOS button is not a press", "[normalize]") {
  const auto t = shipped("z2m.sos-button");
  auto r = normalize::decode(t, "zigbee2mqtt/0x00158d0008a1b2c3", R"({"action": "single"})");
  REQUIRE(r.ok());
  REQUIRE(r->values.empty());
}

TEST_CASE("a truncated SOS payload is rejected as malformed JSON", "[normalize]") {
  const auto t = shipped("z2m.sos-button");
  auto r =
      normalize::decode(t, "zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency","battery":)");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.err().code == "malformed-json");
}

TEST_CASE("an out-of-range battery is rejected alone and the press still counts", "[normalize]") {
  const auto t = shipped("z2m.sos-button");
  auto r = normalize::decode(t, "zigbee2mqtt/x", R"({"action": "emergency", "battery": 255})");
  REQUIRE(r.ok());
  REQUIRE(r->values == std::vector<normalize::value>{{metric::sos_pressed, 1}});
  REQUIRE(r->field_errors.size() == 1);
  REQUIRE(r->field_errors[0].code == "out-of-range");
}

TEST_CASE("a payload over 64 KiB is rejected as oversized", "[normalize]") {
  const auto t = shipped("z2m.sos-button");
  const std::string big =
      R"({"action": "emergency", "pad": ")" + std::string(70 * 1024, 'x') + "\"}";
  auto r = normalize::decode(t, "zigbee2mqtt/x", big);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.err().code == "oversized");
}

TEST_CASE("the external id of a Zigbee2MQTT device is its friendly name in the topic",
          "[normalize]") {
  REQUIRE(normalize::match_topic("zigbee2mqtt/{external_id}", "zigbee2mqtt/0x00158d0008a1b2c3") ==
          std::optional<std::string>("0x00158d0008a1b2c3"));
  REQUIRE_FALSE(normalize::match_topic("zigbee2mqtt/{external_id}", "zigbee2mqtt/a/availability"));
  REQUIRE_FALSE(normalize::match_topic("zigbee2mqtt/{external_id}", "other/a"));
}
