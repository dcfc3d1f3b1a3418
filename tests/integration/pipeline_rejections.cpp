// SPDX-License-Identifier: Apache-2.0
// The pipeline with a real store: every rejection reason is counted on /metrics and kept in
// quarantine; unregistered senders are listed by GET /api/v1/devices/unknown; Zigbee2MQTT
// availability and bridge state are stored as device.online.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "api/routes.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "support/auth_support.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

time_point at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

/// A pipeline over the shipped device types and the sample registry, storing in a temp file.
struct rig {
  fs::path dir = fs::temp_directory_path() / fmt::format("hearth-pipeline-{}", ::getpid());
  std::string db = (fs::create_directories(dir), (dir / "hearth.db").string());
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  telemetry tel;
  store::store st{db};
  store::writer writer{db, tel};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, &writer, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{}; }};

  rig() {
    diagnostics d;
    auto types = std::make_shared<catalog::catalog>(
        catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d));
    registry::tables parsed;
    auto reg = app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                          registry::registry{}, types.get(), parsed, d);
    for (const auto& x : d)
      UNSCOPED_INFO(x.text());
    REQUIRE(reg);
    pipe.set_catalog(types);
    pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  }
  ~rig() {
    writer.flush();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void send(const std::string& topic, const std::string& payload) {
    clock.advance(10s);  // distinct messages, outside the 2 s same-payload window
    pipe.on_message(topic, payload, clock.now());
  }
  double rejected(const char* reason) {
    return tel.value("hearth_messages_rejected_total", fmt::format("reason=\"{}\"", reason));
  }
  std::map<std::string, int> quarantined() {
    writer.flush();
    std::map<std::string, int> by_reason;
    for (const auto& q : st.quarantine(1000))
      ++by_reason[q.reason];
    return by_reason;
  }
  boost::json::value get(const std::string& path) {
    api::request r;
    r.method = "GET";
    r.path = path;
    r.headers["authorization"] =
        "Bearer " + hearth::test::issue_token(st, "integrator-1", auth::role::integrator);
    auto res = routes.handle(r);
    REQUIRE(res.status == 200);
    return boost::json::parse(res.body);
  }
};

const std::string k_sos = "zigbee2mqtt/0x00158d0008a1b2c3";
const std::string k_smoke = "zigbee2mqtt/0x00158d0008a1b2c4";
const std::string k_meter = "application/7d3f/device/a84041000181c2d1/event/up";
}  // namespace

TEST_CASE("every rejection reason has a counter from the start, at zero", "[normalize][pipeline]") {
  rig r;
  const auto text = r.tel.render();
  for (const char* reason : {"malformed-json", "missing-field", "out-of-range", "oversized",
                             "future-timestamp", "duplicate", "unregistered-device"})
    CHECK(text.find(fmt::format("hearth_messages_rejected_total{{reason=\"{}\"}} 0", reason)) !=
          std::string::npos);
}

TEST_CASE("each rejection reason is counted and quarantined with its reason",
          "[normalize][pipeline]") {
  rig r;
  r.send(k_sos, R"({"action":"emergency","battery":)");  // malformed JSON
  r.send(
      k_meter,
      R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":1,"object":{"battery":50}})");  // no
                                                                                            // total_l
  r.send(k_smoke, R"({"smoke":true,"battery":255})");                    // battery out of range
  r.send(k_sos, R"({"pad":")" + std::string(65 * 1024, 'x') + R"("})");  // oversized
  r.send("hearth/v1/devices/button-demo-1/up",
         fmt::format(R"({{"ts":"{}","metrics":{{"sos.pressed":true}}}})",
                     format_rfc3339(r.clock.now() + 10min + 10s)));
  const auto frame =
      R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":4411,"fPort":1,"data":"QOIBAABY"})";
  r.send(k_meter, frame);
  r.send(k_meter, frame);  // same frame counter again: a redelivery
  r.clock.advance(1s);
  r.pipe.on_message(k_sos, R"({"action":"single","battery":90})", r.clock.now());
  r.clock.advance(1s);
  r.pipe.on_message(k_sos, R"({"action":"single","battery":90})",
                    r.clock.now());  // same payload within 2 s

  CHECK(r.rejected("malformed-json") == 1);
  CHECK(r.rejected("missing-field") == 1);
  CHECK(r.rejected("out-of-range") == 1);
  CHECK(r.rejected("oversized") == 1);
  CHECK(r.rejected("future-timestamp") == 1);
  CHECK(r.rejected("duplicate") == 2);
  CHECK(r.quarantined() == std::map<std::string, int>{{"malformed-json", 1},
                                                      {"missing-field", 1},
                                                      {"out-of-range", 1},
                                                      {"oversized", 1},
                                                      {"future-timestamp", 1},
                                                      {"duplicate", 2}});
  // The smoke alarm survived its bad battery figure.
  auto smoke = r.get("/api/v1/devices/smoke-3-502/readings").at("readings").as_array();
  REQUIRE(smoke.size() == 1);
  CHECK(smoke[0].at("metric") == "smoke.alarm");
  CHECK(smoke[0].at("value") == true);
}

TEST_CASE(
    "GET /api/v1/devices/unknown lists unregistered senders with first seen, last seen and count",
    "[normalize][pipeline][api]") {
  rig r;
  r.send("zigbee2mqtt/0xnew-button", R"({"action":"emergency"})");
  const auto first = r.clock.now();
  r.send("zigbee2mqtt/0xnew-button", R"({"action":"single"})");
  const auto last = r.clock.now();
  r.send("hearth/v1/devices/stray-1/up",
         R"({"ts":"2026-11-20T07:00:00Z","metrics":{"sos.pressed":true}})");
  CHECK(r.rejected("unregistered-device") == 3);
  CHECK(r.quarantined() == std::map<std::string, int>{{"unregistered-device", 3}});
  r.writer.flush();
  const auto list = r.get("/api/v1/devices/unknown").at("devices").as_array();
  REQUIRE(list.size() == 2);
  const auto& stray = list[0].as_object();  // most recently seen first
  CHECK(stray.at("external_id") == "stray-1");
  CHECK(stray.at("count") == 1);
  const auto& button = list[1].as_object();
  CHECK(button.at("external_id") == "0xnew-button");
  CHECK(button.at("last_topic") == "zigbee2mqtt/0xnew-button");
  CHECK(button.at("first_seen") == boost::json::value(format_rfc3339(first)));
  CHECK(button.at("last_seen") == boost::json::value(format_rfc3339(last)));
  CHECK(button.at("count") == 2);
}

TEST_CASE("zigbee2mqtt bridge state and device availability are stored as device.online",
          "[normalize][pipeline]") {
  rig r;
  r.send("zigbee2mqtt/bridge/state", R"({"state":"offline"})");
  const auto bridge_at = r.clock.now();
  r.send("zigbee2mqtt/0x00158d0008a1b2c5/availability", R"({"state":"offline"})");
  r.send("zigbee2mqtt/0x00158d0008a1b2c5/availability", "online");
  r.writer.flush();
  auto bridge = r.get("/api/v1/devices/bridge-b3/readings").at("readings").as_array();
  REQUIRE(bridge.size() == 1);
  CHECK(bridge[0].at("metric") == "device.online");
  CHECK(bridge[0].at("value") == false);
  CHECK(bridge[0].at("ts") == boost::json::value(format_rfc3339(bridge_at)));
  auto gas = r.get("/api/v1/devices/gas-3-502/readings").at("readings").as_array();
  REQUIRE(gas.size() == 2);
  CHECK(gas[0].at("value") == false);
  CHECK(gas[1].at("value") == true);
  CHECK(r.quarantined().empty());
}

TEST_CASE(
    "a device is decoded by its own type even when another type on its transport matches first",
    "[normalize][registry]") {
  // tts.tilt-sensor sorts before tts.water-meter and shares its topic pattern, but has no
  // binary frame: a meter uplink without decoded_payload must still be decoded as a meter.
  rig r;
  registry::tables t;
  t.devices.push_back(
      {"meter-4-101", "A84041000181C3A0", "tts.water-meter", "H-3-503", "B3", "utility"});
  diagnostics d;
  r.pipe.set_registry(std::make_shared<registry::registry>(r.pipe.devices().merged(t, d)));
  REQUIRE(d.empty());
  r.send("v3/community-meters@hearth/devices/meter-4-101/up",
         R"({"end_device_ids": {"device_id": "meter-4-101", "dev_eui": "A84041000181C3A0"},
             "received_at": "2026-11-20T07:00:05Z",
             "uplink_message": {"f_port": 1, "f_cnt": 12, "frm_payload": "QOIBAABY"}})");
  r.writer.flush();
  const auto stored = r.st.readings("meter-4-101", time_point{}, time_point::max());
  CHECK(r.quarantined().empty());
  REQUIRE(stored.size() == 6);
  CHECK(stored[0].metric == metric::water_total_l);
  CHECK(stored[0].value == 123456);
}
