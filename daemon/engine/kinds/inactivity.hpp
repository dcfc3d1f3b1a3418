// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: inactivity. A meter keeps reporting, but its counter rose by less than
/// `min_change` for at least `window`, and for longer than the longest quiet spell learned
/// for that household at that time of day (spells starting within `around` of the same
/// local hour, over the last `history`). Judged only when the meter reports, and only if
/// no gap between readings in the last `window` exceeds twice the type's report interval:
/// a silent meter never raises it (that is no_data). Paused while the residents are away.
/// With `sole_activity_sensor: true`, only while the meter is its household's only activity
/// sensor: a household that also has electricity, door or motion sensors is kind
/// `activity`'s (lone-elder-inactive).

#include "engine/kind.hpp"
#include "engine/kinds/quiet.hpp"

namespace hearth::engine::kinds {

struct inactivity_state final : instance_state {
  quiet_samples quiet;  ///< the meter's samples since its quiet spell began
  quiet_spells spells;  ///< the household's learned quiet spells

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class inactivity final : public behaviour {
 public:
  metric counter = metric::water_total_l;
  duration window{std::chrono::hours(12)};
  double min_change = 10;
  duration history{std::chrono::hours(24 * 28)};  ///< how far back quiet spells are learned
  duration around{std::chrono::hours(1)};         ///< "the same time of day": start hour ± this
  bool sole_activity_sensor = false;

  void inputs(std::vector<metric>& m) const override { m.push_back(counter); }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<inactivity_state>();
  }
};

}  // namespace hearth::engine::kinds
