// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The supervisor's answer-time figures (issue 16): for the alerts opened in a period, the
/// share answered within each target, median and p95 time to claim and to resolve,
/// outcomes by rule, false alarms by rule and device type, and the exceptions. Pure: the
/// alerts and "now" come in, the board goes out. Unit-tested on an injected clock.
///
/// How an alert is judged against a figure "priority P within W, share S %":
/// - its deadline is opened_at + W (or, for a figure without W, the escalation policy's
///   claim target for P from opened_at: "next working day 09:00" for P4 by default);
/// - it was *answered* when someone claimed it, or resolved it without claiming it (a person
///   who resolves an open alert has answered it). Answered at or before the deadline is in
///   time (exactly 60 s is within 60 s); later is late, whoever answered (an alert
///   claimed by the supervisor after it escalated counts from when it opened);
/// - not answered: an alert still open past its deadline is late; one still open before
///   it is *pending* and not judged yet; one that cleared by itself (auto-resolved)
///   before its deadline is not judged (nobody needed to answer), after it is late.
/// The share is in-time / judged; a figure with nothing judged has no share and is not
/// failed. An exception is an alert late under its priority's first (tightest) figure.
///
/// For one operator the board counts only the alerts that operator answered.
/// Percentiles are nearest-rank (the median of 4 values is the 2nd).

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/escalation.hpp"
#include "base/clock.hpp"

namespace hearth::reports {

/// One required share: `share` % of priority-`priority` alerts answered within `within`.
struct sla_figure {
  int priority = 1;
  std::optional<duration> within;  ///< none: the escalation policy's claim target
  double share = 95;               ///< percent
  bool operator==(const sla_figure&) const = default;
};

/// P1 97.5 % within 60 s and 99 % within 180 s (the TSA code's call-handling figures);
/// P2, P3 and P4 95 % within their claim target.
std::vector<sla_figure> default_figures();

/// An alert as the board reads it.
struct sla_record {
  std::string id, rule, device_type;
  int priority = 4;
  time_point opened_at;
  std::optional<time_point> answered_at;  ///< claimed, or resolved by a person unclaimed
  std::string answered_by;
  std::optional<time_point> resolved_at;
  std::string outcome;         ///< empty when unresolved or resolved by hearthd itself
  bool auto_resolved = false;  ///< resolved by hearthd (the condition cleared)
  int misses = 0;              ///< escalations for a missed target
  std::string note;            ///< the latest note a person wrote on it
};

/// Reads the answer and resolution out of an alert (its lifecycle fields).
sla_record record_of(const alerts::alert& a, std::string device_type = {}, std::string note = {});

struct figure_result {
  sla_figure figure;
  int judged = 0, in_time = 0, late = 0, pending = 0;
  std::optional<double> share;  ///< percent; none when nothing was judged
  bool met = true;              ///< share >= figure.share (true when nothing judged)
};

struct time_stats {
  int count = 0;
  std::optional<duration> median, p95;
};

struct exception_row {
  std::string id, rule;
  int priority = 0;
  time_point opened_at;
  std::optional<time_point> answered_at;
  std::string answered_by;  ///< empty when nobody answered
  duration waited{};        ///< until answered, or until now / its resolution if not
  time_point due;           ///< the deadline it missed
  std::string note;
};

struct share_count {
  int alerts = 0;  ///< resolved by a person (with an outcome)
  int false_alarms = 0;
  std::optional<double> share;  ///< percent
};

struct board {
  time_point from, to, now;
  std::optional<std::string> operator_name;
  int alerts = 0;  ///< opened in the period (for one operator: answered by them)
  std::vector<figure_result> figures;
  /// Index 0 is priority 1; [4] is all priorities.
  std::array<time_stats, 5> claim, resolve;
  /// rule -> outcome (or "auto-resolved") -> count, resolved alerts only.
  std::map<std::string, std::map<std::string, int>> outcomes;
  std::map<std::string, share_count> false_alarms_by_rule, false_alarms_by_device_type;
  std::vector<exception_row> exceptions;  ///< oldest first
};

/// The board over `records` (the alerts opened in [from, to)), judged at `now`.
board compute(const std::vector<sla_record>& records, const std::vector<sla_figure>& figures,
              const alerts::escalation_policy& policy, time_point from, time_point to,
              time_point now, const std::optional<std::string>& operator_name = std::nullopt);

/// Nearest-rank percentile (0 < p <= 100) of unsorted values; none when empty.
std::optional<duration> percentile(std::vector<duration> values, double p);

}  // namespace hearth::reports
