// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The activity sensors beyond the water meter (issue 14) and the daily routine they see:
/// an energy meter (a fridge and a router at rest, a kettle after waking, cooking at noon
/// and in the evening, the television and lights until bed), the entrance door (out in the
/// morning and back, sometimes again in the afternoon) and motion in the living room while
/// the resident is up and at home. Each sensor also checks in as the real devices do.
///
/// Pure and deterministic, like the rest of the simulator: one stream per (household, day).

#include <vector>

#include "community.hpp"
#include "traffic.hpp"

namespace hearth::sim {

/// [from, until): empty by default.
struct span {
  time_point from = time_point::max(), until = time_point::max();
  bool contains(time_point t) const { return t >= from && t < until; }
};

/// What incidents change in a household's routine, as its activity sensors see it.
struct activity_plan {
  span idle;  ///< the resident does nothing the sensors see (lying still, or away)
  time_point leave_at = time_point::max();  ///< the door opens and closes once: leaving
  span door_open;                           ///< the door is left open
};

struct activity_window {
  time_point start, end;
  int utc_offset_hours = 8;
  std::uint64_t seed = 7;
  /// Energy meters: the cumulative kWh carried from the period before (< 0: the device's
  /// own starting value), so that a month generated a day at a time never counts backwards.
  double kwh = -1;
};

/// Every message of activity sensor `index` (an energy, door or motion device) over the
/// window, unsorted. Message times lie in [start, end). For an energy meter, `kwh_end`
/// (when given) gets its cumulative kWh at the window's end.
std::vector<message> activity_stream(const community& c, int index, const activity_window& w,
                                     const activity_plan& p, double* kwh_end = nullptr);

}  // namespace hearth::sim
