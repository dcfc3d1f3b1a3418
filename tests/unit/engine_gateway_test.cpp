// SPDX-License-Identifier: Apache-2.0
// Gateways and rules by capability: a rule applies to every type that reports what it reads,
// and a dead gateway is one alert, not one per device behind it.
#include <catch2/catch.hpp>

#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;
using engine::signal;

namespace {

/// The shipped types plus ones no shipped rule names.
std::shared_ptr<const catalog::catalog> types_with(std::initializer_list<const char*> yaml) {
  auto c = std::make_shared<catalog::catalog>(*shipped_types());
  diagnostics d;
  for (const char* y : yaml)
    if (auto t = catalog::parse_device_type(y, "<text>", d)) c->add(std::move(*t));
  REQUIRE(d.empty());
  return c;
}

/// B1 with LoRaWAN gateways on ChirpStack: two meters heard by gw-1, one heard by both.
registry::tables lorawan() {
  auto t = community();
  t.devices.push_back({"gw-1", "0016c001f153a14c", "lora.gateway", "", "B1", "roof"});
  t.devices.push_back({"gw-2", "0016c001f153a14d", "lora.gateway", "", "B1", "basement"});
  return t;
}

std::vector<signal> uplink(fixture& f, const std::string& meter, double litres,
                           std::vector<std::string> gateways) {
  report r;
  r.device_id = meter;
  r.device_type = "lora.water-meter";
  r.ts = f.clock.now();
  r.readings.push_back({meter, metric::water_total_l, litres, r.ts});
  r.gateways = std::move(gateways);
  return f.eng.on_report(r);
}

std::vector<signal> gateway(fixture& f, const std::string& id, bool online) {
  report r;
  r.device_id = id;
  r.device_type = "lora.gateway";
  r.ts = f.clock.now();
  r.readings.push_back({id, metric::device_online, online ? 1.0 : 0.0, r.ts});
  return f.eng.on_report(r);
}

}  // namespace

TEST_CASE("a new tilt type and a new bridge type get the shipped rules with no rule edit",
          "[engine]") {
  auto types = types_with({
      "type: lora.tilt-sensor\ntransport: chirpstack\nreport_interval: 6h\nfields:\n"
      "  - { path: x, metric: tilt.x_deg }\n  - { path: y, metric: tilt.y_deg }\n",
      "type: b4.bridge\ntransport: zigbee2mqtt\nrole: bridge\ntopic: z2m-b4/bridge/state\n",
      "type: b4.sos-button\ntransport: zigbee2mqtt\ntopic: \"z2m-b4/{external_id}\"\n"
      "report_interval: 2h\nfields:\n  - { path: battery, metric: device.battery_pct }\n",
  });
  auto t = community();
  t.devices.push_back({"tilt-2", "a1b2", "lora.tilt-sensor", "", "B1", "south-west corner"});
  t.devices.push_back({"bridge-4", "z2m-b4/bridge", "b4.bridge", "", "B1", "B4 plant room"});
  t.devices.push_back({"sos-4", "0x04", "b4.sos-button", "H-1", "B1", "hall"});
  fixture f(shipped_rules(), at("2026-11-20T00:00:00+08:00"), t);
  f.eng.set_catalog(types);
  auto send = [&](const std::string& dev, const std::string& type,
                  std::vector<std::pair<metric, double>> v) {
    report r;
    r.device_id = dev;
    r.device_type = type;
    r.ts = f.clock.now();
    for (auto [m, x] : v)
      r.readings.push_back({dev, m, x, r.ts});
    return f.eng.on_report(r);
  };
  CHECK(send("tilt-2", "lora.tilt-sensor", {{metric::tilt_x_deg, 0.1}, {metric::tilt_y_deg, 0.2}})
            .empty());  // installation angles
  auto s =
      send("tilt-2", "lora.tilt-sensor", {{metric::tilt_x_deg, 0.35}, {metric::tilt_y_deg, 0.2}});
  CHECK(fired(s) == keys{"building-tilt-critical|tilt-2", "building-tilt-warning|tilt-2"});
  send("sos-4", "b4.sos-button", {{metric::device_battery_pct, 90}});
  auto off = send("bridge-4", "b4.bridge", {{metric::device_online, 0}});
  REQUIRE(fired(off) == keys{"gateway-offline|bridge-4"});
  CHECK(off[0].texts.at("en").summary.find("the devices behind it (1) cannot report") !=
        std::string::npos);
  CHECK(off[0].texts.at("zh-CN").summary.find("其下 1 个设备无法上报") != std::string::npos);
  // Its button is behind it: no device-offline while the bridge is down.
  auto later = f.run_for(8h, 10min);
  for (const auto& x : later)
    CHECK(x.key != "device-offline|sos-4");
}

TEST_CASE(
    "two silent LoRaWAN meters behind one dead gateway: one gateway-offline, no device-offline",
    "[engine]") {
  fixture f(shipped_rules(), at("2026-11-20T00:00:00+08:00"), lorawan());
  for (int h = 0; h < 3; ++h) {
    uplink(f, "meter-1", 100, {"0016c001f153a14c"});
    uplink(f, "meter-2", 200, {"0016C001F153A14C"});  // gateway ids in either case
    uplink(f, "meter-3", 300, {"0016c001f153a14c", "0016c001f153a14d"});
    f.clock.advance(1h);
  }
  gateway(f, "gw-2", true);
  auto off = gateway(f, "gw-1", false);
  REQUIRE(fired(off) == keys{"gateway-offline|gw-1"});
  CHECK(off[0].texts.at("en").summary.find("the devices behind it (3) cannot report") !=
        std::string::npos);
  CHECK(off[0].texts.at("zh-CN").summary.find("其下 3 个设备无法上报") != std::string::npos);
  // meter-1 and meter-2 fall silent with it; meter-3 is still heard through gw-2.
  std::vector<signal> later;
  for (int h = 0; h < 8; ++h) {
    uplink(f, "meter-3", 300, {"0016c001f153a14d"});
    auto s = f.run_for(1h, 10min);
    later.insert(later.end(), s.begin(), s.end());
  }
  CHECK(fired(later).empty());  // one alert for the outage: the gateway's
  // The gateway returns: its meters get a full window to speak before they count as offline
  // (meter-3 keeps reporting through gw-2).
  CHECK(cleared(gateway(f, "gw-1", true)) == keys{"gateway-offline|gw-1"});
  std::vector<signal> back;
  for (int i = 0; i < 11; ++i) {
    if (i % 6 == 0) uplink(f, "meter-3", 300, {"0016c001f153a14d"});
    auto s = f.run_for(10min, 10min);
    back.insert(back.end(), s.begin(), s.end());
  }
  CHECK(fired(back).empty());
  CHECK(fired(f.run_for(10min, 10min)) == keys{"device-offline|meter-1", "device-offline|meter-2"});
}

TEST_CASE("a LoRaWAN meter whose gateway is fine is reported offline on its own", "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"), at("2026-11-20T00:00:00+08:00"), lorawan());
  uplink(f, "meter-1", 100, {"0016c001f153a14c"});
  gateway(f, "gw-1", true);
  CHECK(fired(f.run_for(2h, 10min)) == keys{"device-offline|meter-1"});
}

TEST_CASE("which gateways a device sits behind survives a restart", "[engine]") {
  fixture a(shipped_rules(), at("2026-11-20T00:00:00+08:00"), lorawan());
  uplink(a, "meter-1", 100, {"0016c001f153a14c"});
  gateway(a, "gw-1", false);
  fixture b(shipped_rules(), a.clock.now(), lorawan());
  b.eng.restore(a.eng.take_changes());
  CHECK(b.eng.snapshot() == a.eng.snapshot());
  CHECK(b.run_for(8h, 10min).empty());  // still behind the dead gw-1 (its alert is open in a)
}

TEST_CASE("a rule naming types only narrows it", "[engine]") {
  auto rule = rule_from(
      "id: tilt-b-only\npriority: 3\nkind: baseline\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, "
      "en: s}\n"
      "select: {device_types: [tts.tilt-sensor]}\nfraction: 0.5\n");
  auto types =
      types_with({"type: lora.tilt-sensor\ntransport: chirpstack\nfields:\n"
                  "  - { path: x, metric: tilt.x_deg }\n  - { path: y, metric: tilt.y_deg }\n"});
  auto t = community();
  t.devices.push_back({"tilt-2", "a1b2", "lora.tilt-sensor", "", "B1", "south-west corner"});
  fixture f({rule}, at("2026-11-20T00:00:00+08:00"), t);
  f.eng.set_catalog(types);
  report r;
  r.device_id = "tilt-2";
  r.device_type = "lora.tilt-sensor";
  r.ts = f.clock.now();
  r.readings = {{"tilt-2", metric::tilt_x_deg, 0, r.ts}, {"tilt-2", metric::tilt_y_deg, 0, r.ts}};
  f.eng.on_report(r);
  r.readings[0].value = 1;
  CHECK(f.eng.on_report(r).empty());  // not a tts.tilt-sensor
  CHECK(f.send("tilt-1", {{metric::tilt_x_deg, 0.41}, {metric::tilt_y_deg, -0.12}}).empty());
  CHECK(fired(f.send("tilt-1", {{metric::tilt_x_deg, 1.5}, {metric::tilt_y_deg, -0.12}})) ==
        keys{"tilt-b-only|tilt-1"});
}
