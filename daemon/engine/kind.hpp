// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rule kinds behind one small interface. Each kind lives in its own files under
/// `engine/kinds/` and registers itself by name; the rule parser finds it by the rule's
/// `kind:` key, so adding a kind touches only its own files (no list, no CMake edit: the
/// kinds are linked into every program that links hearth_core, see CMakeLists.txt).
///
/// A kind reads its own keys from the rule file into a `behaviour`, one per rule. The
/// engine then calls the behaviour for each report from a device the rule selects, and
/// on each tick. A behaviour keeps nothing itself: per-device state goes through `core`
/// (`core::instance<S>`), where it is persisted as a row and restored after a restart.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "base/yaml_reader.hpp"
#include "engine/core.hpp"
#include "engine/rule.hpp"

namespace hearth::engine {

/// One rule's behaviour, with the parameters its kind read from the rule file.
class behaviour {
 public:
  virtual ~behaviour() = default;
  /// Metrics the rule reads besides its `when`/`unless`/`clear` conditions.
  virtual void inputs(std::vector<metric>&) const {}
  /// Every report, before selection: bookkeeping such as deadlines (`core::due`).
  virtual void on_any_report(const rule&, const context&, core&) const {}
  /// A report from a device the rule selects.
  virtual void on_report(const rule& r, const context& c, core& k,
                         std::vector<signal>& out) const = 0;
  /// Time alone: fires what is due at `now`. Returns when it next needs a tick
  /// (`time_point::max()`: not before the next report).
  virtual time_point tick(const rule&, time_point, core&, std::vector<signal>&) const {
    return time_point::max();
  }
  /// True when the rule fires once, as its condition starts (then clears), rather than at
  /// every matching report: a fire held back by a silence must then alert when the silence
  /// ends (alerts::rule_policy::state).
  virtual bool fires_once() const { return true; }
  /// A fresh per-device state of the type this kind asks `core::instance` for.
  virtual std::unique_ptr<instance_state> new_state() const {
    return std::make_unique<instance_state>();
  }
};

/// A kind: its name in rule files, and the reader of its keys. `parse` reads the keys the
/// kind owns from `doc` (a key it leaves unread is reported as unknown), reports problems
/// through `doc`, and may fill the rule's conditions (`when`, `unless`, `clear`).
struct kind_info {
  std::string_view name;
  std::shared_ptr<const behaviour> (*parse)(yaml_map& doc, rule& r);
  /// The placeholders the kind fills in titles and summaries, besides the common ones
  /// (`k_common_placeholders`, engine/template.hpp). A rule's texts may use no others.
  std::span<const std::string_view> fills;
};

/// Registers a kind at static initialisation: in the kind's .cpp,
/// `const kind_registration registered{{"event", &parse, k_fills}};`.
struct kind_registration {
  explicit kind_registration(kind_info k);
};

/// The kind named `name`, or nullptr.
const kind_info* find_kind(std::string_view name);
/// Every registered kind's name, sorted.
std::vector<std::string_view> kind_names();

// --- helpers shared by kinds ---------------------------------------------------------------

/// `when:`, `unless:` or `clear:`: one condition or a list (empty when the key is absent).
std::vector<condition> parse_conditions(yaml_map& doc, const std::string& key);
/// `when:`, required.
void parse_when(yaml_map& doc, rule& r);
/// `metric:` of a counter kind (default water.total_l).
void parse_counter(yaml_map& doc, metric& into);
/// A duration key that must be longer than zero; `into` is left as it was when absent.
void parse_positive(yaml_map& doc, const char* key, bool required, duration& into);

/// Metrics the rule reads: its conditions' and its kind's own.
std::vector<metric> inputs(const rule& r);
/// Every clear condition whose metric is in the report holds, and at least one is there.
bool clear_holds(const std::vector<condition>& conds, const report& rep);
/// The metric's name, from the catalogue ("燃气浓度" / "gas").
i18n::arg metric_arg(metric m);
/// A reading in words: a boolean metric's state ("检测到烟雾" / "smoke detected"), else
/// the number in the metric's unit ("35 %LEL").
i18n::arg reading_arg(metric m, double v);
/// The condition a reading met, with the reading: a boolean metric's state, or
/// "燃气浓度 35 %LEL（报警值 20 %LEL）" / "gas at 35 %LEL (alarm level 20 %LEL)".
i18n::arg condition_arg(const condition& c, double value);
i18n::arg litres_arg(double v);  ///< "12 升" / "12 L"
/// A counter's amount in its unit: "12 升" / "12 L", "3.2 kWh".
i18n::arg amount_arg(metric m, double v);
/// Sorts the signals from `first` on by device id: what a tick fires comes out in the same
/// order however the state is laid out.
void by_device(std::vector<signal>& out, std::size_t first);

}  // namespace hearth::engine
