// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A standby's own copy of the last seconds of traffic (issue 17, "nothing lost").
///
/// Paho acknowledges a QoS 1 message (PUBACK) as it arrives, before hearthd has stored it
/// (README, "Reliability"), so a `kill -9` of the active node loses what it had
/// acknowledged and not yet committed: the broker has forgotten those messages, and the
/// shared session does not bring them to the node that takes over. A standby therefore
/// subscribes to the same topics on a clean session of its own (`<client_id>-w-<node>`)
/// and keeps what arrives for a few seconds (`recent_messages`). When it takes the lease,
/// it hands the pipeline the messages received up to shortly after the old holder was
/// last seen alive; the pipeline drops the ones already in the store (the duplicate check
/// of a redelivery) and processes the rest.
///
/// Threading: `witness` receives on Paho's thread; `take_until` and `stop` from any one
/// other thread. `recent_messages` is pure and not thread-safe (the witness locks it).

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/telemetry.hpp"
#include "ingest/lanes.hpp"
#include "ingest/mqtt_connection.hpp"

namespace hearth::ingest {

struct witness_limits {
  duration window = std::chrono::seconds(6);  ///< receipt-time age kept
  std::size_t messages = 20'000;
  std::size_t bytes = 16u << 20;  ///< topic and payload bytes
};

/// The most recent messages by receipt time, bounded by age, count and bytes: a message
/// past any bound pushes the oldest out (counted in `dropped`).
class recent_messages {
 public:
  explicit recent_messages(witness_limits l = {}) : limits_(l) {}

  void push(inbound m);
  /// Empties the buffer; returns the messages received at or before `cutoff`, oldest
  /// first. The others are forgotten.
  std::vector<inbound> take_until(time_point cutoff);

  std::size_t size() const { return held_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  void pop_front();
  witness_limits limits_;
  std::deque<inbound> held_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

class witness {
 public:
  /// `connection.client_id` is the witness's own (a clean session). Connecting is retried
  /// like ingest's; a broker that is down is not an error.
  witness(mqtt_connection connection, std::vector<std::string> topics, witness_limits limits,
          const clock& clk, telemetry& tel);
  ~witness();
  witness(const witness&) = delete;
  witness& operator=(const witness&) = delete;

  void start();
  /// Nothing is added afterwards. Idempotent. The connection closes with the object.
  void stop();
  /// Connected and the broker confirmed the subscriptions.
  bool subscribed() const;
  std::size_t held() const;
  std::vector<inbound> take_until(time_point cutoff);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::ingest
