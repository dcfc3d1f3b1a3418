// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: inactivity. A meter keeps reporting, but its counter rose by less than
/// `min_change` for at least `window`, and for longer than the longest quiet spell learned
/// for that household at that time of day (spells starting within `around` of the same
/// local hour, over the last `history`). Judged only when the meter reports, and only if
/// no gap between readings in the last `window` exceeds twice the type's report interval:
/// a silent meter never raises it (that is no_data). Paused while the residents are away.

#include <map>

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

/// A counter sample: event time, the unwrapped running total, and the raw reading.
struct sample {
  time_point ts;
  double total = 0;
  double raw = 0;
};

struct inactivity_state final : instance_state {
  /// Samples since the current quiet spell began. A vector, not a deque: a std::deque
  /// allocates ~600 B even when empty, for every rule instance of every device.
  std::vector<sample> quiet;
  /// Longest quiet spell (ms) by local start hour, then local day.
  std::map<int, std::map<long long, long long>> spells;

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

  void inputs(std::vector<metric>& m) const override { m.push_back(counter); }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<inactivity_state>();
  }

 private:
  std::optional<duration> learned_longest(const inactivity_state& st, const core& k,
                                          time_point since, time_point now) const;
  void learn_spell(inactivity_state& st, const core& k, time_point start, duration length) const;
};

}  // namespace hearth::engine::kinds
