// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Response-time targets per priority (issue 5, "Escalation"). An open alert must be
/// claimed by its claim target, or it moves up a tier; a claimed alert must be resolved by
/// its resolve target, or it re-alerts. Pure: times in, deadlines out; the time zone is
/// needed only for "next working day 09:00" targets.

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include "base/clock.hpp"

namespace hearth::alerts {

/// Either a fixed delay, or "the next working day (Monday to Friday) at this local time".
struct response_target {
  std::optional<duration> after;                     ///< set: a fixed delay
  std::chrono::minutes next_working_day_at{9 * 60};  ///< used when `after` is empty
  bool operator==(const response_target&) const = default;
};

struct escalation_policy {
  /// Index 0 is priority 1. Defaults: P1 60 s, P2 10 min, P3 4 h, P4 next working day 09:00.
  std::array<response_target, 4> claim{{{std::chrono::seconds(60)},
                                        {std::chrono::minutes(10)},
                                        {std::chrono::hours(4)},
                                        {std::nullopt}}};
  /// Claimed but unresolved for this long re-alerts. Defaults: P1 20 min, P2 2 h, P3 24 h, P4 3 d.
  std::array<duration, 4> resolve{{std::chrono::minutes(20), std::chrono::hours(2),
                                   std::chrono::hours(24), std::chrono::hours(72)}};
  std::string timezone = "UTC";  ///< IANA name, for working days

  time_point claim_due(int priority, time_point from) const;
  time_point resolve_due(int priority, time_point from) const;
};

/// 09:00 local on the first Monday-to-Friday day after the local date of `from`.
time_point next_working_day(time_point from, std::chrono::minutes local_time_of_day,
                            const std::string& timezone);

/// "60 s", "4 h", "next working day 09:00": for notes and the README.
std::string describe(const response_target& t);

}  // namespace hearth::alerts
