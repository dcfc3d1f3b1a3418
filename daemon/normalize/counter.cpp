// SPDX-License-Identifier: Apache-2.0
#include "normalize/counter.hpp"

#include <cmath>

namespace hearth::normalize {

counter_delta counter_step(double previous_l, double current_l, std::optional<double> wrap_l,
                           double max_step_l) {
  constexpr counter_delta reset{0, counter_delta::kind::reset};
  if (!std::isfinite(previous_l) || !std::isfinite(current_l) || previous_l < 0 || current_l < 0)
    return reset;
  if (current_l >= previous_l) {
    const double used = current_l - previous_l;
    // A huge forward jump is a replaced meter (or, with a modulus, a small step backwards
    // seen the long way round); neither is water that flowed.
    if (used > max_step_l) return reset;
    return {used, counter_delta::kind::forward};
  }
  // Backwards: a wrap only when the counter was close to its modulus and restarted near 0.
  if (wrap_l && *wrap_l > 0 && previous_l < *wrap_l && current_l < *wrap_l) {
    const double used = (*wrap_l - previous_l) + current_l;
    if (used <= max_step_l) return {used, counter_delta::kind::wrapped};
  }
  return reset;
}

}  // namespace hearth::normalize
