// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The standby load of an electricity sensor: what the household draws with nobody acting
/// (a fridge cycling, a router, a water heater on a timer), learned by time of day from its
/// own half-hours. Used by kind `activity` (engine/kinds/activity.hpp): use clearly above
/// the standby load is a sign of life; a fridge's steady kWh is not.
///
/// How it is learned:
///  - Energy is spread evenly over the span between two readings and summed per half-hour
///    of local time; a half-hour covered for at least half its length becomes an observation
///    (its average draw in W). A span longer than an hour (the sensor was silent) is not
///    spread: what it hides is unknown.
///  - The level at a time of day is the lower quarter (25th percentile) of the observations
///    of the last `history` within an hour of it: what that hour looks like on a quiet day,
///    so cooking at noon every day is still use, while a water heater that runs every night
///    at 23:00 is standby.
///  - The swing is how far the household's own draw rises above its usual level at night
///    (01:00-05:00, when nobody acts): the 98th percentile minus the 25th of its night
///    half-hours. It covers a fridge's compressor cycles.
///  - standby(t) = level(t) + swing. Nothing is known until three nights are on record.
///
/// Pure: no I/O, time only from its arguments; local time from `core`.

#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "engine/core.hpp"

namespace hearth::engine::kinds {

class standby_profile {
 public:
  static constexpr int k_slots = 48;                       ///< half-hours in a day
  static constexpr int k_nights_needed = 3;                ///< nights on record before it judges
  static constexpr int k_night_from = 2, k_night_to = 10;  ///< half-hours 01:00 to 05:00

  /// One half-hour of use: the draw so far (`watts`, averaged over the half-hour) once it is
  /// complete, or, while it is still filling, the energy so far spread over the whole
  /// half-hour (a lower bound of its average).
  struct half_hour {
    time_point start, end;
    double watts = 0;
    bool complete = false;
  };

  /// Adds `kwh` used evenly over [from, to]. Returns the half-hours this completed, then the
  /// one still filling (if `to` lies inside one).
  std::vector<half_hour> add(const core& k, time_point from, time_point to, double kwh,
                             duration history);
  /// The standby draw (W) at the time of day of `t`; nullopt until enough nights are known.
  std::optional<double> at(const core& k, time_point t) const;
  /// Nights on record (days with at least four night half-hours observed).
  int nights() const;

  void write(boost::json::object& o) const;
  void read(const boost::json::object& o);

 private:
  void complete(const core& k, std::vector<half_hour>& out, duration history);

  long long slot_ = -1;   ///< the half-hour being filled (since the epoch), -1: none
  double wh_ = 0;         ///< its energy so far
  double covered_s_ = 0;  ///< and how much of it the readings covered
  /// Local day -> average draw (W) of each half-hour of that day; NaN where not observed.
  std::map<long long, std::array<float, k_slots>> days_;
};

}  // namespace hearth::engine::kinds
