// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The message catalogue: every string a person reads, in every locale (`k_locales`).
///
/// One catalogue, assembled from three kinds of definition file so that adding a device
/// type or a rule still touches one file:
/// - `messages/*.yaml`: the product's own words (metric names and units, places, dates
///   and durations, timeline actors, actions and channels, the console's strings);
/// - each device type's `name:` (`devices/*.yaml`), under `device_type.<type>.name`;
/// - each rule's `title:` and `summary:` (`rules/*.yaml`), under `rule.<id>.title` and
///   `rule.<id>.summary`.
///
/// A `messages/` file is a YAML mapping of keys to texts. Keys nest: a mapping whose keys
/// are all languages is a text (`{zh-CN: 燃气浓度, en: gas}`); any other mapping adds a
/// level to the key, joined with '.':
///
///     metric:
///       gas.lel_pct:
///         name: { zh-CN: 燃气浓度, en: gas }     # key metric.gas.lel_pct.name
///
/// Every text is checked when it is loaded (`text.hpp`): a language missing, or a
/// placeholder used in one language and not another, is a `file:line` error. A key defined
/// twice (in one file or across files) is an error at the second definition. The keys the
/// daemon itself renders (`required_keys()`) must all be there.
///
/// Immutable once built; shared by pointer across threads (the API reads it on the domain
/// thread, the console fetches it through GET /api/v1/messages/{locale}).

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.hpp"
#include "i18n/text.hpp"

namespace hearth::i18n {

class catalogue {
 public:
  /// Loads every `*.yaml` of `dir`, in name order. Problems go to `out`; good texts stay.
  static catalogue load_dir(const std::string& dir, diagnostics& out);
  /// Adds the texts of one `messages/` file (its YAML text; `file` names it).
  void load_text(const std::string& yaml, const std::string& file, diagnostics& out);
  /// Adds one text under `key` (a device type's name, a rule's template). A key that is
  /// already defined is an error at `t.file:t.line`, naming the first definition.
  void add(std::string key, text t, diagnostics& out);

  const text* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::size_t size() const { return texts_.size(); }

  /// The wording of `key` in `locale`; with `count`, its plural form (`one` for 1). When
  /// the key or the locale is missing: the key itself, so a gap shows instead of a blank.
  std::string_view get(std::string_view locale, std::string_view key,
                       std::optional<double> count = std::nullopt) const;

  /// Reports each key of `required_keys()` that is missing, as `where: ...`.
  void check_required(const std::string& where, diagnostics& out) const;

  /// Every text in one locale: {"key": "wording"} or {"key": {"one": .., "other": ..}}.
  /// Keys under `prefix` only, when one is given.
  boost::json::object export_locale(std::string_view locale, std::string_view prefix = {}) const;

 private:
  void add_node(const std::string& prefix, const YAML::Node& node, const std::string& file,
                diagnostics& out);
  std::map<std::string, text, std::less<>> texts_;
};

/// The keys the daemon renders by itself (metrics, units, dates, durations, places,
/// conditions, timeline words). Device type and rule texts are not listed: their loaders
/// require them.
std::vector<std::string> required_keys();

}  // namespace hearth::i18n
