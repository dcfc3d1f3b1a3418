// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Activity sensors: the devices that can show a sign of life (DESIGN.md): those that
/// report water.total_l, power.total_kwh / power.w, door.open or motion.detected. Smoke,
/// gas, tilt and SOS devices are not. A device is judged by its type's field mappings.

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/core.hpp"

namespace hearth::engine::kinds {

/// What a sensor can show a sign of life with, as bits.
enum sign_of_life : std::uint8_t {
  sign_water = 1,   ///< water used
  sign_power = 2,   ///< electricity above the standby load
  sign_door = 4,    ///< a door opening
  sign_motion = 8,  ///< motion seen
};

/// The signs a metric can carry (0 for none).
std::uint8_t signs_of(metric m);
/// The signs a device type's mappings can carry (0 for a type without fields, e.g. native).
std::uint8_t signs_of(const catalog::device_type& t);

struct activity_sensor {
  const registry::device* dev = nullptr;
  const catalog::device_type* type = nullptr;
  std::uint8_t signs = 0;
};

/// The household's activity sensors, in import order.
std::vector<activity_sensor> activity_sensors(const core& k, const registry::device& dev);
/// Whether any of `sensors` can show a sign of life other than water (electricity, a door,
/// motion): such a household is lone-elder-inactive's, never lone-elder-no-water's.
bool beyond_water(const std::vector<activity_sensor>& sensors);

}  // namespace hearth::engine::kinds
