// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Life-safety messages reach hearthd on two MQTT sessions (see mqtt_ingest.hpp): the main
/// session, subscribed to every transport's wildcard, and the priority session, subscribed
/// to the exact topics of life-safety devices, so that mosquitto never queues an SOS behind
/// a flush of meter frames for the same client. Each message then arrives twice; this
/// matcher lets the first copy through and drops the second.
///
/// Copies are matched by count, per (topic, payload): a copy from one session cancels one
/// earlier copy from the other, so a second press with the same bytes is never swallowed
/// (it is the second copy *from the same session*), and a session that lags behind the
/// other only drops what the other already delivered. When one session misses a message
/// (the priority session is a clean session and misses what was sent while it was down),
/// the other's copy waits unmatched until `window` passes; at worst it makes a later
/// identical message wait for the slower session's copy. It never loses one.
///
/// Bounded: at most `max_entries` copies remembered (the oldest go first). Thread-safe (Paho
/// may call back on more than one thread). Pure: no I/O, unit-tested.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hearth::ingest {

enum class session : std::uint8_t { main = 0, priority = 1 };

class copy_matcher {
 public:
  using steady = std::chrono::steady_clock;
  explicit copy_matcher(steady::duration window = std::chrono::minutes(10),
                        std::size_t max_entries = 10'000)
      : window_(window), max_entries_(max_entries) {}

  /// True when this is the first copy (deliver it); false when the other session already
  /// delivered it (drop it).
  bool first(session from, std::string_view topic, std::string_view payload,
             steady::time_point now);

  std::size_t unmatched() const;

 private:
  struct entry {
    std::uint32_t ahead[2] = {0, 0};  ///< copies delivered by each session, not yet matched
    steady::time_point at{};          ///< when the last of them arrived
  };
  void expire(steady::time_point now);

  steady::duration window_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::pair<std::string, steady::time_point>> order_;  ///< oldest first
};

}  // namespace hearth::ingest
