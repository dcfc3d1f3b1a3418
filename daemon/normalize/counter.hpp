// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Cumulative counters (water.total_l): the litres used between two readings of one meter.
/// Pure; the engine keeps the previous total per device and calls `counter_step` on each new
/// one. A counter that wraps at its modulus (the device type's `counter_wrap`) is carried
/// over; a jump backwards that is not a plausible wrap, or an implausibly large jump
/// forwards, is a reset (meter replaced, battery pulled, re-commissioned) and counts as
/// 0 L used, so that a reset never reads as negative use or as a huge burst of use.

#include <optional>

namespace hearth::normalize {

/// Above this many litres between two consecutive readings, the step is not believed: no
/// household draws 100 m3 between two reports (a burst pipe at 30 L/min for a whole day is
/// 43 m3). The engine may pass a tighter bound derived from the elapsed time.
inline constexpr double k_max_counter_step_l = 100'000;

struct counter_delta {
  enum class kind {
    forward,  ///< ordinary: current >= previous
    wrapped,  ///< the counter passed its modulus and started again from 0
    reset,    ///< implausible step: treated as a reset, 0 L used
  };
  double used_l = 0;  ///< never negative, never more than the step bound
  kind what = kind::forward;
  bool operator==(const counter_delta&) const = default;
};

/// Litres used from `previous_l` to `current_l`. `wrap_l` is the counter's modulus in litres
/// (2^32 for the reference meter), or nullopt when the counter does not wrap. Values that
/// are not finite or are negative are treated as a reset.
counter_delta counter_step(double previous_l, double current_l, std::optional<double> wrap_l,
                           double max_step_l = k_max_counter_step_l);

}  // namespace hearth::normalize
