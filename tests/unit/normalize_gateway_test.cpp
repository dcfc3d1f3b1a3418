// SPDX-License-Identifier: Apache-2.0
// LoRaWAN gateways as the network servers tell of them: ChirpStack v4 connection state (JSON
// and protobuf), The Things Stack connection events, and the gateway ids in uplinks.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "normalize/gateway.hpp"
#include "support/shipped.hpp"

using namespace hearth;

namespace {
const catalog::device_type& type(const char* name) {
  return *test::shipped_types()->find(name);
}
std::optional<bool> online(const char* t, const std::string& topic, const std::string& payload) {
  auto st = normalize::gateway_state(type(t), topic, payload);
  INFO((st ? std::string() : st.err().code + ": " + st.err().message));
  REQUIRE(st);
  return st->online;
}
}  // namespace

TEST_CASE("ChirpStack gateway state: JSON, proto3's left-out default, and protobuf",
          "[normalize]") {
  const std::string topic = "eu868/gateway/0016c001f153a14c/state/conn";
  auto st = normalize::gateway_state(type("lora.gateway"), topic,
                                     R"({"gatewayId":"0016c001f153a14c","state":"ONLINE"})");
  REQUIRE(st);
  CHECK(st->external_id == "0016c001f153a14c");
  CHECK(st->online == true);
  CHECK(online("lora.gateway", topic, R"({"gatewayId":"0016c001f153a14c","state":"OFFLINE"})") ==
        false);
  CHECK(online("lora.gateway", topic, R"({"gatewayId":"0016c001f153a14c"})") == false);
  // gw.ConnState as protobuf: gateway_id (field 3, a string) and state (field 2, ONLINE = 1).
  const std::string id = "0016c001f153a14c";
  // Appended, not concatenated: GCC 12 warns falsely (-Warray-bounds) on the temporaries.
  std::string pb("\x1a");
  pb.push_back(static_cast<char>(id.size()));
  pb.append(id);
  const auto without_state = pb;  // state left out: OFFLINE
  pb.append("\x10\x01");
  CHECK(online("lora.gateway", topic, pb) == true);
  pb = without_state;
  CHECK(online("lora.gateway", topic, pb) == false);
  auto bad = normalize::gateway_state(type("lora.gateway"), topic, std::string("\x1a\x7f", 2));
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == "bad-frame");
  auto wrong = normalize::gateway_state(type("lora.gateway"), topic, R"({"state":"MAYBE"})");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.err().code == "wrong-type");
}

TEST_CASE("The Things Stack gateway events: connect, disconnect, and the rest", "[normalize]") {
  const std::string topic = "tts/gateways/gw-b3/events";
  CHECK(online("tts.gateway", topic, R"({"name":"gs.gateway.connect"})") == true);
  CHECK(online("tts.gateway", topic, R"({"result":{"name":"gs.gateway.disconnect"}})") == false);
  CHECK_FALSE(online("tts.gateway", topic, R"({"name":"gs.up.receive"})").has_value());
  auto none = normalize::gateway_state(type("tts.gateway"), topic, R"({"time":"x"})");
  REQUIRE_FALSE(none);
  CHECK(none.err().code == "missing-field");
}

TEST_CASE("the gateways that heard an uplink", "[normalize]") {
  namespace json = boost::json;
  CHECK(normalize::uplink_gateways(
            catalog::transport::chirpstack,
            json::parse(R"({"rxInfo":[{"gatewayId":"0016c001f153a14c","rssi":-97},)"
                        R"({"gatewayId":"0016c001f153a14d"}]})")) ==
        std::vector<std::string>{"0016c001f153a14c", "0016c001f153a14d"});
  CHECK(normalize::uplink_gateways(
            catalog::transport::tts,
            json::parse(
                R"({"uplink_message":{"rx_metadata":[{"gateway_ids":{"gateway_id":"gw-b3",)"
                R"("eui":"B827EBFFFE000001"}},{"gateway_ids":{"eui":"B827EBFFFE000002"}}]}})")) ==
        std::vector<std::string>{"gw-b3", "B827EBFFFE000001", "B827EBFFFE000002"});
  CHECK(normalize::uplink_gateways(catalog::transport::zigbee2mqtt,
                                   json::parse(R"({"rxInfo":[{"gatewayId":"x"}]})"))
            .empty());
}
