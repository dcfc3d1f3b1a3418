// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The alert book: turns engine signals into alerts, exactly once per episode. An alert is
/// keyed on (rule, subject); while one is open or acknowledged, repeats increment its
/// `occurrences` and refresh its evidence instead of opening a duplicate.
///
/// Threading: domain thread only. Time from the injected clock.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "base/clock.hpp"
#include "engine/engine.hpp"

namespace hearth::alerts {

struct transition {
  enum class kind { opened, updated, resolved } what;
  alert after;
};
std::string_view transition_name(transition::kind k);

struct queue_filter {
  std::optional<alerts::state> state;
  std::optional<int> priority;
  std::optional<std::string> building;
};

class book {
 public:
  book(const clock& c, std::uint64_t last_id) : clock_(c), last_id_(last_id) {}

  /// Reinstates alerts that were open or acknowledged when the daemon stopped.
  void restore(std::vector<alert> active);

  std::vector<transition> on_signal(const engine::signal& s);

  /// Open and acknowledged alerts matching `f`, most urgent first, then oldest first.
  std::vector<alert> queue(const queue_filter& f = {}) const;
  const alert* find(const std::string& id) const;

 private:
  const clock& clock_;
  std::uint64_t last_id_;
  std::map<std::string, alert> active_;        ///< by id
  std::map<std::string, std::string> by_key_;  ///< dedup key -> id
};

/// Orders alerts for the operator queue: priority, then age, then id.
bool queue_order(const alert& a, const alert& b);

}  // namespace hearth::alerts
