// SPDX-License-Identifier: Apache-2.0
// The hand-over from the MQTT thread to the domain thread: life-safety first, bounded
// memory, and which messages are shed when it is full.
#include <catch2/catch.hpp>
#include <filesystem>

#include "catalog/device_type.hpp"
#include "ingest/classifier.hpp"
#include "ingest/lanes.hpp"
#include "registry/registry.hpp"
#include "support/shipped.hpp"

using namespace hearth;
using ingest::lane;
using ingest::lanes;
using test::shipped_types;
using test::test_registry;

namespace {

ingest::inbound msg(std::string topic, std::string payload = "{}") {
  return {std::move(topic), std::move(payload), time_point{}, false, {}, false};
}

}  // namespace

TEST_CASE("the domain thread takes a queued SOS before thousands of queued meter frames",
          "[ingest]") {
  lanes q;
  for (int i = 0; i < 8000; ++i)
    q.offer(lane::bulk, msg("application/1/device/m" + std::to_string(i) + "/event/up"));
  q.offer(lane::priority, msg("zigbee2mqtt/sos"));
  auto first = q.take(true);
  REQUIRE(first);
  CHECK(first->topic == "zigbee2mqtt/sos");
  CHECK(q.take(true)->topic == "application/1/device/m0/event/up");  // then in arrival order
  CHECK(q.depth(lane::bulk) == 7999);
}

TEST_CASE("a full bulk lane sheds new bulk messages but never a life-safety one", "[ingest]") {
  lanes q({/*bulk_messages*/ 3, /*bulk_bytes*/ 1 << 20, /*priority_messages*/ 100});
  for (int i = 0; i < 3; ++i)
    CHECK(q.offer(lane::bulk, msg("meter/" + std::to_string(i))) != lanes::offered::shed);
  CHECK(q.offer(lane::bulk, msg("meter/3")) == lanes::offered::shed);
  CHECK(q.offer(lane::priority, msg("zigbee2mqtt/sos")) != lanes::offered::shed);
  CHECK(q.depth(lane::bulk) == 3);
  CHECK(q.depth(lane::priority) == 1);
  // Tail drop: the oldest queued frames are kept, in order.
  CHECK(q.take(true)->topic == "zigbee2mqtt/sos");
  CHECK(q.take(true)->topic == "meter/0");
}

TEST_CASE("the bulk lane is bounded in bytes as well as in messages", "[ingest]") {
  lanes q({1000, /*bulk_bytes*/ 100, 10});
  CHECK(q.offer(lane::bulk, msg("t", std::string(60, 'x'))) != lanes::offered::shed);
  CHECK(q.offer(lane::bulk, msg("t", std::string(60, 'x'))) == lanes::offered::shed);
  CHECK(q.bulk_bytes() == 61);
  q.take(true);
  CHECK(q.bulk_bytes() == 0);
  CHECK(q.offer(lane::bulk, msg("t", std::string(60, 'x'))) != lanes::offered::shed);
}

TEST_CASE("the priority lane has its own, larger bound against a hostile flood", "[ingest]") {
  lanes q({1, 1 << 20, /*priority_messages*/ 2});
  CHECK(q.offer(lane::priority, msg("a")) != lanes::offered::shed);
  CHECK(q.offer(lane::priority, msg("b")) != lanes::offered::shed);
  CHECK(q.offer(lane::priority, msg("c")) == lanes::offered::shed);
}

TEST_CASE("the consumer is woken once per idle period, and held-back bulk waits for its timer",
          "[ingest]") {
  lanes q;
  CHECK(q.offer(lane::bulk, msg("m1")) == lanes::offered::queued_wake);
  CHECK(q.offer(lane::bulk, msg("m2")) == lanes::offered::queued);  // a drain is scheduled
  // Storage is behind: nothing to take, bulk is held back.
  CHECK_FALSE(q.take(false));
  CHECK(q.paused());
  CHECK(q.offer(lane::bulk, msg("m3")) == lanes::offered::queued);  // bulk does not wake it
  CHECK(q.offer(lane::priority, msg("sos")) == lanes::offered::queued_wake);  // priority does
  CHECK(q.take(false)->topic == "sos");
  CHECK_FALSE(q.take(false));
  // The retry timer claims the consumer role and drains once storage has caught up.
  CHECK(q.claim());
  CHECK_FALSE(q.claim());
  CHECK(q.take(true)->topic == "m1");
  CHECK_FALSE(q.paused());
  CHECK(q.take(true)->topic == "m2");
  CHECK(q.take(true)->topic == "m3");
  CHECK_FALSE(q.take(true));
  CHECK(q.offer(lane::bulk, msg("m4")) == lanes::offered::queued_wake);
}

TEST_CASE("topics of registered life-safety devices are classified priority, others bulk",
          "[ingest]") {
  const auto reg = std::make_shared<const registry::registry>(test_registry());
  const ingest::classifier c(*shipped_types(), reg);
  CHECK(c.is_priority("zigbee2mqtt/0x00158d0008a1b2c3"));        // sos-3-502
  CHECK_FALSE(c.is_priority("zigbee2mqtt/0x00158D0008A1B2C3"));  // a topic is matched exactly
  CHECK(c.size() == 4);  // sos, smoke, gas and the native button-demo-1
  CHECK(c.is_priority("zigbee2mqtt/0x00158d0008a1b2c4"));                        // smoke-3-502
  CHECK(c.is_priority("zigbee2mqtt/0x00158d0008a1b2c5"));                        // gas-3-502
  CHECK_FALSE(c.is_priority("application/1/device/a84041000181c2d1/event/up"));  // meter
  CHECK_FALSE(c.is_priority("zigbee2mqtt/0x00158d0008a1b2c3/availability"));
  CHECK_FALSE(c.is_priority("zigbee2mqtt/unregistered"));
  // A native device may report anything, SOS included: its topic is on the priority session,
  // and each message's lane is what it carries.
  CHECK(c.is_priority("hearth/v1/devices/button-demo-1/up"));
  CHECK(c.is_priority("hearth/v1/devices/button-demo-1/up",
                      R"({"ts":"2026-11-20T07:31:00Z","metrics":{"sos.pressed":true}})"));
  CHECK_FALSE(c.is_priority("hearth/v1/devices/button-demo-1/up",
                            R"({"ts":"2026-11-20T07:31:00Z","metrics":{"water.total_l":5}})"));
  CHECK(c.is_priority("zigbee2mqtt/0x00158d0008a1b2c3", R"({"battery":90})"));  // a typed one
  // A tilt sensor on The Things Stack shares its topic pattern with water meters: its
  // topic is learned from the first message the pipeline saw.
  const std::string tilt = "v3/hearth@ttn/devices/tilt-b3-ne/up";
  CHECK_FALSE(c.is_priority(tilt));
  const auto learned = c.with_learned(tilt);
  CHECK(learned->is_priority(tilt));
  CHECK(learned->is_priority("zigbee2mqtt/0x00158d0008a1b2c3"));
  CHECK_FALSE(learned->is_priority("v3/hearth@ttn/devices/meter-1/up"));
  CHECK_FALSE(c.is_priority(tilt));  // the original snapshot is immutable
}

TEST_CASE("the priority session's filters are exactly the life-safety topics, capped", "[ingest]") {
  const auto reg = std::make_shared<const registry::registry>(test_registry());
  const auto c =
      ingest::classifier(*shipped_types(), reg).with_learned("v3/hearth@ttn/devices/tilt-b3-ne/up");
  const auto all = c->priority_filters(1'000);
  CHECK(all.size() == c->size());
  for (const auto& f : all) {
    INFO(f);
    CHECK(f.find_first_of("+#{") == std::string::npos);  // exact topics
    CHECK(c->is_priority(f));
  }
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(std::find(all.begin(), all.end(), "zigbee2mqtt/0x00158d0008a1b2c3") != all.end());
  CHECK(std::find(all.begin(), all.end(), "v3/hearth@ttn/devices/tilt-b3-ne/up") != all.end());
  // A learned topic extends the same lineage (the session adds just that topic); a
  // classifier built anew (reload) does not.
  CHECK(c->with_learned("v3/hearth@ttn/devices/tilt-b4-sw/up")->extends(*c));
  CHECK_FALSE(ingest::classifier(*shipped_types(), reg).extends(*c));
  std::size_t left_out = 0;
  const auto two = c->priority_filters(2, &left_out);
  CHECK(two == std::vector<std::string>(all.begin(), all.begin() + 2));
  CHECK(left_out == all.size() - 2);
}

TEST_CASE("a life-safety type is priority by what it can report, on every transport", "[ingest]") {
  auto types = *shipped_types();
  diagnostics d;
  // Neither says `life_safety`: an SOS mapping is enough. The Things Stack one has its own
  // application, so its topics are priority from the first message, before any is learned.
  for (const char* yaml : {
           "type: lora.sos-button\ntransport: chirpstack\nfields:\n"
           "  - { path: sos, metric: sos.pressed }\n",
           "type: tts.sos-button\ntransport: tts\ntopic: \"v3/sos-buttons@ttn/devices/+/up\"\n"
           "fields:\n  - { path: sos, metric: sos.pressed }\n",
           "type: native.meter\ntransport: native\nmetrics: [water.total_l]\n",
       })
    types.add(*catalog::parse_device_type(yaml, "<text>", d));
  REQUIRE(d.empty());
  CHECK(types.find("lora.sos-button")->life_safety);
  CHECK(types.find("tts.sos-button")->life_safety);
  CHECK(types.find("native")->life_safety);
  CHECK_FALSE(types.find("native.meter")->life_safety);  // declares what it reports
  registry::tables more;
  more.devices.push_back(
      {"sos-lora", "a84041000181c2ff", "lora.sos-button", "H-3-502", "B3", "hall"});
  more.devices.push_back(
      {"meter-native", "meter-native", "native.meter", "H-3-502", "B3", "utility"});
  auto reg = test_registry().merged(more, d);
  REQUIRE(d.empty());
  const ingest::classifier c(types, std::make_shared<const registry::registry>(std::move(reg)));
  CHECK(c.is_priority("application/7/device/a84041000181c2ff/event/up"));
  CHECK(c.is_priority("v3/sos-buttons@ttn/devices/any-button/up"));
  CHECK_FALSE(c.is_priority("v3/hearth@ttn/devices/meter-1/up"));
  CHECK_FALSE(c.is_priority("hearth/v1/devices/meter-native/up"));
  const auto filters = c.priority_filters(1'000);
  CHECK(std::find(filters.begin(), filters.end(), "v3/sos-buttons@ttn/devices/+/up") !=
        filters.end());
  CHECK(std::find(filters.begin(), filters.end(),
                  "application/+/device/a84041000181c2ff/event/up") != filters.end());
}
