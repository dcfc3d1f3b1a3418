// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The month figure of issue 12: a simulated community runs through hearth's own pipeline
/// (engine and alert book, no storage, on a manual clock, as `hearthd replay` does) a day at
/// a time, with realistic check-in cadences, injected incidents, devices that really die
/// and a gateway that really dies. Every alert opened after the warm-up is matched to the
/// incident that explains it (its rule, its subject, soon after); the rest are false.
///
/// Deterministic: the same options give the same figures.

#include <map>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "community.hpp"

namespace hearth::app {
struct definitions;
}

namespace hearth::sim {

struct month_options {
  int households = 2000;
  std::uint64_t seed = 7;
  int warmup_days = 7;        ///< run before the measured month: hearth learns the cadences
  int days = 30;              ///< measured
  double death_rate = 0.3;    ///< devices that really die, per 2,000 households per day
  bool gateway_death = true;  ///< one LoRaWAN gateway dies halfway through the month
  /// The operator resolves every alert this long after it opened (an alert still open
  /// would absorb the next incident of the same rule and subject).
  duration handled_after = std::chrono::minutes(30);
};

/// A real death and when hearth saw it.
struct death {
  std::string device_id, type;
  time_point died, last_message, detected;  ///< detected: {} when it was not
  duration keeps{0};                        ///< the cadence the simulator gave it
  /// The interval hearth judged it on: max(its type's, the cadence hearth learned).
  duration judged_on{0};
  /// detected - last_message - 2 × judged_on: how much later than "twice its cadence".
  duration late() const { return detected - last_message - 2 * judged_on; }
};

struct month_result {
  std::size_t messages = 0, readings = 0;
  std::size_t opened = 0;  ///< alerts opened in the measured month
  std::size_t matched = 0;
  std::vector<std::string> false_alerts;  ///< "rule subject at" of each unmatched alert
  std::map<std::string, std::size_t> opened_by_rule, false_by_rule;
  std::size_t incidents = 0;        ///< expected (incident, rule) pairs in the month
  std::vector<std::string> missed;  ///< expected pairs with no alert
  std::vector<death> deaths;        ///< devices, in the month
  std::size_t gateway_deaths = 0, gateway_deaths_alerted = 0;
  std::size_t offline_behind_dead_gateway = 0;  ///< device-offline alerts for its devices
  double false_share() const {
    return opened == 0 ? 0 : static_cast<double>(false_alerts.size()) / static_cast<double>(opened);
  }
};

month_result run_month(const month_options& o, const app::definitions& defs);

/// The figures in plain words, for the command line and the bench.
std::string describe(const month_options& o, const month_result& r);

}  // namespace hearth::sim
