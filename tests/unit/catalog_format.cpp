// SPDX-License-Identifier: Apache-2.0
// The device-type format: transport defaults, the bridge role, and strictness (unknown and
// repeated keys are errors, never silently dropped fields).
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "catalog/device_type.hpp"

namespace {
using namespace hearth;

std::optional<catalog::device_type> parse(const std::string& yaml, diagnostics& d) {
  return catalog::parse_device_type(yaml, "<text>", d);
}
}  // namespace

TEST_CASE("each transport brings its topic pattern and external id path", "[catalog]") {
  struct row {
    const char* transport;
    const char* topic;
    const char* external_id_path;
  };
  for (const auto& r :
       {row{"zigbee2mqtt", "zigbee2mqtt/{external_id}", ""},
        row{"chirpstack", "application/+/device/{external_id}/event/up", "deviceInfo.devEui"},
        row{"tts", "v3/+/devices/+/up", "end_device_ids.dev_eui"},
        row{"native", "hearth/v1/devices/{external_id}/up", ""}}) {
    DYNAMIC_SECTION(r.transport) {
      diagnostics d;
      const std::string fields = std::string(r.transport) == "native"
                                     ? ""
                                     : "fields: [{path: b, metric: device.battery_pct}]\n";
      auto t = parse(fmt::format("type: x\ntransport: {}\n{}", r.transport, fields), d);
      REQUIRE(d.empty());
      REQUIRE(t);
      CHECK(t->topic == r.topic);
      CHECK(t->external_id_path == r.external_id_path);
    }
  }
}

TEST_CASE(
    "external_id: topic takes the id from the topic even where the transport reads the payload",
    "[catalog]") {
  diagnostics d;
  auto t = parse(
      "type: x\ntransport: chirpstack\nexternal_id: topic\nfields: [{path: b, metric: "
      "device.battery_pct}]\n",
      d);
  REQUIRE(d.empty());
  CHECK(t->external_id_path.empty());
  CHECK(t->subscription() == "application/+/device/+/event/up");
}

TEST_CASE(
    "a bridge type listens on <base>/bridge/state and z2m devices name the bridge they sit behind",
    "[catalog]") {
  diagnostics d;
  auto bridge =
      parse("type: b\ntransport: zigbee2mqtt\nrole: bridge\ntopic: z2m-b3/bridge/state\n", d);
  auto dev = parse(
      "type: s\ntransport: zigbee2mqtt\ntopic: 'z2m-b3/{external_id}'\n"
      "fields: [{path: b, metric: device.battery_pct}]\n",
      d);
  auto lora =
      parse("type: l\ntransport: chirpstack\nfields: [{path: b, metric: device.battery_pct}]\n", d);
  REQUIRE(d.empty());
  CHECK(bridge->subscription() == "z2m-b3/bridge/state");
  CHECK(catalog::z2m_base_topic(*bridge) == "z2m-b3");
  CHECK(catalog::z2m_base_topic(*dev) == "z2m-b3");
  CHECK(catalog::bridge_external_id(*dev) == "z2m-b3/bridge");
  CHECK_FALSE(catalog::bridge_external_id(*bridge));
  CHECK_FALSE(catalog::bridge_external_id(*lora));
  catalog::catalog c;
  c.add(*bridge);
  CHECK(c.subscriptions() == std::vector<std::string>{"z2m-b3/bridge/state"});
}

TEST_CASE("a bridge's default topic is zigbee2mqtt/bridge/state and other topics are refused",
          "[catalog]") {
  diagnostics d;
  auto t = parse("type: b\ntransport: zigbee2mqtt\nrole: bridge\n", d);
  REQUIRE(d.empty());
  CHECK(t->topic == "zigbee2mqtt/bridge/state");
  CHECK_FALSE(parse(
      "type: b\ntransport: zigbee2mqtt\nrole: bridge\ntopic: zigbee2mqtt/{external_id}\n", d));
  REQUIRE(d.size() == 1);
  CHECK(
      d[0].text() ==
      "<text>:4: a bridge's topic is '<base topic>/bridge/state', not 'zigbee2mqtt/{external_id}'");
  d.clear();
  CHECK_FALSE(parse("type: b\ntransport: native\nrole: bridge\n", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "role 'bridge' is for zigbee2mqtt bridges and chirpstack or tts gateways");
}

TEST_CASE("a LoRaWAN gateway type's state topic names the gateway", "[catalog]") {
  diagnostics d;
  auto cs = parse("type: g\ntransport: chirpstack\nrole: bridge\n", d);
  REQUIRE(d.empty());
  CHECK(cs->topic == "+/gateway/{external_id}/state/conn");
  CHECK(cs->can_report(hearth::metric::device_online));
  CHECK(parse("type: g\ntransport: tts\nrole: bridge\n", d)->topic ==
        "tts/gateways/{external_id}/events");
  CHECK_FALSE(parse(
      "type: g\ntransport: chirpstack\nrole: bridge\ntopic: eu868/gateway/+/state/conn\n", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() ==
        "<text>:4: a gateway's state topic needs an {external_id} level (the gateway id), as in "
        "'+/gateway/{external_id}/state/conn'");
}

TEST_CASE("every key of a field mapping is read; an unknown one is named with its line",
          "[catalog]") {
  diagnostics d;
  CHECK_FALSE(parse(
      "type: x\ntransport: zigbee2mqtt\nfields:\n  - path: b\n    metric: device.battery_pct\n"
      "    scael: 2\n",
      d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "<text>:6: unknown key 'scael' in field mapping (did you mean 'scale'?)");
}

TEST_CASE("a repeated key inside a map or a readings list is an error, not a silent override",
          "[catalog]") {
  diagnostics d;
  CHECK_FALSE(
      parse("type: x\ntransport: zigbee2mqtt\nfields:\n  - path: a\n    metric: sos.pressed\n"
            "    map: { emergency: true, emergency: false }\n",
            d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "map key 'emergency' is given twice");
  d.clear();
  CHECK_FALSE(
      parse("type: x\ntransport: zigbee2mqtt\nfields: [{path: b, metric: device.battery_pct}]\n"
            "examples:\n  - payload: '{\"b\": 1}'\n    readings: { device.battery_pct: 1, "
            "device.battery_pct: 2 }\n",
            d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "reading 'device.battery_pct' is given twice");
}

TEST_CASE("counter_wrap must be above zero, and may be a fraction of its unit", "[catalog]") {
  diagnostics d;
  CHECK_FALSE(
      parse("type: x\ntransport: chirpstack\ncounter_wrap: -5\nfields: [{path: t, metric: "
            "water.total_l}]\n",
            d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "<text>:3: 'counter_wrap' must be above 0, not -5");
  // 2^32 Wh read as kWh.
  diagnostics ok;
  auto t = parse(
      "type: x\ntransport: chirpstack\ncounter_wrap: 4294967.296\nfields: [{path: e, "
      "metric: power.total_kwh, scale: 0.001}]\n",
      ok);
  REQUIRE(t);
  CHECK(ok.empty());
  CHECK(t->counter_wrap == 4294967.296);
}

TEST_CASE("example payloads may be written as YAML mappings and are sent as JSON", "[catalog]") {
  diagnostics d;
  auto t = parse(
      "type: x\ntransport: zigbee2mqtt\nfields: [{path: b, metric: device.battery_pct}]\n"
      "examples:\n  - payload: { b: 12, name: 'x', on: true }\n    readings: { device.battery_pct: "
      "12 }\n",
      d);
  REQUIRE(d.empty());
  REQUIRE(t->examples.size() == 1);
  CHECK(t->examples[0].payload == R"({"b":12,"name":"x","on":true})");
}

TEST_CASE("the same type name in two files is reported once, at the second file", "[catalog]") {
  diagnostics d;
  const std::string f = HEARTH_SOURCE_DIR "/devices/native.yaml";
  auto c = catalog::catalog::load_files({f, f}, d);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == f + ":1: device type 'native' is defined twice");
  CHECK(c.types().size() == 1);
}
