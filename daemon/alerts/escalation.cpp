// SPDX-License-Identifier: Apache-2.0
#include "alerts/escalation.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>

#include "base/time.hpp"

namespace hearth::alerts {
namespace {
std::size_t index_of(int priority) {
  return static_cast<std::size_t>(std::clamp(priority, 1, 4) - 1);
}
}  // namespace

time_point next_working_day(time_point from, std::chrono::minutes at, const std::string& timezone) {
  using namespace std::chrono;
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(timezone);
  } catch (const std::exception&) {
    tz = date::locate_zone("UTC");
  }
  const auto local = date::make_zoned(tz, from).get_local_time();
  auto day = floor<date::days>(local) + date::days{1};
  // Saturday and Sunday are not working days; public holidays are not modelled.
  while (true) {
    const date::weekday wd{day};
    if (wd != date::Saturday && wd != date::Sunday) break;
    day += date::days{1};
  }
  // `choose::latest` resolves a time that a DST change skips or repeats deterministically.
  const auto sys = date::make_zoned(tz, day + at, date::choose::latest).get_sys_time();
  return time_point_cast<milliseconds>(sys);
}

time_point escalation_policy::claim_due(int priority, time_point from) const {
  const auto& t = claim[index_of(priority)];
  if (t.after) return from + *t.after;
  return next_working_day(from, t.next_working_day_at, timezone);
}

time_point escalation_policy::resolve_due(int priority, time_point from) const {
  return from + resolve[index_of(priority)];
}

std::string describe(const response_target& t) {
  if (t.after) return describe_duration(*t.after);
  const auto m = t.next_working_day_at.count();
  return fmt::format("next working day {:02}:{:02}", m / 60, m % 60);
}

}  // namespace hearth::alerts
