// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: daily_total. The counter's use in one local day:
///  - `at_least: X`: fires as soon as the day's use reaches X (excessive use: some
///    districts flag more than 2 m³ of water in a day); the next day clears it;
///  - `at_most: X`: fires when a day ends with no more than X used (too little use), judged
///    on the first reading of the next day, and only for a day the counter covered whole
///    (its first step began the day before, and no gap between readings was longer than two
///    report intervals): a silent meter is never read as low use. The day after clears it.
/// A step is counted on the day it ends. Exactly one of the two keys.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

struct daily_total_state final : instance_state {
  long long day = 0;  ///< local day and its use so far
  double day_used = 0;
  /// For at_most: where the day's first step began, and its longest step (coverage).
  std::optional<time_point> day_from;
  duration longest_step{0};
  double day_start_raw = 0;

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class daily_total final : public behaviour {
 public:
  metric counter = metric::water_total_l;
  double daily_limit = 0;
  bool at_most = false;  ///< the limit is a floor the day's use must exceed

  void inputs(std::vector<metric>& m) const override { m.push_back(counter); }
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<daily_total_state>();
  }

 private:
  void judge_ended_day(const rule& r, const context& c, core& k, const daily_total_state& st,
                       std::vector<signal>& out) const;
};

}  // namespace hearth::engine::kinds
