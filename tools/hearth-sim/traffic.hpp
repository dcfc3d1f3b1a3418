// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the simulated community sends over a period: every device's messages in its
/// transport's exact format (DESIGN.md, ../shared/samples), plus injected incidents and
/// faults, each listed with the rule ids hearth is expected to raise for it and the
/// rejection reasons it is expected to count.
///
/// Pure and deterministic: the same community and options give the same messages, in the
/// same order, byte for byte.

#include <optional>
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

/// Where a device's stream stands at the end of a period: the next period continues it
/// (`traffic_options::from`), so a month can be generated a day at a time.
struct resume {
  time_point next{};  ///< its next regular message
  double litres = 0, battery = 0;
  std::uint32_t frame_counter = 0;
  bool dead =
      false;        ///< it died: it never sends again (for a gateway: nothing is heard through it)
  double kwh = -1;  ///< energy meters: the cumulative kWh (< 0: not an energy meter)
  /// No other welfare incident of its household is planned before then: while its resident
  /// is marked away hearth rightly pauses her welfare rules, and an alerted quiet spell is
  /// learned as her routine for that time of day (capped at twice the window) for the
  /// rules' 28-day history, so a second one there would rightly raise nothing.
  time_point spared_until{};
};

struct traffic_options {
  time_point start;  ///< default: 2026-11-20T00:00:00+08:00
  double days = 1;
  bool incidents = true;
  double incident_rate = 1;  ///< multiplies the per-2,000-households-per-day counts
  int utc_offset_hours = 8;  ///< the community's local time (Asia/Shanghai), for water use
  /// Devices that really die (never send again), per 2,000 households per day; fractional
  /// rates are drawn, not rounded up (0: none, as before).
  double death_rate = 0;
  /// A LoRaWAN gateway (chosen by the seed) really dies at this time, if it is in the period.
  std::optional<time_point> gateway_death_at;
  /// The end state of the period before (its `end_state`); null: the first period.
  const std::vector<resume>* from = nullptr;
  /// Inject gateway outages (3 h each, the gateway's state going OFFLINE and back, its
  /// devices' uplinks held and flushed at reconnect). Off in a replay whose alerts are
  /// asserted exactly and that does not judge gateways.
  bool gateway_outages = true;
};

struct traffic {
  std::vector<message> messages;  ///< sorted by ts (stable)
  std::vector<incident> incidents;
  std::vector<resume> end_state;  ///< by device, for the next period
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
