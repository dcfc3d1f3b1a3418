// SPDX-License-Identifier: Apache-2.0
#pragma once
/// MQTT ingestion with the Paho async client: QoS 1, persistent session (clean_session
/// false), automatic reconnect with backoff (1 s doubling to 5 s; a broker that is down or
/// refuses us at start is retried the same way), and resubscription on every (re)connect.
/// TLS and credentials come from `mqtt_connection`.
///
/// Threading: Paho runs its callbacks on its own thread. `message_arrived` classifies the
/// topic (life-safety or not, `classifier`), puts the message in one of two bounded lanes
/// (`lanes`) and, when the domain thread is idle, posts one drain to the io_context; it
/// never blocks, sleeps or exits. The drain runs on the io_context, takes the priority lane
/// first, delivers at most 256 messages (or 2 ms) per turn so that timers and HTTP keep
/// their turn, and holds back the bulk lane while `bulk_ready` says storage is behind.
///
/// Metrics: mqtt_connected, hearth_mqtt_connects_total, hearth_ingest_queue_depth{lane},
/// hearth_ingest_queue_bytes{lane="bulk"}, hearth_ingest_priority_total,
/// hearth_messages_shed_total{lane}, hearth_messages_rejected_total{reason="overload"},
/// hearth_ingest_queue_wait_seconds{lane} (wait of the last message taken),
/// mqtt_priority_session_connected, hearth_ingest_priority_session_topics (confirmed by
/// the broker), hearth_ingest_priority_session_pending (requested, not yet confirmed),
/// hearth_ingest_copies_dropped_total{session} (second copies dropped, by the session that
/// brought them: the other one was faster).

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/telemetry.hpp"
#include "ingest/classifier.hpp"
#include "ingest/lanes.hpp"
#include "ingest/mqtt_connection.hpp"

namespace hearth::ingest {

struct mqtt_settings {
  mqtt_connection connection;
  std::vector<std::string> topics;
  int qos = 1;
  lane_limits limits;
  /// A second session (`<client_id>-p1`, clean, QoS 1) subscribed to the exact topics of
  /// life-safety devices (`classifier::priority_filters`), so that the broker never queues
  /// an SOS behind a flood of meter frames for our one client. Copies are matched
  /// (`copy_matcher`); the main session still receives everything, so losing the priority
  /// session loses nothing.
  bool priority_session = true;
  std::size_t priority_session_topics = 50'000;  ///< filters at most; the rest: main only
};

class mqtt_ingest {
 public:
  /// `deliver` runs on `io` for each message.
  using deliver_fn = std::function<void(const inbound&)>;
  /// Runs on the io_context: false holds the bulk lane back (storage is behind).
  using ready_fn = std::function<bool()>;
  /// Runs on Paho's thread, at most once a second while messages are shed, with one of
  /// them and the number shed since the previous call (for a sampled quarantine row).
  /// Must not block.
  using shed_fn = std::function<void(const inbound&, std::uint64_t shed)>;

  mqtt_ingest(boost::asio::io_context& io, mqtt_settings s, const clock& clk, telemetry& tel,
              deliver_fn deliver);
  ~mqtt_ingest();

  void set_bulk_ready(ready_fn f);
  void set_on_shed(shed_fn f);
  /// Swaps the topic classifier (any thread; atomic).
  void set_classifier(std::shared_ptr<const classifier> c);
  std::shared_ptr<const classifier> classifier_snapshot() const;

  /// Starts connecting. A broker that is down is not fatal: connecting is retried.
  void start();
  /// Replaces the subscription set (after SIGHUP) and subscribes on the live session.
  void set_topics(std::vector<std::string> topics);
  void stop();
  bool connected() const;
  /// Messages waiting in the lanes (both).
  std::size_t queued() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::ingest
