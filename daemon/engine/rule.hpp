// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rule definitions: YAML files in `rules/` (format in the README and
/// `schemas/rule.schema.json`). Parsing is pure; templates are checked at load time, so a
/// misspelt placeholder is a `file:line` error at start, not a broken alert at 3 a.m.

#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/diagnostic.hpp"
#include "base/metric.hpp"

namespace hearth::engine {

/// A condition on one metric of a report: `{metric: gas.lel_pct, at_least: 20}`.
struct condition {
  hearth::metric metric;
  enum class op { is, at_least, above, at_most, below } cmp = op::is;
  double operand = 1;
  bool holds(double v) const;
  std::string describe() const;  ///< "gas.lel_pct ≥ 20"
};

enum class rule_kind { event };
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
  std::string title, summary;  ///< templates; placeholders checked at load
  subject_scope subject = subject_scope::device;
  selector select;
  std::vector<condition> when;    ///< event: any of these fires
  std::vector<condition> unless;  ///< event: none of these may hold in the same report
  bool welfare = false;           ///< paused while the resident is away
  std::string file;
  int line = 0;

  /// Metrics this rule reads; the engine indexes rules by them.
  std::vector<hearth::metric> inputs() const;
};

std::optional<rule> parse_rule(const std::string& text, const std::string& file, diagnostics& out);

/// Loads every `*.yaml` in `dir`; ids must be unique.
std::vector<rule> load_rules_dir(const std::string& dir, diagnostics& out);

}  // namespace hearth::engine
