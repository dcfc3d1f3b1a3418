// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A device's readings as hourly figures for the console's charts (issue 15): water used
/// per hour, energy per hour, door openings and motion per hour, mean power. Pure.
///
/// How each metric is summed:
///  - a counter (`water.total_l`, `power.total_kwh`) gives what was used: each step between
///    two readings (`normalize::counter_step`, so a wrap is carried and a reset counts 0) is
///    spread over the hours between them in proportion to time. An hour that no step
///    covers is null: "no data", never drawn as 0 ("nothing used");
///  - a boolean (`door.open`, `motion.detected`) gives how many readings were true in the
///    hour (openings, detections); 0 in an hour between the first and last reading, null
///    outside;
///  - anything else gives the mean of the hour's readings, null when there is none.
/// Hours are whole UTC hours (whole local hours in any zone with a whole-hour offset, such
/// as Asia/Shanghai).

#include <optional>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"
#include "store/rows.hpp"

namespace hearth::api {

enum class series_kind { use, count, mean };
std::string_view series_kind_name(series_kind k);  ///< "use", "count", "mean"
series_kind kind_of(metric m);

/// The metrics that can show a sign of life (DESIGN.md "activity sensors") that this build
/// knows, in a fixed order.
std::vector<metric> activity_metrics();

/// `hours` hourly values of metric `m` from `from` (a whole hour), from `readings` (any
/// metrics, oldest first; readings before `from` give the first step). `wrap` is a
/// counter's modulus.
std::vector<std::optional<double>> hourly(metric m,
                                          const std::vector<store::stored_reading>& readings,
                                          time_point from, std::size_t hours,
                                          std::optional<double> wrap);

}  // namespace hearth::api
