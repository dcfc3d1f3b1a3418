// SPDX-License-Identifier: Apache-2.0
#include "store/pg_days.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace hearth::store::pg_days {

std::int64_t day_of(std::int64_t ts_ms) {
  return ts_ms >= 0 ? ts_ms / k_day_ms : -((-ts_ms + k_day_ms - 1) / k_day_ms);
}

std::string partition_name(std::int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("readings_{:04}{:02}{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<std::int64_t> day_from_name(std::string_view name) {
  int y = 0;
  unsigned m = 0, d = 0;
  const std::string text(name);
  if (text.size() != 17 || std::sscanf(text.c_str(), "readings_%4d%2u%2u", &y, &m, &d) != 3)
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

void create_partition(connection& c, std::int64_t day) {
  c.exec(fmt::format(
      "CREATE TABLE IF NOT EXISTS \"{}\" PARTITION OF readings FOR VALUES FROM ({}) TO ({})",
      partition_name(day), day * k_day_ms, (day + 1) * k_day_ms));
}

}  // namespace hearth::store::pg_days
