// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A node of a high-availability pair before it is active (see ha/lease.hpp): it keeps its
/// HTTP up and tries for the lease four times a second.
///
/// Meanwhile it answers:
///  - GET /healthz: {"status":"ok"|"failing","mqtt_connected":false,"store_ok","role":
///    "standby","node","active":<holder>}
///    (503 while the database cannot be reached), and with a witness `"witness":
///    {"subscribed","held"}`;
///  - GET /metrics (loopback): hearth_ha_active 0 and the database's reachability;
///  - everything else: 503 {"error":"standby"}, and no MQTT, no rules, no writes. A load
///    balancer in front of the nodes (README, "High availability") therefore sends the
///    operators' consoles to the active node and moves them on a failover.

#include <cstdint>
#include <optional>

#include "app/config.hpp"
#include "base/telemetry.hpp"
#include "ha/lease.hpp"
#include "ingest/witness.hpp"

namespace hearth::app {

struct takeover {
  std::int64_t epoch = 0;
  /// When this standby last saw the previous holder renew its lease (`clk`'s time); empty
  /// when it never saw a holder alive. The old holder stopped within about a renewal
  /// interval of it: what it may have acknowledged and not stored was received before.
  std::optional<time_point> holder_renewed_at;
};

/// Blocks until this node holds the lease or SIGTERM/SIGINT comes (nullopt). Runs its own
/// event loop; the HTTP port is free again when it returns. `w` (may be null) is started
/// here and keeps receiving after the return, until the caller takes its messages.
std::optional<takeover> stand_by(const config& cfg, ha::lease& lease, telemetry& tel,
                                 const clock& clk, ingest::witness* w);

}  // namespace hearth::app
