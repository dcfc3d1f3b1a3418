// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/sensors.hpp"

#include <algorithm>

namespace hearth::engine::kinds {

std::uint8_t signs_of(metric m) {
  switch (m) {
    case metric::water_total_l:
      return sign_water;
    case metric::power_total_kwh:
    case metric::power_w:
      return sign_power;
    case metric::door_open:
      return sign_door;
    case metric::motion_detected:
      return sign_motion;
    default:
      return 0;
  }
}

std::uint8_t signs_of(const catalog::device_type& t) {
  std::uint8_t s = 0;
  for (const auto& f : t.fields)
    s |= signs_of(f.metric);
  return s;
}

std::vector<activity_sensor> activity_sensors(const core& k, const registry::device& dev) {
  std::vector<activity_sensor> out;
  for (const auto* d : k.reg().devices_beside(dev)) {
    const auto* t = k.types().find(d->type);
    if (!t) continue;
    if (const auto s = signs_of(*t)) out.push_back({d, t, s});
  }
  return out;
}

bool beyond_water(const std::vector<activity_sensor>& sensors) {
  return std::any_of(sensors.begin(), sensors.end(),
                     [](const activity_sensor& s) { return (s.signs & ~sign_water) != 0; });
}

}  // namespace hearth::engine::kinds
