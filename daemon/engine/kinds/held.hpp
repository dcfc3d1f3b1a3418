// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: held. A `when` condition (any of them) has held for `for:` within the local hours
/// `between: [from, to]` (which may run past midnight: ["22:00", "06:00"]). Only the time
/// inside one such stretch of hours counts: a door opened at 20:00 and still open fires at
/// 22:30 with `for: 30min`, one open from 05:50 to 06:10 does not. It fires from `tick` as
/// soon as the time is reached, without waiting for a report; a report in which no `when`
/// condition holds ends it (and clears an alert). The condition's start survives a restart.

#include <optional>

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

struct held_state final : instance_state {
  std::optional<time_point> since;  ///< when the condition began (event time)
  std::vector<alerts::evidence> evidence;

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class held final : public behaviour {
 public:
  duration for_{std::chrono::minutes(30)};
  int from_minute = 22 * 60, to_minute = 6 * 60;  ///< local hours, minutes since midnight

  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  time_point tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<held_state>();
  }

  /// When a condition that began at `since` has been held for `for:` inside the hours, and
  /// the start of the stretch it is counted from. Pure (local time from `k`).
  std::pair<time_point, time_point> due(const core& k, time_point since) const;

 private:
  /// The stretch of hours that contains `t`, or the next one after it.
  std::pair<time_point, time_point> stretch(const core& k, time_point t) const;
};

}  // namespace hearth::engine::kinds
