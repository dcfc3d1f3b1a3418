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
/// The main session may lag far behind the priority one (a flood of meter frames queued
/// for it in the broker), so the matcher remembers up to `max_entries` copies (about 60
/// bytes each: a 128-bit digest of topic and payload, counts and a time), the oldest going
/// first; a copy pushed out before it was matched is counted (`evicted`), and its late
/// twin is then delivered to the pipeline, whose redelivery check still applies.
/// Thread-safe (Paho may call back on more than one thread). Pure: no I/O, unit-tested.

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
                        std::size_t max_entries = 1'000'000)
      : window_(window), max_entries_(max_entries) {}

  /// True when this is the first copy (deliver it); false when the other session already
  /// delivered it (drop it).
  bool first(session from, std::string_view topic, std::string_view payload,
             steady::time_point now);

  std::size_t unmatched() const;
  /// Copies pushed out by the bound before their twin came.
  std::uint64_t evicted() const;

 private:
  struct key {
    std::uint64_t a = 0, b = 0;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const { return k.a; }
  };
  static key key_of(std::string_view topic, std::string_view payload);
  struct entry {
    std::uint32_t ahead[2] = {0, 0};  ///< copies delivered by each session, not yet matched
    steady::time_point at{};          ///< when the last of them arrived
  };
  void expire(steady::time_point now);

  steady::duration window_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<key, entry, key_hash> entries_;
  std::deque<std::pair<key, steady::time_point>> order_;  ///< oldest first
  std::uint64_t evicted_ = 0;
};

}  // namespace hearth::ingest
