// SPDX-License-Identifier: Apache-2.0
// The second MQTT session for life-safety topics: each SOS reaches hearthd on both
// sessions, is handled exactly once, and the second copy is dropped (counted), not
// quarantined as a duplicate; presses with the same bytes are matched by count, so none is
// swallowed; without the priority session everything arrives on the main one.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/sqlite_peek.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr const char* k_sos_topic = "zigbee2mqtt/0x00158d0008a1b2c3";  // sos-3-502

double metric(const daemon_process& d, const std::string& series) {
  return metric_value(http_get(d.http_port(), "/metrics").body, series);
}

double copies_dropped(const daemon_process& d) {
  return metric(d, R"(hearth_ingest_copies_dropped_total{session="main"})") +
         metric(d, R"(hearth_ingest_copies_dropped_total{session="priority"})");
}

json::object only_alert(const daemon_process& d) {
  const auto r = http_get(d.http_port(), "/api/v1/alerts");
  const auto a = json::parse(r.body).as_object().at("alerts").as_array();
  REQUIRE(a.size() == 1);
  return a.at(0).as_object();
}

}  // namespace

TEST_CASE(
    "an SOS arrives on both sessions and is handled once, and repeated bytes are matched copy "
    "for copy",
    "[e2e][priority-session]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  REQUIRE(eventually([&] { return metric(hearthd, "mqtt_priority_session_connected") == 1; }));
  // The test registry's life-safety devices on Zigbee2MQTT: an SOS button, a smoke and a
  // gas detector, each subscribed by its exact topic.
  REQUIRE(eventually([&] {
    return metric(hearthd, "hearth_ingest_priority_session_topics") >= 3 &&
           metric(hearthd, "hearth_ingest_priority_session_pending") == 0;
  }));

  const std::string press = R"({"action": "emergency", "battery": 92})";
  publish(mosquitto.uri(), k_sos_topic, press);
  REQUIRE(eventually([&] { return copies_dropped(hearthd) == 1; }));
  CHECK(only_alert(hearthd).at("occurrences") == 1);
  CHECK(query_int(hearthd.database(), "SELECT COUNT(*) FROM quarantine") == 0);
  CHECK(metric(hearthd, "hearth_messages_received_total") == 1);

  // The same bytes twice more, at once: both come through the matcher (it matches copies by
  // count, so neither is swallowed), and the pipeline then decides, as with one session:
  // Zigbee2MQTT bytes repeated within 2 s are a redelivery (quarantined "duplicate"), later
  // they are another press on the same alert. Every press is one or the other.
  publish(mosquitto.uri(), k_sos_topic, press);
  publish(mosquitto.uri(), k_sos_topic, press);
  REQUIRE(eventually([&] { return metric(hearthd, "hearth_messages_received_total") == 3; }));
  REQUIRE(eventually([&] { return copies_dropped(hearthd) == 3; }));
  auto duplicates = [&] {
    return query_int(hearthd.database(),
                     "SELECT COUNT(*) FROM quarantine WHERE reason = 'duplicate'");
  };
  REQUIRE(eventually(
      [&] { return only_alert(hearthd).at("occurrences").as_int64() + duplicates() == 3; }));
  CHECK(duplicates() >= 1);  // the last two were 0-2 ms apart

  // Ordinary traffic comes on the main session only: nothing to match, nothing dropped.
  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c3/availability", "online");
  REQUIRE(eventually([&] { return metric(hearthd, "hearth_messages_received_total") == 4; }));
  CHECK(copies_dropped(hearthd) == 3);
}

TEST_CASE("a life-safety topic learned from its first message joins the priority session",
          "[e2e][priority-session]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  REQUIRE(eventually([&] {
    return metric(hearthd, "hearth_ingest_priority_session_topics") >= 3 &&
           metric(hearthd, "hearth_ingest_priority_session_pending") == 0;
  }));
  const double before = metric(hearthd, "hearth_ingest_priority_session_topics");
  // A tilt sensor on The Things Stack shares its topic pattern with water meters: its
  // topic is known to be life-safety only once the pipeline has decoded one uplink.
  const std::string topic = "v3/community-structure@hearth/devices/tilt-b3-ne/up";
  publish(
      mosquitto.uri(), topic,
      R"({"end_device_ids": {"device_id": "tilt-b3-ne", "application_ids": {"application_id": "community-structure"}, "dev_eui": "24E124710B423527"}, "received_at": "2026-11-20T07:29:59.120Z", "uplink_message": {"f_port": 85, "f_cnt": 311, "frm_payload": "AWQ=", "decoded_payload": {"angle_x": 0.41, "angle_y": -0.12, "angle_z": 89.6, "battery": 97}}})");
  REQUIRE(eventually([&] {
    return metric(hearthd, "hearth_ingest_priority_session_topics") == before + 1 &&
           metric(hearthd, "hearth_ingest_priority_session_pending") == 0;
  }));
  CHECK(copies_dropped(hearthd) == 0);
  // The next uplink arrives on both sessions and is handled once.
  publish(
      mosquitto.uri(), topic,
      R"({"end_device_ids": {"device_id": "tilt-b3-ne", "application_ids": {"application_id": "community-structure"}, "dev_eui": "24E124710B423527"}, "received_at": "2026-11-20T07:29:59.120Z", "uplink_message": {"f_port": 85, "f_cnt": 312, "frm_payload": "AWQ=", "decoded_payload": {"angle_x": 0.41, "angle_y": -0.12, "angle_z": 89.6, "battery": 97}}})");
  REQUIRE(eventually([&] { return copies_dropped(hearthd) == 1; }));
  CHECK(metric(hearthd, "hearth_messages_received_total") == 2);
}

TEST_CASE("with the priority session off, life-safety messages arrive on the main session alone",
          "[e2e][priority-session]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process::options o;
  o.extra_config = "ingest: { priority_session: false }\n";
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_connected();
  publish(mosquitto.uri(), k_sos_topic, R"({"action": "emergency", "battery": 92})");
  REQUIRE(eventually([&] {
    return http_get(hearthd.http_port(), "/api/v1/alerts").body.find("sos-pressed") !=
           std::string::npos;
  }));
  CHECK(metric(hearthd, "mqtt_priority_session_connected") == 0);
  CHECK(copies_dropped(hearthd) == 0);
  CHECK(metric(hearthd, "hearth_messages_received_total") == 1);
}
