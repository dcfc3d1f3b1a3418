// SPDX-License-Identifier: Apache-2.0
#include "reports/shifts.hpp"

#include <date/tz.h>

#include <algorithm>

namespace hearth::reports {

namespace {
const date::time_zone* zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

/// Every shift start from `days_back` days before `t`'s local date to the day after, ascending.
std::vector<time_point> starts_around(time_point t, const std::vector<std::chrono::minutes>& starts,
                                      const date::time_zone* tz, int days_back) {
  using namespace std::chrono;
  const auto day = floor<date::days>(date::make_zoned(tz, t).get_local_time());
  std::vector<time_point> out;
  for (int d = -days_back; d <= 1; ++d)
    for (auto m : starts)
      out.push_back(time_point_cast<milliseconds>(
          date::make_zoned(tz, day + date::days{d} + m, date::choose::latest).get_sys_time()));
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

period shift_of(time_point t, const std::vector<std::chrono::minutes>& starts,
                const std::string& timezone, int back) {
  if (starts.empty()) return {t - std::chrono::hours(8), t};
  const auto* tz = zone(timezone);
  // Enough days back to step `back` shifts even with one shift a day.
  const auto all = starts_around(t, starts, tz, 1 + back / static_cast<int>(starts.size()) + 1);
  std::size_t i = 0;  // the last start at or before t
  for (std::size_t k = 0; k < all.size(); ++k)
    if (all[k] <= t) i = k;
  const auto b = static_cast<std::size_t>(back);
  if (b > i) return {all.front(), all[1]};
  return {all[i - b], all[i - b + 1]};
}

}  // namespace hearth::reports
