// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the simulated community sends over a period: every device's messages in its
/// transport's exact format (DESIGN.md, ../shared/samples), plus injected incidents and
/// faults, each listed with the rule ids hearth is expected to raise for it and the
/// rejection reasons it is expected to count.
///
/// Pure and deterministic: the same community and options give the same messages, in the
/// same order, byte for byte.

#include <string>
#include <vector>

#include "base/clock.hpp"
#include "community.hpp"

namespace hearth::sim {

/// One MQTT message as the broker delivers it: `ts` is the receipt time (the capture's
/// "ts"); the payload carries the device's own event time where the transport has one.
struct message {
  time_point ts;
  std::string topic;
  std::string payload;
  int device = -1;  ///< index into community::devices, -1 for none
};

struct incident {
  std::string id;    ///< "inc-0001"
  std::string kind;  ///< sos-press, smoke, smoke-test, gas-leak, quiet-resident, ...
  time_point at;     ///< when it starts (or, for a fault, when the odd message is sent)
  std::string device_id, household_id, building;
  /// Rule ids hearth should raise for it, each once (empty: it must raise nothing).
  std::vector<std::string> expected_rules;
  /// One normalize::reason code per message hearth should refuse or drop.
  std::vector<std::string> expected_rejections;
  std::string detail;  ///< plain words
  /// Set when the incident expects its resident to be marked away (POST
  /// /api/v1/residents/{id}/away) from `at` until then: a replay must do so to expect nothing.
  std::string away_resident_id;
  time_point away_until = time_point::max();
};

struct traffic_options {
  time_point start;  ///< default: 2026-11-20T00:00:00+08:00
  double days = 1;
  bool incidents = true;
  double incident_rate = 1;  ///< multiplies the per-2,000-households-per-day counts
  int utc_offset_hours = 8;  ///< the community's local time (Asia/Shanghai), for water use
  /// Inject gateway outages. Their expectation (gateway-offline, and no device-offline for
  /// the devices behind the gateway) needs the gateway's state, which is not simulated yet:
  /// a replay that asserts every alert turns them off.
  bool gateway_outages = true;
};

struct traffic {
  std::vector<message> messages;  ///< sorted by ts (stable)
  std::vector<incident> incidents;
};

traffic make_traffic(const community& c, const traffic_options& o);

/// `{"ts":"...","topic":"...","payload":"..."}` (or "payload_b64" when not UTF-8 text).
std::string capture_line(const message& m);
/// A JSON array of incidents, one per line.
std::string incidents_json(const std::vector<incident>& list);

std::string base64_encode(std::string_view bytes);

/// The reference meter frame (../shared/samples/README.md): total litres u32le, flags, battery.
std::string meter_frame(std::uint32_t total_l, bool leak, bool burst, bool battery_low, bool tamper,
                        int battery);

}  // namespace hearth::sim
