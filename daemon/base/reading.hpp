// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A reading: device, metric, value, event time (DESIGN.md). The unit comes from the
/// metric table. Booleans are stored as 0/1 and rendered as JSON booleans.

#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"

namespace hearth {

struct reading {
  std::string device_id;  ///< registry device_id (not the external id)
  hearth::metric metric;
  double value = 0;
  time_point ts;  ///< event time (from the payload when it carries one)
  bool operator==(const reading&) const = default;
};

/// One message's readings share a device and a time: rules see them together, so that
/// "smoke with test=true" in one report reads as a test press, not as smoke.
struct report {
  std::string device_id;
  std::string device_type;
  time_point ts;  ///< event time
  std::vector<reading> readings;
  /// The external ids of the LoRaWAN gateways that heard it (ChirpStack rxInfo, The Things
  /// Stack rx_metadata): what the engine learns the gateway links from. Empty otherwise.
  std::vector<std::string> gateways;
  /// When hearthd received the message (epoch: not known, taken as `ts`). An event whose
  /// time is well before it (a gateway's backlog) still alerts, and says how late it came.
  time_point received_at{};
};

}  // namespace hearth
