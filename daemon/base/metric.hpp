// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The canonical metrics of DESIGN.md. Every reading carries one of these; device types
/// map their payload fields onto them. The table gives each metric's unit, whether it is
/// a boolean (rendered as true/false in JSON) and its physically valid range.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth {

enum class metric : std::uint8_t {
  water_total_l,
  water_leak,
  water_burst,
  gas_alarm,
  gas_lel_pct,
  smoke_alarm,
  smoke_test,
  tilt_x_deg,
  tilt_y_deg,
  subsidence_mm,
  sos_pressed,
  device_battery_pct,
  device_battery_low,
  device_tamper,
  device_online,
  // Appended, not sorted: the store keeps a metric as its position in this list.
  power_total_kwh,
  power_w,
  door_open,
  motion_detected,
};

struct metric_info {
  metric id;
  std::string_view name;  ///< "water.total_l"
  std::string_view unit;  ///< "L", "%LEL", "deg", "mm", "%", "" for booleans
  bool boolean;
  double min;  ///< valid range, inclusive; a value outside is rejected as out-of-range
  double max;
};

inline constexpr std::array<metric_info, 19> k_metrics{{
    {metric::water_total_l, "water.total_l", "L", false, 0, 4294967295.0 * 1000},
    {metric::water_leak, "water.leak", "", true, 0, 1},
    {metric::water_burst, "water.burst", "", true, 0, 1},
    {metric::gas_alarm, "gas.alarm", "", true, 0, 1},
    {metric::gas_lel_pct, "gas.lel_pct", "%LEL", false, 0, 100},
    {metric::smoke_alarm, "smoke.alarm", "", true, 0, 1},
    {metric::smoke_test, "smoke.test", "", true, 0, 1},
    {metric::tilt_x_deg, "tilt.x_deg", "deg", false, -180, 180},
    {metric::tilt_y_deg, "tilt.y_deg", "deg", false, -180, 180},
    {metric::subsidence_mm, "subsidence_mm", "mm", false, -10000, 10000},
    {metric::sos_pressed, "sos.pressed", "", true, 0, 1},
    {metric::device_battery_pct, "device.battery_pct", "%", false, 0, 100},
    {metric::device_battery_low, "device.battery_low", "", true, 0, 1},
    {metric::device_tamper, "device.tamper", "", true, 0, 1},
    {metric::device_online, "device.online", "", true, 0, 1},
    // Cumulative energy, a counter like water.total_l; instantaneous active power (negative
    // when a meter sees export, e.g. solar).
    {metric::power_total_kwh, "power.total_kwh", "kWh", false, 0, 1e9},
    {metric::power_w, "power.w", "W", false, -100000, 100000},
    // Activity sensors: true while a door is open; true when motion is seen.
    {metric::door_open, "door.open", "", true, 0, 1},
    {metric::motion_detected, "motion.detected", "", true, 0, 1},
}};

constexpr const metric_info& info(metric m) {
  return k_metrics[static_cast<std::size_t>(m)];
}
constexpr std::string_view name(metric m) {
  return info(m).name;
}

/// A cumulative counter (litres, kWh): what matters is its change between two readings,
/// and a wrap or a reset is never read as negative use (normalize::counter_step).
constexpr bool is_counter(metric m) {
  return m == metric::water_total_l || m == metric::power_total_kwh;
}

constexpr std::optional<metric> metric_from_name(std::string_view n) {
  for (const auto& i : k_metrics)
    if (i.name == n) return i.id;
  return std::nullopt;
}

}  // namespace hearth
