// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: slots. The counter rose by at least `min_per_slot` in every `slot` for `span`
/// (water running non-stop). The use between two readings is spread evenly over the slots
/// it spans; a gap longer than two slots (or two report intervals) ends the run.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

/// A run of slots with flow.
struct slots_state final : instance_state {
  bool run = false;
  long long run_start = 0, run_last = 0;
  double run_total = 0, run_raw = 0;
  time_point run_since{};

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class slots final : public behaviour {
 public:
  metric counter = metric::water_total_l;
  duration slot{std::chrono::minutes(30)};
  duration span{std::chrono::hours(24)};
  double min_per_slot = 1;  ///< litres per slot that count as flow

  void inputs(std::vector<metric>& m) const override { m.push_back(counter); }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<slots_state>();
  }
};

}  // namespace hearth::engine::kinds
