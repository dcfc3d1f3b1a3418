// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the engine hands out: signals (a rule's verdict about one subject) for the alert
/// book, and state rows (key/json) for the store.

#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "base/clock.hpp"

namespace hearth::engine {

/// A rule's verdict about one subject.
struct signal {
  enum class kind { fire, clear } what = kind::fire;
  std::string rule;
  int priority = 4;
  std::string key;  ///< "rule|subject": the dedup key of the alert
  alerts::subject subject;
  std::string title, summary;  ///< in the config's `locale`
  alerts::wordings texts;      ///< in every locale
  std::vector<alerts::evidence> evidence;
  time_point at;              ///< event time of the report (or the tick) that produced it
  bool auto_resolve = false;  ///< from the rule: a clear signal may resolve the alert
  bool welfare = false;       ///< from the rule: paused while the resident is away
};

/// One persisted piece of engine state: `json` empty means "delete the key".
struct state_row {
  std::string key;
  std::string json;
  bool operator==(const state_row&) const = default;
};

}  // namespace hearth::engine
