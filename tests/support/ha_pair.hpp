// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Two hearthd nodes ("a" and "b") on one PostgreSQL database and one mosquitto with
/// persistence, sharing the MQTT client id `hearthd-ha` (issue 17): for the failover tests
/// and the failover bench. The registry is the sample one plus `k_sos_buttons` SOS buttons
/// (sos-0, sos-1, ...) in H-3-502.

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>

#include "support/harness.hpp"

namespace hearth::test {

inline constexpr int k_sos_buttons = 12;

/// The Zigbee2MQTT topic of SOS button sos-<i>.
std::string sos_topic(int i);

/// The alerts a node's API lists (empty when it does not answer 200: a standby).
boost::json::array alerts_of(unsigned short port);
/// The open or acknowledged alert about `device`, if the node shows one.
std::optional<boost::json::object> alert_about(unsigned short port, const std::string& device);

struct ha_pair {
  temp_dir broker_dir, dir_a, dir_b;
  broker mosquitto;
  std::string db;
  std::string registry;
  std::unique_ptr<daemon_process> a, b;

  /// Starts a (waits until it is active) then b (until it stands by).
  /// `db_for_a`: how node a reaches the database (default: the same URI as b).
  explicit ha_pair(std::string database, std::string db_for_a = {});

  daemon_process::options options(const std::string& node, const std::string& database,
                                  const std::string& token);

  /// The node reporting "active", if exactly one does.
  daemon_process* active();
};

}  // namespace hearth::test
