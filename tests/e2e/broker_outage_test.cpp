// SPDX-License-Identifier: Apache-2.0
// Broker outages: hearthd reconnects with backoff, resubscribes, reports mqtt_connected in
// /metrics and /healthz, and a broker that is down when hearthd starts is not fatal.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "base/time.hpp"
#include "support/harness.hpp"
#include "support/sqlite_peek.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

json::object health(unsigned short port) {
  auto r = http_get(port, "/healthz");
  if (r.status == 0) return {};
  return json::parse(r.body).as_object();
}

double connected_metric(unsigned short port) {
  return metric_value(http_get(port, "/metrics").body, "mqtt_connected");
}

std::size_t alert_count(unsigned short port) {
  auto r = http_get(port, "/api/v1/alerts");
  if (r.status != 200) return 0;
  return json::parse(r.body).as_object().at("alerts").as_array().size();
}

/// The broker keeps sessions across its own restart (saved on SIGTERM), as a production
/// mosquitto with persistence does. `user root` keeps it able to write the test's folder.
std::string persistent_broker(const temp_dir& dir) {
  return "persistence true\npersistence_location " + dir.path().string() +
         "/\nuser root\nmax_queued_messages 100000\n";
}

}  // namespace

TEST_CASE(
    "a broker that is down when hearthd starts is not fatal: hearthd connects when it "
    "comes up",
    "[e2e][outage]") {
  temp_dir dir;
  broker mosquitto(dir);
  mosquitto.stop();
  daemon_process hearthd(dir, mosquitto);  // waits for /healthz, so hearthd is serving

  // Degraded, not failing: the HTTP API answers and says why.
  const auto h = health(hearthd.http_port());
  CHECK(h.at("status") == "degraded");
  CHECK(h.at("mqtt_connected") == false);
  CHECK(connected_metric(hearthd.http_port()) == 0);

  mosquitto.restart();
  hearthd.wait_connected();
  CHECK(health(hearthd.http_port()).at("status") == "ok");
  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_count(hearthd.http_port()) == 1; }));
  // The alert publisher, down at start as well, connects too.
  CHECK(eventually([&] {
    return metric_value(http_get(hearthd.http_port(), "/metrics").body,
                        "hearth_mqtt_out_connected") == 1;
  }));
  CHECK(hearthd.proc().running());
}

TEST_CASE(
    "a broker restart mid-stream: hearthd reports the outage, reconnects with backoff, "
    "resubscribes and loses nothing the broker kept",
    "[e2e][outage]") {
  temp_dir dir;
  broker mosquitto(dir, persistent_broker(dir));
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();

  const auto base = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 48h;
  paced_publisher stream(
      mosquitto.uri(), 200, [](long) { return std::string("hearth/v1/devices/button-demo-1/up"); },
      [&](long n) {
        return fmt::format(
            R"({{"ts":"{}","metrics":{{"water.total_l":{}}}}})",
            hearth::format_rfc3339(hearth::time_point(base + std::chrono::seconds(n))), n);
      },
      1'000'000);
  REQUIRE(eventually([&] { return stream.sent() >= 200; }, 10s));

  mosquitto.stop();
  REQUIRE(eventually([&] { return connected_metric(hearthd.http_port()) == 0; }, 10s));
  const auto h = health(hearthd.http_port());
  CHECK(h.at("status") == "degraded");
  CHECK(h.at("mqtt_connected") == false);

  const auto up = std::chrono::steady_clock::now();
  mosquitto.restart();  // returns once the port accepts connections
  hearthd.wait_connected();
  const auto reconnect = std::chrono::steady_clock::now() - up;
  fmt::print(
      "broker outage: hearthd reconnected and resubscribed {} ms after the broker "
      "came back\n",
      std::chrono::duration_cast<std::chrono::milliseconds>(reconnect).count());
  // Paho's backoff starts at 1 s and doubles to 30 s; a short outage reconnects within a few s.
  CHECK(reconnect < 10s);
  CHECK(health(hearthd.http_port()).at("status") == "ok");
  CHECK(metric_value(http_get(hearthd.http_port(), "/metrics").body,
                     "hearth_mqtt_connects_total") >= 2);

  REQUIRE(eventually([&] { return stream.sent() >= 800; }, 15s));
  const long sent = stream.stop();
  std::set<std::int64_t> stored;
  eventually(
      [&] {
        const auto v = query_ints(hearthd.database(),
                                  "SELECT CAST(r.value AS INTEGER) FROM readings r JOIN "
                                  "device_keys k ON k.key = r.device WHERE k.device_id = "
                                  "'button-demo-1'");
        stored = std::set<std::int64_t>(v.begin(), v.end());
        return static_cast<long>(stored.size()) >= sent;
      },
      20s);
  fmt::print("broker outage: {} sent at 200 msg/s, {} stored\n", sent, stored.size());
  // The publisher buffers while the broker is down and the broker keeps hearthd's session
  // (persistence): everything sent arrives once, including what was sent during the outage.
  CHECK(static_cast<long>(stored.size()) == sent);
  CHECK(hearthd.proc().running());
}
