// SPDX-License-Identifier: Apache-2.0
// The matcher of the two ingest sessions: the first copy of a life-safety message goes on,
// the second is dropped, and nothing else is.
#include <catch2/catch.hpp>

#include "ingest/copy_matcher.hpp"

using namespace hearth::ingest;
using namespace std::chrono_literals;

namespace {
const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
constexpr const char* k_topic = "zigbee2mqtt/sos-3-502";
constexpr const char* k_press = R"({"action":"emergency","battery":80})";
}  // namespace

TEST_CASE("the first copy of a message is delivered and its copy from the other session is not",
          "[unit][ingest]") {
  copy_matcher m;
  CHECK(m.first(session::priority, k_topic, k_press, t0));
  CHECK_FALSE(m.first(session::main, k_topic, k_press, t0 + 40ms));
  CHECK(m.unmatched() == 0);
  // Either session may win.
  CHECK(m.first(session::main, k_topic, k_press, t0 + 1s));
  CHECK_FALSE(m.first(session::priority, k_topic, k_press, t0 + 1s + 1ms));
}

TEST_CASE("a second press with the same bytes is never swallowed, whichever session lags",
          "[unit][ingest]") {
  copy_matcher m;
  // The main session is behind a meter flush: both presses arrive on the priority session
  // first, then both copies on the main one.
  int delivered = 0;
  delivered += m.first(session::priority, k_topic, k_press, t0);
  delivered += m.first(session::priority, k_topic, k_press, t0 + 5ms);
  delivered += m.first(session::main, k_topic, k_press, t0 + 200ms);
  delivered += m.first(session::main, k_topic, k_press, t0 + 205ms);
  CHECK(delivered == 2);
  // Interleaved.
  delivered = 0;
  for (int i = 0; i < 3; ++i) {
    delivered += m.first(session::main, k_topic, k_press, t0 + 1s + i * 10ms);
    delivered += m.first(session::priority, k_topic, k_press, t0 + 1s + i * 10ms + 1ms);
  }
  CHECK(delivered == 3);
  CHECK(m.unmatched() == 0);
}

TEST_CASE("different topics or payloads are different messages", "[unit][ingest]") {
  copy_matcher m;
  CHECK(m.first(session::priority, k_topic, k_press, t0));
  CHECK(m.first(session::main, "zigbee2mqtt/sos-3-503", k_press, t0));
  CHECK(m.first(session::main, k_topic, R"({"action":"emergency","battery":79})", t0));
  CHECK(m.unmatched() == 3);
}

TEST_CASE("a copy that never comes is forgotten after the window, and memory is bounded",
          "[unit][ingest]") {
  copy_matcher m(10min, 100);
  // The priority session was down: only the main session delivered these presses.
  CHECK(m.first(session::main, k_topic, k_press, t0));
  CHECK(m.first(session::main, "zigbee2mqtt/sos-3-503", k_press, t0));
  // Within the window a priority copy of the same bytes is taken for the missing copy...
  CHECK_FALSE(m.first(session::priority, "zigbee2mqtt/sos-3-503", k_press, t0 + 9min));
  // ...after it, the same bytes are a new message.
  CHECK(m.first(session::priority, k_topic, k_press, t0 + 11min));
  CHECK(m.unmatched() == 1);
  for (int i = 0; i < 1'000; ++i)
    CHECK(m.first(session::main, k_topic, std::to_string(i), t0 + 22min));
  CHECK(m.unmatched() <= 100);
  CHECK(m.evicted() >= 900);  // pushed out unmatched, and counted
}
