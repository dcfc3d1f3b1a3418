// SPDX-License-Identifier: Apache-2.0
#include "base/clock.hpp"

namespace hearth {

time_point wall_clock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace hearth
