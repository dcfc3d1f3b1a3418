// SPDX-License-Identifier: Apache-2.0
// The live stream numbers every alert transition (seq); a console whose stream dropped
// reopens it with ?after=<last seq> and gets what it missed, in order, before the live
// ones (issue 17: consoles through a failover). A real mosquitto and a real hearthd on a
// SQLite file (store_backends_test checks the transitions table on PostgreSQL too).
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/stream_client.hpp"

using namespace hearth::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
const std::string k_sos_topic = "zigbee2mqtt/0x00158d0008a1b2c3";  // sos-3-502: R-1001, sw-lu
const std::string k_button_topic = "hearth/v1/devices/button-demo-1/up";  // R-1002, sw-song

std::uint64_t seq_of(const json::object& o) {
  return static_cast<std::uint64_t>(o.at("seq").as_int64());
}
}  // namespace

TEST_CASE(
    "a stream reopened with ?after= replays the transitions missed while it was closed, in "
    "order and within the caller's scope, then goes on live",
    "[e2e][api][stream][ha]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process::options o;
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_connected();
  const auto port = hearthd.http_port();
  const auto op = add_user(hearthd.config(), "op-wang", "operator");
  const auto song = add_user(hearthd.config(), "sw-song", "social_worker");

  std::uint64_t last = 0;
  {
    stream_client first(port, op);
    const auto hello = first.next();
    REQUIRE(hello);
    last = seq_of(hello->at("hello").as_object());
    CHECK_FALSE(hello->contains("resync"));
  }  // the stream drops (a failover, a network blip)

  // While no stream is open: an SOS opens (R-1001), is claimed, and R-1002 presses too.
  publish(mosquitto.uri(), k_sos_topic, R"({"action": "emergency"})");
  std::string id;
  REQUIRE(eventually([&] {
    const auto r = http(port, "GET", "/api/v1/alerts", "", bearer(op));
    const auto list = json::parse(r.body).as_object().at("alerts").as_array();
    if (list.empty()) return false;
    id = std::string(list[0].at("id").as_string());
    return true;
  }));
  REQUIRE(http(port, "POST", "/api/v1/alerts/" + id + "/claim", "{}", bearer(op)).status == 200);
  publish(mosquitto.uri(), k_button_topic,
          R"({"ts": "2026-11-20T07:31:00Z", "metrics": {"sos.pressed": true}})");
  REQUIRE(eventually([&] {
    const auto r = http(port, "GET", "/api/v1/alerts", "", bearer(op));
    return json::parse(r.body).as_object().at("alerts").as_array().size() == 2;
  }));

  // The operator resumes: the three transitions, numbered after `last`, then live ones.
  stream_client resumed(port, op, "/api/v1/stream?after=" + std::to_string(last));
  const auto hello = resumed.next();
  REQUIRE(hello);
  CHECK_FALSE(hello->contains("resync"));
  CHECK(seq_of(hello->at("hello").as_object()) == last + 3);
  std::vector<json::object> missed;
  for (int i = 0; i < 3; ++i) {
    auto m = resumed.next();
    REQUIRE(m);
    missed.push_back(*m);
  }
  CHECK(missed[0].at("id") == id.c_str());
  CHECK(missed[0].at("transition") == "opened");
  CHECK(missed[1].at("id") == id.c_str());
  CHECK(missed[1].at("state") == "acknowledged");
  CHECK(missed[2].at("subject").at("device_id") == "button-demo-1");
  for (int i = 0; i < 3; ++i)
    CHECK(seq_of(missed[static_cast<std::size_t>(i)]) == last + 1 + static_cast<std::uint64_t>(i));
  // Then live: the resolve of the SOS, numbered next.
  REQUIRE(http(port, "POST", "/api/v1/alerts/" + id + "/resolve", R"({"outcome": "false-alarm"})",
               bearer(op))
              .status == 200);
  const auto live = resumed.next();
  REQUIRE(live);
  CHECK(live->at("transition") == "resolved");
  CHECK(seq_of(*live) == last + 4);

  // A social worker resuming from the same point is replayed only her caseload's alert.
  stream_client scoped(port, song, "/api/v1/stream?after=" + std::to_string(last));
  REQUIRE(scoped.next());  // hello
  const auto own = scoped.next();
  REQUIRE(own);
  CHECK(own->at("subject").at("device_id") == "button-demo-1");
  CHECK_FALSE(scoped.next(500ms));  // nothing of R-1001's SOS (the resolve included)

  // A resume point that is not a number is refused before the upgrade.
  CHECK(http(port, "GET", "/api/v1/stream?after=x", "", bearer(op)).status == 400);
}
