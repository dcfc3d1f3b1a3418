// SPDX-License-Identifier: Apache-2.0
// The json transport: any topic pattern, the external id from a topic level or a payload
// path, the event time from a payload path (RFC 3339, epoch seconds or milliseconds; receipt
// time when absent), an optional frame counter, and battery voltages read as percentages.
#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "catalog/device_type.hpp"
#include "normalize/normalizer.hpp"
#include "support/catalog_support.hpp"

namespace {
using namespace hearth;

using test::type_from;

result<normalize::envelope> envelope_of(const catalog::device_type& t, std::string_view topic,
                                        std::string_view payload) {
  auto doc = normalize::parse_json(payload);
  REQUIRE(doc);
  return normalize::open_envelope(t, topic, std::move(doc.value()));
}

time_point at(const char* rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

const catalog::device_type& meter() {
  static const auto t = type_from(R"(
type: test.nbiot-meter
transport: json
topic: "nbiot/watermeter/{external_id}/report"
event_time: { path: timestamp, format: epoch_ms }
frame_counter: upPacketSN
fields:
  - { path: payload.serviceData.cumulativeFlow, metric: water.total_l, unit: m3 }
  - { path: payload.serviceData.batteryVoltage, metric: device.battery_pct, unit: V, empty: 3.0, full: 3.6 }
)");
  return t;
}

const catalog::device_type& meter_with(const char* format) {
  static std::map<std::string, catalog::device_type> by_format;
  auto it = by_format.find(format);
  if (it == by_format.end())
    it = by_format
             .emplace(format, type_from(std::string(R"(
type: test.timed
transport: json
topic: "vendor/+/{external_id}"
event_time: { path: meta.at, format: )") +
                                        format + R"( }
fields:
  - { path: flow, metric: water.total_l }
)"))
             .first;
  return it->second;
}

}  // namespace

TEST_CASE("json: the external id is the topic level, the time and counter come from the payload",
          "[normalize]") {
  auto env =
      envelope_of(meter(), "nbiot/watermeter/868333030012345/report",
                  R"({"upPacketSN":5812,"timestamp":1795157400000,"IMEI":"868333030012345",)"
                  R"("payload":{"serviceData":{"cumulativeFlow":123.456,"batteryVoltage":3.45}}})");
  REQUIRE(env);
  CHECK(env->external_id == "868333030012345");
  CHECK(env->event_time == at("2026-11-20T06:50:00Z"));
  CHECK(env->frame_counter == 5812u);
  auto dec = normalize::map_fields(meter(), *env);
  REQUIRE(dec);
  REQUIRE(dec->values.size() == 2);
  CHECK(dec->values[0].metric == metric::water_total_l);
  CHECK(dec->values[0].v == Approx(123456));
  CHECK(dec->values[1].metric == metric::device_battery_pct);
  CHECK(dec->values[1].v == Approx(75));
  CHECK(dec->event_time == env->event_time);
}

TEST_CASE("json: a topic of another shape is not this type's", "[normalize]") {
  auto env = envelope_of(meter(), "nbiot/gasmeter/868333030012345/report", R"({"timestamp":1})");
  REQUIRE_FALSE(env);
  CHECK(env.err().code == "unknown-topic");
}

TEST_CASE("json: a frame counter the platform marks as absent (-1) is no counter", "[normalize]") {
  auto env = envelope_of(meter(), "nbiot/watermeter/1/report",
                         R"({"upPacketSN":-1,"timestamp":1795157400000})");
  REQUIRE(env);
  CHECK_FALSE(env->frame_counter);
}

TEST_CASE("json: the external id from a payload path, the time in fractional epoch seconds",
          "[normalize]") {
  const auto shelly = type_from(R"(
type: test.shelly
transport: json
topic: "+/events/rpc"
external_id: src
event_time: { path: params.ts, format: epoch_s }
fields:
  - { path: params.switch:0.aenergy.total, metric: power.total_kwh, unit: Wh }
  - { path: params.switch:0.apower, metric: power.w }
)");
  CHECK(shelly.subscription() == "+/events/rpc");
  auto env = envelope_of(
      shelly, "shellyplusplugs-e465b8b6ebc0/events/rpc",
      R"({"src":"shellyplusplugs-e465b8b6ebc0","method":"NotifyStatus","params":{"ts":1795158060.52,)"
      R"("switch:0":{"id":0,"apower":1843.2,"aenergy":{"total":48211.734}}}})");
  REQUIRE(env);
  CHECK(env->external_id == "shellyplusplugs-e465b8b6ebc0");
  CHECK(env->event_time == at("2026-11-20T07:01:00.520Z"));
  CHECK_FALSE(env->frame_counter);
  auto dec = normalize::map_fields(shelly, *env);
  REQUIRE(dec);
  REQUIRE(dec->values.size() == 2);
  CHECK(dec->values[0].metric == metric::power_total_kwh);
  CHECK(dec->values[0].v == Approx(48.211734).epsilon(1e-12));
  CHECK(dec->values[1].metric == metric::power_w);
  CHECK(dec->values[1].v == Approx(1843.2));
  auto no_src = envelope_of(shelly, "x/events/rpc", R"({"params":{"ts":1795158060}})");
  REQUIRE_FALSE(no_src);
  CHECK(no_src.err() == error{"missing-field", "no 'src' field"});
}

TEST_CASE("json: event times in each format, and receipt time when the payload has none",
          "[normalize]") {
  const auto topic = "vendor/site-1/dev-1";
  struct row {
    const char* format;
    const char* payload;
    std::optional<time_point> expected;
  };
  for (const auto& r : {
           row{"rfc3339", R"({"meta":{"at":"2026-11-20T14:50:00+08:00"}})",
               at("2026-11-20T06:50:00Z")},
           row{"rfc3339", R"({"flow":1})", std::nullopt},
           row{"rfc3339", R"({"meta":{"at":null}})", std::nullopt},
           row{"epoch_s", R"({"meta":{"at":1795157400}})", at("2026-11-20T06:50:00Z")},
           row{"epoch_s", R"({"meta":{"at":"1795157400"}})", at("2026-11-20T06:50:00Z")},
           row{"epoch_ms", R"({"meta":{"at":1795157400123}})", at("2026-11-20T06:50:00.123Z")},
           row{"epoch_ms", R"({"meta":{}})", std::nullopt},
       }) {
    DYNAMIC_SECTION(r.format << " " << r.payload) {
      auto env = envelope_of(meter_with(r.format), topic, r.payload);
      INFO((env ? std::string() : env.err().message));
      REQUIRE(env);
      CHECK(env->external_id == "dev-1");
      CHECK(env->event_time == r.expected);
    }
  }
}

TEST_CASE("json: an event time that cannot be read rejects the message as bad-timestamp",
          "[normalize]") {
  const auto topic = "vendor/site-1/dev-1";
  struct row {
    const char* format;
    const char* payload;
    const char* message;
  };
  for (const auto& r : {
           row{"rfc3339", R"({"meta":{"at":"2026-11-20 14:50"}})",
               "'meta.at' is not an RFC 3339 time: '2026-11-20 14:50'"},
           row{"rfc3339", R"({"meta":{"at":1795157400}})", "'meta.at' is not an RFC 3339 string"},
           row{"epoch_s", R"({"meta":{"at":"yesterday"}})",
               "'meta.at' is not a count of epoch seconds"},
           row{"epoch_s", R"({"meta":{"at":true}})", "'meta.at' is not a count of epoch seconds"},
           row{"epoch_ms", R"({"meta":{"at":-5}})",
               "'meta.at' is not a count of epoch milliseconds"},
           row{"epoch_ms", R"({"meta":{"at":1795157400}})",
               "'meta.at' = 1795157400 epoch milliseconds is not between 2000 and 9999 (is the "
               "format epoch_s or epoch_ms?)"},
           row{"epoch_s", R"({"meta":{"at":1795157400000}})",
               "'meta.at' = 1795157400000 epoch seconds is not between 2000 and 9999 (is the "
               "format epoch_s or epoch_ms?)"},
       }) {
    DYNAMIC_SECTION(r.format << " " << r.payload) {
      auto env = envelope_of(meter_with(r.format), topic, r.payload);
      REQUIRE_FALSE(env);
      CHECK(env.err() == error{"bad-timestamp", r.message});
    }
  }
}

TEST_CASE("battery voltage: linear between empty and full, clamped, in V or mV", "[normalize]") {
  const auto mv = type_from(R"(
type: test.mv
transport: json
topic: "t/{external_id}"
fields:
  - { path: bat, metric: device.battery_pct, unit: mV, empty: 2200, full: 3000 }
)");
  REQUIRE(mv.fields.front().battery);
  CHECK(mv.fields.front().battery->empty_v == Approx(2.2));
  CHECK(mv.fields.front().battery->full_v == Approx(3.0));
  struct row {
    double sent;
    double pct;
  };
  for (const auto& r :
       {row{2200, 0}, row{2600, 50}, row{3000, 100}, row{3100, 100}, row{2000, 0}, row{0, 0}}) {
    DYNAMIC_SECTION(r.sent << " mV") {
      auto dec = normalize::decode(mv, "t/x", "{\"bat\":" + std::to_string(r.sent) + "}");
      REQUIRE(dec);
      REQUIRE(dec->values.size() == 1);
      CHECK(dec->values[0].v == Approx(r.pct).margin(1e-9));
    }
  }
}

TEST_CASE("battery voltage: a figure far above a full battery is rejected alone", "[normalize]") {
  auto dec = normalize::decode(
      meter(), "nbiot/watermeter/1/report",
      R"({"timestamp":1795157400000,"payload":{"serviceData":{"cumulativeFlow":1,"batteryVoltage":3450}}})");
  REQUIRE(dec);
  REQUIRE(dec->values.size() == 1);
  CHECK(dec->values[0].metric == metric::water_total_l);
  REQUIRE(dec->field_errors.size() == 1);
  CHECK(dec->field_errors[0] ==
        error{"out-of-range",
              "payload.serviceData.batteryVoltage = 3450 V is not a plausible voltage for a "
              "battery that is full at 3.6 V"});
}

TEST_CASE("catalog: event_time and frame_counter are parsed for json types", "[catalog]") {
  CHECK(meter().transport == catalog::transport::json);
  REQUIRE(meter().event_time);
  CHECK(meter().event_time->path == "timestamp");
  CHECK(meter().event_time->format == catalog::time_format::epoch_ms);
  CHECK(meter().frame_counter_path == "upPacketSN");
  CHECK(meter().external_id_path.empty());
  CHECK(meter().subscription() == "nbiot/watermeter/+/report");
  const auto rfc = type_from(R"(
type: test.rfc
transport: json
topic: "a/{external_id}"
event_time: { path: ts }
fields: [{ path: v, metric: power.w }]
)");
  REQUIRE(rfc.event_time);
  CHECK(rfc.event_time->format == catalog::time_format::rfc3339);
}
