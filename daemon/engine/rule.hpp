// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rule definitions: YAML files in `rules/` (format in the README and
/// `schemas/rule.schema.json`). Parsing is pure; templates are checked at load time, so a
/// misspelt placeholder is a `file:line` error at start, not a broken alert at 3 a.m.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/diagnostic.hpp"
#include "base/metric.hpp"
#include "i18n/text.hpp"

namespace hearth::engine {

/// A condition on one metric of a report: `{metric: gas.lel_pct, at_least: 20}`.
struct condition {
  hearth::metric metric;
  enum class op { is, at_least, above, at_most, below } cmp = op::is;
  double operand = 1;
  bool holds(double v) const;
  std::string describe() const;  ///< "gas.lel_pct ≥ 20"
};

/// The kinds of DESIGN.md / issue 4. See the README ("Rules") for one example of each.
enum class rule_kind {
  event,        ///< fires on every report where a `when` condition holds (unless excepted)
  threshold,    ///< a state: `when` held for `for:`; ends when the `clear` conditions hold
  inactivity,   ///< a counter kept reporting but changed < min_change for the window
  no_data,      ///< nothing arrived for `intervals` × the type's report_interval
  baseline,     ///< tilt change from the installation angles against a limit in ‰
  slots,        ///< the counter rose in every `slot` for `span`
  daily_total,  ///< the counter rose by at least `at_least` in one local day
};
std::string_view kind_name(rule_kind k);
enum class subject_scope { device, household, building };

/// Which devices and residents a rule applies to.
struct selector {
  std::vector<std::string> device_types;  ///< empty: any
  std::optional<int> min_age;             ///< some resident of the household is at least this old
  std::optional<bool> lives_alone;
  std::vector<std::string> buildings;  ///< empty: any
};

struct rule {
  std::string id;
  int priority = 4;
  rule_kind kind = rule_kind::event;
  /// Title and summary templates in every language (`{zh-CN: ..., en: ...}`); each
  /// placeholder is one the rule's kind fills, checked at load in every language.
  i18n::text title_text, summary_text;
  /// The templates in the locale the daemon publishes in (`select_locale`; zh-CN at load).
  std::string title, summary;
  subject_scope subject = subject_scope::device;
  selector select;
  std::vector<condition> when;    ///< event: any of these fires; threshold: any of these breaches
  std::vector<condition> unless;  ///< event: none of these may hold in the same report
  /// event/threshold: the condition has ended when every clear condition whose metric is in
  /// a report holds (and no `when` does). Threshold default: no `when` condition holds.
  std::vector<condition> clear;
  bool welfare = false;       ///< paused while the resident is away
  bool auto_resolve = false;  ///< carried on clear signals: the book may resolve the alert
  std::string file;
  int line = 0;

  // threshold
  duration for_{0};  ///< `for:` the breach must last this long before it fires
  // inactivity, slots, daily_total: the counter they read
  hearth::metric counter = hearth::metric::water_total_l;
  // inactivity
  duration window{std::chrono::hours(12)};
  double min_change = 10;
  duration history{std::chrono::hours(24 * 28)};  ///< how far back quiet spells are learned
  duration around{std::chrono::hours(1)};         ///< "the same time of day": start hour ± this
  // no_data
  double intervals = 2;
  // baseline
  std::optional<double> limit_permille;  ///< fixed limit; default: the building's (4 ‰)
  double fraction = 1;                   ///< fires at limit × fraction
  // slots
  duration slot{std::chrono::minutes(30)};
  duration span{std::chrono::hours(24)};
  double min_per_slot = 1;  ///< litres per slot that count as flow
  // daily_total
  double daily_limit = 0;

  /// Metrics this rule reads.
  std::vector<hearth::metric> inputs() const;
};

std::optional<rule> parse_rule(const std::string& text, const std::string& file, diagnostics& out);

/// Loads every `*.yaml` in `dir`; ids must be unique.
std::vector<rule> load_rules_dir(const std::string& dir, diagnostics& out);

/// Sets each rule's `title` and `summary` to its texts in `locale` (the config's `locale`,
/// the language of what hearthd publishes).
void select_locale(std::vector<rule>& rules, std::string_view locale);

}  // namespace hearth::engine
