// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: no_data. Nothing arrived from a device for `intervals` × its type's
/// `report_interval` (judged on arrival time, from the clock). Fires once; the device's
/// next message clears it. Devices behind an offline gateway, and gateways themselves, are
/// left to gateway-offline.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

class no_data final : public behaviour {
 public:
  double intervals = 2;

  void on_any_report(const rule& r, const context& c, core& k) const override;
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  time_point tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const override;
};

}  // namespace hearth::engine::kinds
