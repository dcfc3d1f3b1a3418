// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the welfare kinds (inactivity, activity) share: the samples of a counter since its
/// current quiet spell began, and the household's learned quiet spells by time of day.
/// Both are parts of an instance's row and keep the row fields they always wrote
/// ("quiet", "spells").

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core.hpp"

namespace hearth::engine::kinds {

/// A counter sample: event time, the unwrapped running total, and the raw reading.
struct sample {
  time_point ts;
  double total = 0;
  double raw = 0;
};

/// Samples since the counter's current quiet spell began: less than `min_change` was used
/// from the front sample to the newest. A vector, not a deque: a std::deque allocates
/// ~600 B even when empty, for every rule instance of every device.
struct quiet_samples {
  std::vector<sample> quiet;

  /// Starts afresh at `s` (a first reading, or a reset: use across it is unknown).
  void restart(const sample& s);
  /// Appends `s` and drops every front sample after which at least `min_change` was used.
  /// Returns true when the front moved (use ended the quiet spell). At most 5,000 samples
  /// are kept (~200 days hourly).
  bool push(const sample& s, double min_change);
  bool empty() const { return quiet.empty(); }
  const sample& front() const { return quiet.front(); }

  void write(boost::json::object& o) const;
  void read(const boost::json::object& o);
};

/// Longest quiet spell (ms) by local start hour, then local day: a household's routine.
struct quiet_spells {
  std::map<int, std::map<long long, long long>> spells;

  /// Records a spell that started at `start` and lasted `length` (spells under an hour say
  /// nothing about a routine and are not kept); forgets days older than `history`.
  void learn(const core& k, time_point start, duration length, duration history);
  /// The longest spell on record that started within `around` of the local hour of `since`,
  /// over the `history` before `now`.
  std::optional<duration> longest(const core& k, time_point since, time_point now, duration history,
                                  duration around) const;

  void write(boost::json::object& o) const;
  void read(const boost::json::object& o);
};

/// The placeholders both welfare kinds fill for a quiet spell that began at `since` and is
/// judged at `now`: since, quiet_for, window, longest_quiet, baseline, last_seen.
void fill_quiet_vars(args& vars, time_point since, time_point now, duration window,
                     duration history, std::optional<duration> longest);

}  // namespace hearth::engine::kinds
