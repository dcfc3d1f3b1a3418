// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The hand-over between the Paho callback thread and the domain thread: two bounded
/// queues ("lanes"). Life-safety messages (SOS, smoke, gas, tilt: catalog `life_safety:
/// true`) go to the priority lane, everything else to the bulk lane, and the domain thread
/// always takes from the priority lane first, so an SOS never waits behind thousands of
/// queued meter frames.
///
/// Shedding policy (memory stays bounded under any flood):
///  - bulk lane: when it holds `bulk_messages` messages or `bulk_bytes` bytes, a new bulk
///    message is refused (tail drop). Older queued frames keep their order, so counters are
///    never seen out of order because of shedding.
///  - priority lane: never refused for the bulk lane's sake. It has its own, much larger
///    bound (`priority_messages`) only so that a hostile publisher flooding life-safety
///    topics cannot exhaust memory; reaching it is counted as "overload-priority".
///
/// Threading: `offer` runs on the Paho thread and never blocks beyond a short mutex;
/// `take` runs on the domain thread. Pure: no I/O, unit-tested.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.hpp"

namespace hearth::ingest {

/// One message as the broker delivered it.
struct inbound {
  std::string topic, payload;
  time_point received_at;
  bool redelivered = false;  ///< MQTT DUP flag: the broker may have sent it before
  std::chrono::steady_clock::time_point queued_at{};
  bool priority = false;  ///< classified life-safety
};

enum class lane { priority, bulk };

struct lane_limits {
  std::size_t bulk_messages = 50'000;
  std::size_t bulk_bytes = 64u << 20;
  std::size_t priority_messages = 100'000;
};

class lanes {
 public:
  explicit lanes(lane_limits l = {}) : limits_(l) {}

  enum class offered {
    queued,       ///< a consumer is already scheduled
    queued_wake,  ///< queued, and the consumer was idle: schedule it now
    shed,         ///< refused: the lane is full
  };
  offered offer(lane which, inbound m);

  /// The next message, priority lane first; bulk only when `bulk_allowed` (storage keeps
  /// up). nullopt when nothing can be taken: the consumer is then idle, and the next
  /// `offer` returns `queued_wake`; except that when bulk messages were held back
  /// (`paused()`), only a priority message wakes it, and the consumer retries on a timer.
  std::optional<inbound> take(bool bulk_allowed);
  bool paused() const;
  /// For the consumer's retry timer: true (and no longer idle) when no consumer is
  /// scheduled, so that the caller drains; false when one already is.
  bool claim();

  std::size_t depth(lane which) const;
  std::size_t bulk_bytes() const;
  const lane_limits& limits() const { return limits_; }

 private:
  lane_limits limits_;
  mutable std::mutex mutex_;
  std::deque<inbound> priority_, bulk_;
  std::size_t bulk_bytes_ = 0;
  bool idle_ = true;
  bool paused_ = false;
};

}  // namespace hearth::ingest
