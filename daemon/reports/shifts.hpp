// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The centre's shifts: local start times (config `shifts:`), turned into periods. Pure.

#include <chrono>
#include <string>
#include <vector>

#include "base/clock.hpp"

namespace hearth::reports {

struct period {
  time_point from, to;  ///< [from, to)
  bool operator==(const period&) const = default;
};

/// The shift that contains `t` (`back` 0), or the one `back` shifts before it. `starts`
/// are local times of day (any order) in `timezone`; a start that a DST change skips is taken
/// at the latest matching instant.
period shift_of(time_point t, const std::vector<std::chrono::minutes>& starts,
                const std::string& timezone, int back = 0);

}  // namespace hearth::reports
