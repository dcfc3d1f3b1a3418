// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A rule as loaded from its file (engine/rule_file.hpp): the keys every kind shares, and
/// the kind's own behaviour and parameters (`how`, engine/kind.hpp).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
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

class behaviour;  // engine/kind.hpp: what a rule of its kind does

enum class subject_scope { device, household, building };

/// Which devices and residents a rule applies to. A rule applies to every device type that
/// can report a metric it reads; these only narrow it.
struct selector {
  std::vector<std::string> device_types;  ///< empty: any
  std::optional<bool> bridges;            ///< `role:` bridge (true) or device (false)
  std::optional<int> min_age;             ///< some resident of the household is at least this old
  std::optional<bool> lives_alone;
  std::vector<std::string> buildings;  ///< empty: any
};

struct rule {
  std::string id;
  int priority = 4;
  /// `kind:`, one of the kinds registered in engine/kinds/ (`kind_names()`).
  std::string kind;
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
  /// What the rule does, with its kind's own parameters (`window:`, `for:`, ...). Shared
  /// by copies of the rule; never null in a rule that `parse_rule` returned.
  std::shared_ptr<const behaviour> how;
};

}  // namespace hearth::engine
