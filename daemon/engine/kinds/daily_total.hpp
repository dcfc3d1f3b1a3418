// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: daily_total. The counter rose by at least `at_least` in one local day. A step is
/// counted on the day it ends; the next day clears it.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

struct daily_total_state final : instance_state {
  long long day = 0;  ///< local day and litres so far
  double day_used = 0;

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class daily_total final : public behaviour {
 public:
  metric counter = metric::water_total_l;
  double daily_limit = 0;

  void inputs(std::vector<metric>& m) const override { m.push_back(counter); }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<daily_total_state>();
  }
};

}  // namespace hearth::engine::kinds
