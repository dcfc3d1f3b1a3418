// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Publishes alert transitions to the broker with its own Paho async client (client id
/// "<client_id>-out"), separate from ingest so that the ingest's persistent session and
/// subscriptions are never disturbed by output traffic.
///
/// `publish` never blocks: Paho queues the message (up to 10,000, oldest dropped first)
/// while the broker is away and sends it on reconnect. Paho exceptions are caught here.
/// Threading: `publish` may be called from any thread; Paho runs its callbacks on its own.

#include <memory>
#include <string>

#include "base/telemetry.hpp"
#include "ingest/mqtt_connection.hpp"

namespace hearth::notify {

class mqtt_publisher {
 public:
  /// `c` is the ingest connection (same URI, TLS files and credentials); `c.client_id`
  /// is this client's own id ("<client_id>-out").
  mqtt_publisher(ingest::mqtt_connection c, telemetry& tel);
  ~mqtt_publisher();
  mqtt_publisher(const mqtt_publisher&) = delete;
  mqtt_publisher& operator=(const mqtt_publisher&) = delete;

  void start();
  /// QoS 1 by default; `retain` asks the broker to keep it for later subscribers. Returns
  /// false when Paho refused the message (counted).
  bool publish(const std::string& topic, const std::string& payload, int qos = 1,
               bool retain = false);
  void stop();
  bool connected() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace hearth::notify
