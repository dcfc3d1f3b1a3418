// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Readings on PostgreSQL are partitioned by UTC day of their time: `readings_YYYYMMDD` holds
/// [day, day + 1) in milliseconds since the epoch. The writer makes a day's partition when
/// its first reading arrives, `hearthd migrate` as it copies, and retention drops whole days
/// it finds by name: all three go through here, so they agree on the names.
///
/// Threading: the caller's connection, one thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/sql.hpp"

namespace hearth::store::pg_days {

inline constexpr std::int64_t k_day_ms = 86'400'000;

/// The day (since the epoch, rounded down) of a time in milliseconds since the epoch.
std::int64_t day_of(std::int64_t ts_ms);
/// "readings_20261120" for that day.
std::string partition_name(std::int64_t day);
/// The day a partition's name stands for; nullopt for any other table name.
std::optional<std::int64_t> day_from_name(std::string_view name);
/// Creates the day's partition of `readings` unless it exists.
void create_partition(connection& c, std::int64_t day);

}  // namespace hearth::store::pg_days
