// SPDX-License-Identifier: Apache-2.0
// The matcher of the two ingest sessions: the first copy of a life-safety message goes on,
// the second is dropped, and nothing else is.
#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <random>
#include <string>

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

namespace {

/// The matcher's rules written plainly (a map and a list of stamps): what the compact one
/// must agree with, copy for copy.
class plain_matcher {
 public:
  plain_matcher(std::chrono::steady_clock::duration window, std::size_t max)
      : window_(window), max_(max) {}
  bool first(session from, const std::string& id, std::chrono::steady_clock::time_point now) {
    const auto self = static_cast<int>(from), other = 1 - self;
    while (!order_.empty() && (now - order_.front().second > window_ || order_.size() >= max_)) {
      if (auto it = entries_.find(order_.front().first);
          it != entries_.end() && it->second.at == order_.front().second)
        entries_.erase(it);
      order_.pop_front();
    }
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.ahead[other] > 0) {
      if (--it->second.ahead[other] == 0 && it->second.ahead[self] == 0) entries_.erase(it);
      return false;
    }
    auto& e = entries_[id];
    ++e.ahead[self];
    e.at = now;
    order_.emplace_back(id, now);
    return true;
  }
  std::size_t unmatched() const { return entries_.size(); }

 private:
  struct entry {
    int ahead[2] = {0, 0};
    std::chrono::steady_clock::time_point at{};
  };
  std::chrono::steady_clock::duration window_;
  std::size_t max_;
  std::map<std::string, entry> entries_;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> order_;
};

}  // namespace

TEST_CASE("the matcher agrees with its plain rules through lags, repeats, floods and expiry",
          "[unit][ingest]") {
  // Few distinct messages, so that keys repeat, match, refresh and expire while others
  // wait; bursts fill the bound, and quiet spells let the window empty the matcher (which
  // then shrinks its tables).
  std::mt19937 rng(7);
  copy_matcher m(2min, 5'000);
  plain_matcher want(2min, 5'000);
  auto now = t0;
  int disagreements = 0, dropped = 0;
  for (int step = 0; step < 300'000; ++step) {
    now += (step % 50'000 < 40'000) ? std::chrono::milliseconds(rng() % 3 + 1) : 10ms;
    if (step % 50'000 == 45'000) now += 5min;
    const auto from = rng() % 3 == 0 ? session::main : session::priority;
    const auto id = std::to_string(rng() % (step % 50'000 < 20'000 ? 300 : 20'000));
    const bool got = m.first(from, k_topic, id, now);
    disagreements += got != want.first(from, id, now);
    dropped += !got;
  }
  CHECK(disagreements == 0);
  CHECK(m.unmatched() == want.unmatched());
  CHECK(dropped > 10'000);  // the matching was exercised, not only first copies
}
