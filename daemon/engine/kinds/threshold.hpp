// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: threshold. Breached while a `when` condition holds, for at least `for:` (default
/// 0). It ends when every `clear` condition whose metric is in a report holds; between the
/// two (the hysteresis band) nothing changes. Without `clear`, a report in which no `when`
/// condition holds ends it.

#include "engine/kind.hpp"

namespace hearth::engine::kinds {

/// A breach waiting for `for:` (its start and evidence survive a restart).
struct threshold_state final : instance_state {
  std::optional<time_point> pending_since;
  std::vector<alerts::evidence> pending_evidence;
  /// The newest reading of a `when` metric while the window is open (in the hysteresis
  /// band, say): the summary names it apart from the reading that started the breach.
  std::optional<alerts::evidence> latest;

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class threshold final : public behaviour {
 public:
  duration for_{0};  ///< `for:` the breach must last this long before it fires

  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  time_point tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<threshold_state>();
  }
};

}  // namespace hearth::engine::kinds
