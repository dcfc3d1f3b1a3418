// SPDX-License-Identifier: Apache-2.0
// The community simulator (tools/hearth-sim) is deterministic, its registry imports, and
// hearth's pipeline accepts every message it generates except the faults it injected,
// which are refused for the reasons the incident list names.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "community.hpp"
#include "sim_replay.hpp"
#include "traffic.hpp"

using namespace hearth;

namespace {

std::string capture_of(const sim::traffic& t) {
  std::string out;
  for (const auto& m : t.messages)
    out += sim::capture_line(m) + "\n";
  return out;
}

sim::traffic small_day(const sim::community& c) {
  sim::traffic_options o;
  o.start = std::chrono::sys_days{std::chrono::year{2026} / 11 / 19} + std::chrono::hours{16};
  o.days = 1;
  return sim::make_traffic(c, o);
}

}  // namespace

TEST_CASE("the same seed gives a byte-identical capture, incident list and registry", "[sim]") {
  const auto a = sim::make_community({300, 7});
  const auto b = sim::make_community({300, 7});
  REQUIRE(sim::devices_csv(a) == sim::devices_csv(b));
  REQUIRE(sim::residents_csv(a) == sim::residents_csv(b));
  const auto ta = small_day(a), tb = small_day(b);
  REQUIRE(ta.messages.size() > 10'000);
  REQUIRE(capture_of(ta) == capture_of(tb));
  REQUIRE(sim::incidents_json(ta.incidents) == sim::incidents_json(tb.incidents));

  const auto other = sim::make_community({300, 8});
  REQUIRE(capture_of(small_day(other)) != capture_of(ta));
}

TEST_CASE("the reference meter frame round-trips through base64", "[sim]") {
  // ../shared/samples/README.md: 123456 L, no flags, battery 88 % is "QOIBAABY".
  REQUIRE(sim::base64_encode(sim::meter_frame(123456, false, false, false, false, 88)) ==
          "QOIBAABY");
}

TEST_CASE("hearth accepts every simulated message except the injected faults", "[sim]") {
  const auto c = sim::make_community({400, 11});
  const auto t = small_day(c);
  const auto got = test::replay_sim(c, t);
  REQUIRE(got.devices_imported == c.devices.size());
  REQUIRE(got.rejected == test::expected_rejections(t));
  REQUIRE(got.readings > 3.0 * static_cast<double>(t.messages.size()) / 2);

  // Every kind of fault and incident is in the list.
  std::set<std::string> kinds;
  for (const auto& inc : t.incidents)
    kinds.insert(inc.kind);
  for (const char* k :
       {"sos-press", "smoke", "smoke-test", "gas-leak", "quiet-resident", "silent-meter",
        "tilt-drift", "gateway-outage", "duplicate", "malformed", "clock-skew", "battery-low",
        "tamper", "inactive-resident", "no-water-active", "away-standby", "door-left-open"})
    CHECK(kinds.count(k) == 1);

  // For the event rules, and the rules of the homes with activity sensors, hearth found
  // exactly the incidents that expect them: the all-quiet elder, and not the one who only
  // uses no water, nor the one away with everything at standby.
  for (const char* rule : {"sos-pressed", "smoke-detected", "gas-leak", "device-tamper",
                           "lone-elder-inactive", "door-open-at-night"}) {
    std::multiset<std::string> want, opened;
    for (const auto& inc : t.incidents)
      if (std::count(inc.expected_rules.begin(), inc.expected_rules.end(), rule))
        want.insert(std::string(rule) + " " + inc.household_id);
    for (const auto& o : got.opened)
      if (o.rfind(std::string(rule) + " ", 0) == 0) opened.insert(o);
    INFO(rule);
    CHECK(opened == want);
  }
}

TEST_CASE("the demo's community sits beside the sample registry without sharing an id", "[sim]") {
  // scripts/demo imports the sample registry (B3, H-3-502, ...) and a simulated community
  // together. Numbered from B1, the community reused H-3-502 and the later rows replaced
  // the sample's: the household ended with two residents who each "live alone". Now an id
  // given twice is refused, and the demo's community starts at B10. Both sit on one
  // Zigbee2MQTT base topic, whose one bridge the sample registers (bridge-b3): a community
  // that registers its own too gives external_id zigbee2mqtt/bridge twice, so the demo's
  // registers none (hearth-sim --no-bridge).
  auto import_with_sample = [](int first_building, bool bridge, diagnostics& d) {
    test::sim_scratch tmp;
    sim::write_registry(sim::make_community({400, 7, first_building, bridge}), tmp.dir);
    auto files = app::registry_files(HEARTH_TEST_DATA "/registry");
    for (const auto& f : app::registry_files(tmp.dir.string()))
      files.push_back(f);
    registry::tables parsed;
    return app::check_registry_import(files, registry::registry{}, test::shipped_types().get(),
                                      parsed, d);
  };
  diagnostics overlap;
  CHECK_FALSE(import_with_sample(1, false, overlap));
  CHECK(std::any_of(overlap.begin(), overlap.end(), [](const diagnostic& x) {
    return x.message.find("household_id 'H-3-502' is already defined at") != std::string::npos;
  }));
  diagnostics same_bridge;
  CHECK_FALSE(import_with_sample(10, true, same_bridge));
  CHECK(std::any_of(same_bridge.begin(), same_bridge.end(), [](const diagnostic& x) {
    return x.message.find("zigbee2mqtt/bridge") != std::string::npos;
  }));
  diagnostics apart;
  auto reg = import_with_sample(10, false, apart);
  INFO((apart.empty() ? std::string() : apart.front().text()));
  REQUIRE(reg);
  CHECK(reg->residents_of("H-3-502").size() == 1);
  CHECK(reg->find_device_by_external_id("0x00158d0008a1b2c3")->id == "sos-3-502");
  CHECK(reg->find_device_by_external_id("zigbee2mqtt/bridge")->id == "bridge-b3");
}
