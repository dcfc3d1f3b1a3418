// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: no_data. Nothing arrived from a device for `intervals` × the interval it is judged
/// on: its type's `report_interval` (the prior and the floor), or the cadence it has been
/// seen to keep when that is longer (`core::interval_of`). Silence is judged on arrival time,
/// over the time hearthd was listening (`core::silent_since`).
///
/// One outage is one episode: the alert fires once; a device that comes back and drops out
/// again before it has been back steadily for `steady_for` (default: one interval) fires
/// again into the same episode (the open alert's count goes up, `{dropouts}` says how
/// often), and the episode clears on the first message after it has been back that long.
/// Devices behind an offline gateway, and gateways themselves, are left to gateway-offline.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

struct no_data_state final : instance_state {
  time_point back{};           ///< it spoke again at this time, in this episode (0: silent)
  std::uint32_t dropouts = 0;  ///< how often it dropped out again in this episode

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class no_data final : public behaviour {
 public:
  double intervals = 2;
  std::optional<duration> steady_for;  ///< back this long clears the episode

  void on_any_report(const rule& r, const context& c, core& k) const override;
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  time_point tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<no_data_state>();
  }

 private:
  duration allowed(duration interval) const {
    return std::chrono::duration_cast<duration>(interval * intervals);
  }
};

}  // namespace hearth::engine::kinds
