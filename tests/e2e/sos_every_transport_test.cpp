// SPDX-License-Identifier: Apache-2.0
// An SOS from every transport (Zigbee2MQTT, ChirpStack, The Things Stack, native) takes the
// priority lane under a meter flood that the bulk lane sheds: each opens its P1 alert at
// once, none is shed, and exactly those four messages were priority. The LoRaWAN buttons'
// types say nothing of life-safety: mapping sos.pressed is enough.
#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "base/time.hpp"
#include "support/harness.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

double metric(const daemon_process& d, const std::string& series) {
  return metric_value(http_get(d.http_port(), "/metrics").body, series);
}

std::set<std::string> sos_devices(const daemon_process& d) {
  std::set<std::string> out;
  const auto r = http_get(d.http_port(), "/api/v1/alerts?priority=1");
  if (r.status != 200) return out;
  const auto doc = json::parse(r.body);
  for (const auto& a : doc.at("alerts").as_array())
    if (a.at("rule") == "sos-pressed")
      out.insert(std::string(a.at("subject").at("device_id").as_string()));
  return out;
}

std::string now_text() {
  return hearth::format_rfc3339(
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("an SOS from every transport takes the priority lane under a meter flood",
          "[e2e][overload]") {
  temp_dir dir;
  // The shipped types, plus an SOS button on ChirpStack and one on The Things Stack (its own
  // application, so its topics are known to be life-safety from the first message).
  const auto devices = dir / "devices";
  std::filesystem::create_directories(devices);
  for (const auto& e : std::filesystem::directory_iterator(HEARTH_SOURCE_DIR "/devices"))
    std::filesystem::copy_file(e.path(), devices / e.path().filename());
  write_file(devices / "lora.sos-button.yaml",
             "type: lora.sos-button\nname: {zh-CN: LoRa SOS 按键, en: LoRa SOS button}\n"
             "transport: chirpstack\nfields:\n"
             "  - { path: sos, metric: sos.pressed }\n");
  write_file(devices / "tts.sos-button.yaml",
             "type: tts.sos-button\nname: {zh-CN: TTS SOS 按键, en: TTS SOS button}\ntransport: "
             "tts\ntopic: \"v3/sos-buttons@ttn/devices/+/up\"\n"
             "fields:\n  - { path: sos, metric: sos.pressed }\n");
  const auto registry = dir / "registry";
  std::filesystem::create_directories(registry);
  for (const auto& e : std::filesystem::directory_iterator(HEARTH_TEST_DATA "/registry"))
    std::filesystem::copy_file(e.path(), registry / e.path().filename());
  {
    std::ofstream out(registry / "devices.csv", std::ios::app);
    out << "sos-lora,a84041000181c2ff,lora.sos-button,H-3-502,B3,hall\n"
        << "sos-tts,70B3D57ED0000001,tts.sos-button,H-3-503,B3,hall\n";
  }

  broker mosquitto(dir);
  daemon_process::options o;
  o.devices_dir = devices.string();
  o.registry_dir = registry.string();
  o.extra_config = "ingest: { bulk_queue_messages: 2000, store_backlog: 1 }\n";
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_connected();
  REQUIRE(eventually([&] {
    return metric(hearthd, "mqtt_priority_session_connected") == 1 &&
           metric(hearthd, "hearth_ingest_priority_session_pending") == 0 &&
           metric(hearthd, "hearth_ingest_priority_session_topics") >= 6;
  }));

  // The flood: ChirpStack meter uplinks, QoS 0, as fast as the client sends them.
  mqtt::async_client flood(mosquitto.uri(), "hearth-test-flood-" + std::to_string(free_port()));
  flood.connect()->wait_for(10s);
  std::atomic<bool> stop{false};
  std::thread flooder([&] {
    const auto t = now_text();
    for (long n = 1; !stop; ++n) {
      try {
        flood.publish("application/7/device/a84041000181c2d1/event/up",
                      fmt::format(R"({{"time":"{}","deviceInfo":{{"devEui":"a84041000181c2d1"}},)"
                                  R"("fCnt":{},"fPort":1,"data":"QOIBAABY"}})",
                                  t, n),
                      0, false);
      } catch (const mqtt::exception&) {
        std::this_thread::yield();  // the client's buffer is full
      }
    }
  });
  REQUIRE(eventually(
      [&] { return metric(hearthd, R"(hearth_messages_shed_total{lane="bulk"})") > 0; }, 30s));

  // Four presses, one per transport, while the bulk lane sheds.
  mqtt::async_client button(mosquitto.uri(), "hearth-test-sos-" + std::to_string(free_port()));
  button.connect()->wait_for(10s);
  const auto t = now_text();
  button.publish("zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency"})", 1, false);
  button.publish("application/7/device/a84041000181c2ff/event/up",
                 fmt::format(R"({{"time":"{}","deviceInfo":{{"devEui":"a84041000181c2ff"}},)"
                             R"("fCnt":1,"fPort":1,"object":{{"sos":true}}}})",
                             t),
                 1, false);
  button.publish(
      "v3/sos-buttons@ttn/devices/sos-tts/up",
      fmt::format(
          R"({{"end_device_ids":{{"device_id":"sos-tts","dev_eui":"70B3D57ED0000001"}},)"
          R"("received_at":"{}","uplink_message":{{"f_cnt":1,"decoded_payload":{{"sos":true}}}}}})",
          t),
      1, false);
  button
      .publish("hearth/v1/devices/button-demo-1/up",
               fmt::format(R"({{"ts":"{}","metrics":{{"sos.pressed":true}}}})", t), 1, false)
      ->wait_for(10s);
  const std::set<std::string> all{"sos-3-502", "sos-lora", "sos-tts", "button-demo-1"};
  const bool opened = eventually([&] { return sos_devices(hearthd) == all; }, 10s);
  stop = true;
  flooder.join();
  flood.disconnect()->wait_for(5s);
  button.disconnect()->wait_for(5s);
  INFO(hearthd.proc().log());
  REQUIRE(opened);
  const auto m = http_get(hearthd.http_port(), "/metrics").body;
  CHECK(metric_value(m, R"(hearth_messages_shed_total{lane="bulk"})") > 0);
  CHECK(metric_value(m, R"(hearth_messages_shed_total{lane="priority"})") == 0);
  CHECK(metric_value(m, "hearth_ingest_priority_total") == 4);  // the presses, and only they
}
