// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A node of a high-availability pair before it is active (see ha/lease.hpp): it keeps its
/// HTTP up and tries for the lease four times a second.
///
/// Meanwhile it answers:
///  - GET /healthz: {"status":"ok"|"failing","mqtt_connected":false,"store_ok","role":
///    "standby","node","active":<holder>}
///    (503 while the database cannot be reached);
///  - GET /metrics (loopback): hearth_ha_active 0 and the database's reachability;
///  - everything else: 503 {"error":"standby"}, and no MQTT, no rules, no writes. A load
///    balancer in front of the nodes (README, "High availability") therefore sends the
///    operators' consoles to the active node and moves them on a failover.

#include <cstdint>
#include <optional>

#include "app/config.hpp"
#include "base/telemetry.hpp"
#include "ha/lease.hpp"

namespace hearth::app {

/// Blocks until this node holds the lease (returns the epoch) or SIGTERM/SIGINT comes
/// (nullopt). Runs its own event loop; the HTTP port is free again when it returns.
std::optional<std::int64_t> stand_by(const config& cfg, ha::lease& lease, telemetry& tel);

}  // namespace hearth::app
