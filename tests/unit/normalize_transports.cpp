// SPDX-License-Identifier: Apache-2.0
// Decoding per transport, binary frames, unit conversion, ranges and Zigbee2MQTT status
// topics: pure functions over definitions written inline.
#include <catch2/catch.hpp>

#include "catalog/device_type.hpp"
#include "normalize/normalizer.hpp"
#include "support/catalog_support.hpp"

namespace Catch {
template <>
struct StringMaker<hearth::normalize::value> {
  static std::string convert(const hearth::normalize::value& v) {
    return std::string(hearth::name(v.metric)) + "=" + std::to_string(v.v);
  }
};
}  // namespace Catch

namespace {
using namespace hearth;
using normalize::value;

using test::type_from;

std::vector<value> values_of(const result<normalize::decoded>& r) {
  INFO((r ? std::string() : r.err().code + ": " + r.err().message));
  REQUIRE(r);
  return r->values;
}

const catalog::device_type& z2m_sos() {
  static const auto t = type_from(R"(
type: z2m.sos-button
transport: zigbee2mqtt
fields:
  - { path: action, metric: sos.pressed, map: { emergency: true } }
  - { path: battery, metric: device.battery_pct }
  - { path: tamper, metric: device.tamper }
)");
  return t;
}

const catalog::device_type& lora_meter() {
  static const auto t = type_from(R"(
type: lora.water-meter
transport: chirpstack
counter_wrap: 4294967296
frame:
  port: 1
  fields:
    - { name: total_l, offset: 0, type: u32le }
    - { name: leak, offset: 4, bit: 0 }
    - { name: burst, offset: 4, bit: 1 }
    - { name: battery_low, offset: 4, bit: 2 }
    - { name: tamper, offset: 4, bit: 3 }
    - { name: battery, offset: 5, type: u8 }
fields:
  - { path: total_l, metric: water.total_l, required: true }
  - { path: leak, metric: water.leak }
  - { path: burst, metric: water.burst }
  - { path: battery_low, metric: device.battery_low }
  - { path: tamper, metric: device.tamper }
  - { path: battery, metric: device.battery_pct }
)");
  return t;
}

}  // namespace

TEST_CASE(
    "zigbee2mqtt: the friendly name in the topic is the external id, extra fields are ignored",
    "[normalize]") {
  auto doc = normalize::parse_json(
      R"({"action":"emergency","battery":92,"linkquality":87,"voltage":3000})");
  REQUIRE(doc);
  auto env =
      normalize::open_envelope(z2m_sos(), "zigbee2mqtt/0x00158d0008a1b2c3", std::move(doc.value()));
  REQUIRE(env);
  CHECK(env->external_id == "0x00158d0008a1b2c3");
  CHECK_FALSE(env->event_time);
  CHECK_FALSE(env->frame_counter);
  auto dec = normalize::map_fields(z2m_sos(), *env);
  CHECK(values_of(dec) ==
        std::vector<value>{{metric::sos_pressed, 1}, {metric::device_battery_pct, 92}});
  CHECK(dec->field_errors.empty());
}

TEST_CASE("zigbee2mqtt: a value the map does not name produces no reading, not an error",
          "[normalize]") {
  auto dec =
      normalize::decode(z2m_sos(), "zigbee2mqtt/sos-1", R"({"action":"single","battery":91})");
  CHECK(values_of(dec) == std::vector<value>{{metric::device_battery_pct, 91}});
  CHECK(dec->field_errors.empty());
}

TEST_CASE(
    "chirpstack v4: devEui from deviceInfo, time, fCnt, and the decoded object wins over the bytes",
    "[normalize]") {
  auto doc = normalize::parse_json(
      R"({"time":"2026-11-20T07:19:58Z","deviceInfo":{"devEui":"a84041000181c2d2"},"fCnt":902,"fPort":1,)"
      R"("data":"zFcBAABA","object":{"total_l":88012,"leak":false,"burst":false,"battery":64}})");
  REQUIRE(doc);
  auto env = normalize::open_envelope(
      lora_meter(), "application/7d3f/device/a84041000181c2d2/event/up", std::move(doc.value()));
  REQUIRE(env);
  CHECK(env->external_id == "a84041000181c2d2");
  CHECK(env->frame_counter == 902u);
  REQUIRE(env->event_time);
  CHECK(*env->event_time ==
        time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20} +
                   std::chrono::hours{7} + std::chrono::minutes{19} + std::chrono::seconds{58}});
  CHECK(values_of(normalize::map_fields(lora_meter(), *env)) ==
        std::vector<value>{{metric::water_total_l, 88012},
                           {metric::water_leak, 0},
                           {metric::water_burst, 0},
                           {metric::device_battery_pct, 64}});
}

TEST_CASE("chirpstack v4: without an object the frame is decoded from base64 bytes",
          "[normalize]") {
  // 40 e2 01 00 | 09 | 14: 123456 L, flags leak + tamper, battery 20 %.
  auto dec = normalize::decode(
      lora_meter(), "application/7d3f/device/a84041000181c2d1/event/up",
      R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":1,"fPort":1,"data":"QOIBAAkU"})");
  CHECK(values_of(dec) == std::vector<value>{{metric::water_total_l, 123456},
                                             {metric::water_leak, 1},
                                             {metric::water_burst, 0},
                                             {metric::device_battery_low, 0},
                                             {metric::device_tamper, 1},
                                             {metric::device_battery_pct, 20}});
}

TEST_CASE("chirpstack v4: a frame on another port, a short frame and bad base64 are bad frames",
          "[normalize]") {
  const auto topic = "application/7d3f/device/a84041000181c2d1/event/up";
  auto other_port = normalize::decode(
      lora_meter(), topic, R"({"deviceInfo":{"devEui":"x"},"fCnt":1,"fPort":2,"data":"QOIBAABY"})");
  REQUIRE_FALSE(other_port);
  CHECK(other_port.err() == error{"bad-frame", "frame is not on port 1"});
  auto short_frame = normalize::decode(
      lora_meter(), topic, R"({"deviceInfo":{"devEui":"x"},"fCnt":1,"fPort":1,"data":"QOIB"})");
  REQUIRE_FALSE(short_frame);
  CHECK(short_frame.err() == error{"bad-frame", "frame is 3 bytes; the type needs 6"});
  auto not_base64 = normalize::decode(
      lora_meter(), topic, R"({"deviceInfo":{"devEui":"x"},"fCnt":1,"fPort":1,"data":"QO*BAABY"})");
  REQUIRE_FALSE(not_base64);
  CHECK(not_base64.err().code == "bad-frame");
}

TEST_CASE("binary frames: widths, endianness, signedness and bit flags", "[normalize]") {
  const auto t = type_from(R"(
type: test.frame
transport: tts
frame:
  fields:
    - { name: u16le, offset: 0, type: u16le }
    - { name: u16be, offset: 0, type: u16be }
    - { name: u32le, offset: 0, type: u32le }
    - { name: u32be, offset: 0, type: u32be }
    - { name: i8, offset: 4, type: i8 }
    - { name: i16le, offset: 4, type: i16le }
    - { name: i16be, offset: 4, type: i16be }
    - { name: i32le, offset: 4, type: i32le }
    - { name: i32be, offset: 4, type: i32be }
    - { name: bit0, offset: 8, bit: 0 }
    - { name: bit7, offset: 8, type: bit, bit: 7 }
    - { name: bit3, offset: 8, bit: 3 }
fields:
  - { path: u16le, metric: device.battery_pct }
)");
  REQUIRE(t.frame);
  CHECK(t.frame->min_length == 9);
  const std::string bytes{"\x01\x02\x03\x04\xfe\xff\xff\xff\x81", 9};
  auto obj = normalize::decode_frame(*t.frame, bytes);
  REQUIRE(obj);
  const auto& o = obj->as_object();
  CHECK(o.at("u16le").as_int64() == 0x0201);
  CHECK(o.at("u16be").as_int64() == 0x0102);
  CHECK(o.at("u32le").as_int64() == 0x04030201);
  CHECK(o.at("u32be").as_int64() == 0x01020304);
  CHECK(o.at("i8").as_int64() == -2);
  CHECK(o.at("i16le").as_int64() == -2);         // fe ff
  CHECK(o.at("i16be").as_int64() == -257);       // fe ff read big-endian: 0xfeff
  CHECK(o.at("i32le").as_int64() == -2);         // fe ff ff ff
  CHECK(o.at("i32be").as_int64() == -16777217);  // 0xfeffffff
  CHECK(o.at("bit0").as_bool() == true);
  CHECK(o.at("bit7").as_bool() == true);
  CHECK(o.at("bit3").as_bool() == false);
  auto too_short = normalize::decode_frame(*t.frame, bytes.substr(0, 8));
  REQUIRE_FALSE(too_short);
  CHECK(too_short.err().code == "bad-frame");
}

TEST_CASE("the things stack v3: dev_eui, received_at, f_cnt, decoded_payload or frm_payload",
          "[normalize]") {
  const auto t = type_from(R"(
type: tts.water-meter
transport: tts
frame:
  port: 1
  fields:
    - { name: total_l, offset: 0, type: u32le }
    - { name: battery, offset: 5 }
fields:
  - { path: total_l, metric: water.total_l, required: true }
  - { path: battery, metric: device.battery_pct }
)");
  const auto topic = "v3/community-meters@hearth/devices/meter-4-101/up";
  auto bytes = normalize::decode(
      t, topic,
      R"({"end_device_ids":{"device_id":"meter-4-101","dev_eui":"A84041000181C3A0"},"received_at":"2026-11-20T08:00:00Z",)"
      R"("uplink_message":{"f_port":1,"f_cnt":12,"frm_payload":"QOIBAABY"}})");
  CHECK(values_of(bytes) ==
        std::vector<value>{{metric::water_total_l, 123456}, {metric::device_battery_pct, 88}});
  auto doc = normalize::parse_json(
      R"({"end_device_ids":{"dev_eui":"A84041000181C3A0"},"received_at":"2026-11-20T09:00:00.250Z",)"
      R"("uplink_message":{"f_port":1,"f_cnt":13,"decoded_payload":{"total_l":88012,"battery":64}}})");
  REQUIRE(doc);
  auto env = normalize::open_envelope(t, topic, std::move(doc.value()));
  REQUIRE(env);
  CHECK(env->external_id == "A84041000181C3A0");
  CHECK(env->frame_counter == 13u);
  REQUIRE(env->event_time);
  CHECK(env->event_time->time_since_epoch().count() % 1000 == 250);
  CHECK(values_of(normalize::map_fields(t, *env)) ==
        std::vector<value>{{metric::water_total_l, 88012}, {metric::device_battery_pct, 64}});
}

TEST_CASE("native: canonical metrics straight through; unknown metrics are field errors",
          "[normalize]") {
  const auto t = type_from("type: native\ntransport: native\n");
  auto dec = normalize::decode(
      t, "hearth/v1/devices/button-demo-1/up",
      R"({"ts":"2026-11-20T07:31:00Z","metrics":{"sos.pressed":true,"device.battery_pct":70,"sos.presed":true}})");
  CHECK(values_of(dec) ==
        std::vector<value>{{metric::sos_pressed, 1}, {metric::device_battery_pct, 70}});
  REQUIRE(dec->field_errors.size() == 1);
  CHECK(dec->field_errors[0] == error{"unknown-metric", "'sos.presed' is not a canonical metric"});
  auto no_ts =
      normalize::decode(t, "hearth/v1/devices/b/up", R"({"metrics":{"sos.pressed":true}})");
  REQUIRE_FALSE(no_ts);
  CHECK(no_ts.err() == error{"missing-field", "no 'ts' field"});
}

TEST_CASE("an out-of-range field is rejected alone; the other fields of the message still count",
          "[normalize]") {
  auto dec =
      normalize::decode(z2m_sos(), "zigbee2mqtt/sos-1", R"({"action":"emergency","battery":255})");
  CHECK(values_of(dec) == std::vector<value>{{metric::sos_pressed, 1}});
  REQUIRE(dec->field_errors.size() == 1);
  CHECK(dec->field_errors[0] ==
        error{"out-of-range", "battery = 255 is outside [0, 100] for device.battery_pct"});
}

TEST_CASE("a message whose only field is out of range is rejected as out-of-range", "[normalize]") {
  auto dec = normalize::decode(z2m_sos(), "zigbee2mqtt/sos-1", R"({"battery":-3})");
  REQUIRE_FALSE(dec);
  CHECK(dec.err().code == "out-of-range");
}

TEST_CASE("a required field that is absent rejects the message as missing-field", "[normalize]") {
  auto dec = normalize::decode(lora_meter(), "application/a/device/x/event/up",
                               R"({"deviceInfo":{"devEui":"x"},"object":{"battery":50}})");
  REQUIRE_FALSE(dec);
  CHECK(dec.err() == error{"missing-field", "no 'total_l' field"});
}

TEST_CASE("units convert to the metric's canonical unit before scale and offset apply",
          "[normalize]") {
  const auto t = type_from(R"(
type: test.units
transport: zigbee2mqtt
fields:
  - { path: volume, metric: water.total_l, unit: m3 }
  - { path: methane_ppm, metric: gas.lel_pct, unit: ppm }
  - { path: tilt.x, metric: tilt.x_deg, unit: mrad }
  - { path: settle_cm, metric: subsidence_mm, unit: cm, scale: -1 }
  - { path: raw_battery, metric: device.battery_pct, scale: 0.5, offset: 10 }
)");
  auto dec = normalize::decode(
      t, "zigbee2mqtt/dev",
      R"({"volume":1.5,"methane_ppm":5000,"tilt":{"x":1000},"settle_cm":2.5,"raw_battery":100})");
  const auto v = values_of(dec);
  REQUIRE(v.size() == 5);
  CHECK(v[0] == value{metric::water_total_l, 1500});
  CHECK(v[1].v == Approx(10.0));  // 50,000 ppm methane is 100 %LEL
  CHECK(v[2].v == Approx(57.29577951308232));
  CHECK(v[3] == value{metric::subsidence_mm, -25});
  CHECK(v[4] == value{metric::device_battery_pct, 60});
}

TEST_CASE("malformed, non-object and oversized payloads are rejected with their reason",
          "[normalize]") {
  CHECK(normalize::parse_json(R"({"action":"emergency","battery":)").err().code ==
        "malformed-json");
  CHECK(normalize::parse_json("[1,2]").err().code == "malformed-json");
  const std::string big = R"({"pad":")" + std::string(64 * 1024, 'x') + R"("})";
  CHECK(normalize::parse_json(big).err().code == "oversized");
}

TEST_CASE("zigbee2mqtt availability becomes device.online for the device", "[normalize]") {
  auto st = normalize::z2m_status_topic("zigbee2mqtt/0x00158d0008a1b2c5/availability",
                                        R"({"state":"offline"})");
  REQUIRE(st);
  REQUIRE(*st);
  CHECK((*st)->external_id == "0x00158d0008a1b2c5");
  CHECK((*st)->online == false);
  auto dec = normalize::decode(z2m_sos(), "zigbee2mqtt/0x00158d0008a1b2c5/availability", "online");
  CHECK(values_of(dec) == std::vector<value>{{metric::device_online, 1}});
}

TEST_CASE(
    "zigbee2mqtt bridge state becomes device.online for the bridge, whose id is <base>/bridge",
    "[normalize]") {
  auto st = normalize::z2m_status_topic("zigbee2mqtt/bridge/state", R"({"state":"online"})");
  REQUIRE(st);
  REQUIRE(*st);
  CHECK((*st)->external_id == "zigbee2mqtt/bridge");
  CHECK((*st)->online);
  auto other_base = normalize::z2m_status_topic("z2m-b3/bridge/state", "offline");
  REQUIRE(other_base);
  REQUIRE(*other_base);
  CHECK((*other_base)->external_id == "z2m-b3/bridge");
  CHECK_FALSE((*other_base)->online);
  auto bad = normalize::z2m_status_topic("zigbee2mqtt/bridge/state", R"({"state":"starting"})");
  REQUIRE(bad);
  REQUIRE_FALSE(*bad);
  CHECK(bad->err().code == "wrong-type");
  CHECK_FALSE(normalize::z2m_status_topic("zigbee2mqtt/0xabc", "{}"));
}

TEST_CASE("topic patterns: {external_id} and '+' match exactly one level", "[normalize]") {
  CHECK(normalize::match_topic("zigbee2mqtt/{external_id}", "zigbee2mqtt/sos-1") == "sos-1");
  CHECK_FALSE(
      normalize::match_topic("zigbee2mqtt/{external_id}", "zigbee2mqtt/sos-1/availability"));
  CHECK_FALSE(normalize::match_topic("zigbee2mqtt/{external_id}", "zigbee2mqtt/"));
  CHECK(normalize::match_topic("v3/+/devices/+/up", "v3/app@tenant/devices/meter/up") == "");
  CHECK_FALSE(normalize::match_topic("v3/+/devices/+/up", "v3/app@tenant/devices/meter/down"));
}

TEST_CASE("base64: standard and URL alphabets, padding optional, bad characters refused",
          "[normalize]") {
  CHECK(normalize::base64_decode("QOIBAABY") == std::string("\x40\xe2\x01\x00\x00\x58", 6));
  CHECK(normalize::base64_decode("AWQ=") == std::string("\x01\x64", 2));
  CHECK(normalize::base64_decode("AWQ") == std::string("\x01\x64", 2));
  CHECK(normalize::base64_decode("_-8") == std::string("\xff\xef", 2));
  CHECK_FALSE(normalize::base64_decode("QO*B"));
  CHECK_FALSE(normalize::base64_decode("Q"));
}

TEST_CASE("a boolean read as a number, or a number as a boolean, is rejected as wrong-type",
          "[normalize]") {
  // Before: `water.total_l: true` became 1 L and `sos.pressed: 1` raised an SOS.
  const auto t = type_from("type: native\ntransport: native\n");
  auto dec = normalize::decode(
      t, "hearth/v1/devices/meter-1/up",
      R"({"ts":"2026-11-20T07:31:00Z","metrics":{"water.total_l":true,"device.battery_pct":70}})");
  CHECK(values_of(dec) == std::vector<value>{{metric::device_battery_pct, 70}});
  REQUIRE(dec->field_errors.size() == 1);
  CHECK(dec->field_errors[0] ==
        error{"wrong-type", "'water.total_l' must be a number for water.total_l, not true"});
  auto press = normalize::decode(t, "hearth/v1/devices/button-1/up",
                                 R"({"ts":"2026-11-20T07:31:00Z","metrics":{"sos.pressed":1}})");
  REQUIRE_FALSE(press);
  CHECK(press.err() ==
        error{"wrong-type", "'sos.pressed' is true or false for sos.pressed, not 1"});
  // A mapped field reads what the type maps; an unmapped boolean field needs true or false.
  const auto smoke = type_from(
      "type: z2m.smoke\ntransport: zigbee2mqtt\nfields:\n  - { path: smoke, metric: smoke.alarm }\n"
      "  - { path: battery, metric: device.battery_pct }\n");
  auto s = normalize::decode(smoke, "zigbee2mqtt/smoke-1", R"({"smoke":1,"battery":false})");
  REQUIRE_FALSE(s);
  CHECK(s.err() == error{"wrong-type", "'smoke' is true or false for smoke.alarm, not 1"});
  CHECK(values_of(normalize::decode(smoke, "zigbee2mqtt/smoke-1", R"({"smoke":true})")) ==
        std::vector<value>{{metric::smoke_alarm, 1}});
}

TEST_CASE("an event time that cannot be true (before 2000) is rejected as bad-timestamp",
          "[normalize]") {
  const auto t = type_from("type: native\ntransport: native\n");
  auto dec = normalize::decode(t, "hearth/v1/devices/button-1/up",
                               R"({"ts":"1970-01-01T00:00:07Z","metrics":{"sos.pressed":true}})");
  REQUIRE_FALSE(dec);
  CHECK(dec.err() == error{"bad-timestamp",
                           "'ts' is 1970-01-01T00:00:07Z, before 2000: the device's clock is not "
                           "set"});
  CHECK(normalize::decode(t, "hearth/v1/devices/button-1/up",
                          R"({"ts":"2000-01-01T00:00:00Z","metrics":{"sos.pressed":true}})"));
}
