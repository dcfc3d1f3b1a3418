// SPDX-License-Identifier: Apache-2.0
#include "support/ha_pair.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>

namespace hearth::test {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string write_registry(const temp_dir& dir) {
  const auto reg = dir / "registry";
  // fmt::format, not string concatenation: GCC 12 warns falsely (-Warray-bounds) on the
  // inlined operator+ here.
  for (const char* f : {"households.csv", "residents.csv", "buildings.csv"})
    write_file(fmt::format("{}/{}", reg.string(), f),
               read_file(fmt::format("{}/registry/{}", HEARTH_TEST_DATA, f)));
  std::string devices = read_file(fmt::format("{}/registry/devices.csv", HEARTH_TEST_DATA));
  for (int i = 0; i < k_sos_buttons; ++i)
    devices += fmt::format("sos-{},0x00158d00000000{:02x},z2m.sos-button,H-3-502,B3,bedroom\n", i,
                           0xa0 + i);
  write_file(reg / "devices.csv", devices);
  return reg.string();
}

}  // namespace

std::string sos_topic(int i) {
  return fmt::format("zigbee2mqtt/0x00158d00000000{:02x}", 0xa0 + i);
}

json::array alerts_of(unsigned short port) {
  auto r = http_get(port, "/api/v1/alerts");
  if (r.status != 200) return {};
  return json::parse(r.body).as_object().at("alerts").as_array();
}

std::optional<json::object> alert_about(unsigned short port, const std::string& device) {
  for (const auto& a : alerts_of(port))
    if (a.at("subject").at("device_id") == device.c_str()) return a.as_object();
  return std::nullopt;
}

ha_pair::ha_pair(std::string database, std::string db_for_a)
    : mosquitto(broker_dir, fmt::format("persistence true\npersistence_location {}/\n"
                                        "max_queued_messages 100000\n",
                                        broker_dir.path().string())),
      db(std::move(database)),
      registry(write_registry(broker_dir)) {
  a = std::make_unique<daemon_process>(dir_a, mosquitto,
                                       options("a", db_for_a.empty() ? db : db_for_a, {}));
  REQUIRE(eventually([&] { return a->role() == "active"; }, 20s));
  b = std::make_unique<daemon_process>(dir_b, mosquitto, options("b", db, a->admin_token()));
  REQUIRE(eventually([&] { return b->role() == "standby"; }, 20s));
  a->wait_connected();
}

daemon_process::options ha_pair::options(const std::string& node, const std::string& database,
                                         const std::string& token) {
  daemon_process::options o;
  o.database = database;
  o.registry_dir = registry;
  o.admin_token = token;
  o.mqtt_config = "mqtt: { uri: \"" + mosquitto.uri() + "\", client_id: hearthd-ha }";
  o.extra_config = "ha: { node: " + node + ", lease: 3s }\n";
  return o;
}

daemon_process* ha_pair::active() {
  const bool ra = a->proc().running() && a->role() == "active";
  const bool rb = b->proc().running() && b->role() == "active";
  if (ra == rb) return nullptr;
  return ra ? a.get() : b.get();
}

}  // namespace hearth::test
