// SPDX-License-Identifier: Apache-2.0
#pragma once
/// MQTT ingestion with the Paho async client: QoS 1, persistent session (clean_session
/// false), automatic reconnect with backoff, and resubscription on every (re)connect.
///
/// Threading: Paho runs its callbacks on its own thread. `message_arrived` only copies the
/// message and posts it to the domain io_context; it never blocks, sleeps or exits.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/telemetry.hpp"

namespace hearth::ingest {

struct mqtt_settings {
  std::string uri;
  std::string client_id;
  std::vector<std::string> topics;
  int qos = 1;
};

class mqtt_ingest {
 public:
  /// `deliver` runs on `io` for each message.
  using deliver_fn =
      std::function<void(std::string topic, std::string payload, time_point received_at)>;

  mqtt_ingest(boost::asio::io_context& io, mqtt_settings s, const clock& clk, telemetry& tel,
              deliver_fn deliver);
  ~mqtt_ingest();

  /// Starts connecting. A broker that is down is not fatal: Paho keeps retrying.
  void start();
  /// Replaces the subscription set (after SIGHUP) and subscribes on the live session.
  void set_topics(std::vector<std::string> topics);
  void stop();
  bool connected() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::ingest
