// SPDX-License-Identifier: Apache-2.0
// The walking skeleton end to end: a real mosquitto, a real hearthd, a real SQLite file.
#include <signal.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace hearth::test;
namespace json = boost::json;

namespace {

json::array alerts_of(unsigned short port) {
  auto r = http_get(port, "/api/v1/alerts");
  if (r.status != 200) return {};
  return json::parse(r.body).as_object().at("alerts").as_array();
}

std::int64_t count_rows(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

}  // namespace

TEST_CASE("an SOS press published to the broker becomes a priority-1 alert in the API", "[e2e]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();

  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c3",
          R"({"action": "emergency", "battery": 92, "linkquality": 87})");

  REQUIRE(eventually([&] { return alerts_of(hearthd.http_port()).size() == 1; }));
  const auto alert = alerts_of(hearthd.http_port()).at(0).as_object();
  CHECK(alert.at("rule") == "sos-pressed");
  CHECK(alert.at("priority") == 1);
  CHECK(alert.at("state") == "open");
  CHECK(alert.at("occurrences") == 1);
  CHECK(alert.at("subject").at("device_id") == "sos-3-502");
  CHECK(alert.at("subject").at("household_id") == "H-3-502");
  CHECK(alert.at("subject").at("resident_ids") == json::array{"R-1001"});
  CHECK(alert.at("evidence").as_array().at(0).at("metric") == "sos.pressed");
  CHECK(alert.at("evidence").as_array().at(0).at("value") == true);
  for (const char* key :
       {"id", "title", "summary", "opened_at", "updated_at", "assignee", "outcome"})
    CHECK(alert.contains(key));

  // The alert was persisted before it was served.
  REQUIRE(eventually(
      [&] { return count_rows(hearthd.database(), "SELECT COUNT(*) FROM alerts") == 1; }));
}

TEST_CASE("a truncated payload is quarantined with a reason and a later valid message still counts",
          "[e2e]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();

  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency","battery":)");
  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c4",
          R"({"smoke": false, "test": false, "battery": 81, "linkquality": 99})");

  REQUIRE(eventually([&] {
    return count_rows(hearthd.database(),
                      "SELECT COUNT(*) FROM quarantine WHERE reason = 'malformed-json'") == 1;
  }));
  const auto metrics = http_get(hearthd.http_port(), "/metrics").body;
  CHECK(metric_value(metrics, R"(hearth_messages_rejected_total{reason="malformed-json"})") == 1);

  // The smoke detector's later message was stored: three readings (smoke, test, battery).
  REQUIRE(eventually([&] {
    auto r = http_get(hearthd.http_port(), "/api/v1/devices/smoke-3-502/readings");
    return r.status == 200 && json::parse(r.body).at("readings").as_array().size() == 3;
  }));
  CHECK(alerts_of(hearthd.http_port()).empty());
  CHECK(hearthd.proc().running());
}

TEST_CASE("SIGTERM stops hearthd cleanly and open alerts survive the restart", "[e2e]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  publish(mosquitto.uri(), "hearth/v1/devices/button-demo-1/up",
          R"({"ts": "2026-11-20T07:31:00Z", "metrics": {"sos.pressed": true}})");
  REQUIRE(eventually([&] { return alerts_of(hearthd.http_port()).size() == 1; }));

  hearthd.proc().signal(SIGTERM);
  REQUIRE(hearthd.proc().wait() == std::optional<int>(0));

  hearthd.start();
  const auto after = alerts_of(hearthd.http_port());
  REQUIRE(after.size() == 1);
  CHECK(after.at(0).at("subject").at("device_id") == "button-demo-1");
}
