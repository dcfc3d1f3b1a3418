// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: baseline. Tilt change from a sensor's installation angles, as a slope in ‰ (the
/// unit of GB 50007), against the rule's `limit_permille` or the building's limit (4 ‰
/// when none is given), times `fraction`. Clears 10 % below, so sensor noise cannot flap it.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

class baseline final : public behaviour {
 public:
  std::optional<double> limit_permille;  ///< fixed limit; default: the building's (4 ‰)
  double fraction = 1;                   ///< fires at limit × fraction

  void inputs(std::vector<metric>& m) const override {
    m.push_back(metric::tilt_x_deg);
    m.push_back(metric::tilt_y_deg);
  }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
};

}  // namespace hearth::engine::kinds
