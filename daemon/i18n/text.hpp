// SPDX-License-Identifier: Apache-2.0
#pragma once
/// One text a person reads, in every locale: `{zh-CN: "烟雾报警器", en: "smoke alarm"}`.
/// A locale's text may have plural forms, for the few English phrases that need them
/// (`en: {one: "{n} day ago", other: "{n} days ago"}`); zh-CN has one form.
///
/// Texts carry `{placeholders}`. Every locale of a text must use the same placeholders:
/// a placeholder that one language forgets is a `file:line` error when the text is
/// loaded, not a sentence that silently lacks the reading.

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/diagnostic.hpp"

namespace hearth::i18n {

/// One locale's wording. `one` is used when the count (`{n}`) is 1; empty means `other`.
struct form {
  std::string other;
  std::string one;
  int line = 0;  ///< where it was written, for diagnostics
  bool operator==(const form& o) const { return other == o.other && one == o.one; }
};

struct text {
  std::map<std::string, form, std::less<>> forms;  ///< by locale; every locale of k_locales
  std::string file;
  int line = 0;
  /// The wording for `locale`; nullptr when it has none.
  const form* in(std::string_view locale) const;
  /// `other` of `locale`, or "" (for single-form texts such as rule templates).
  std::string_view str(std::string_view locale) const;
  bool operator==(const text& o) const { return forms == o.forms; }
};

/// The names of the `{placeholders}` of a template, in order of first use.
std::set<std::string> placeholders_of(std::string_view tmpl);

/// A message for the first unbalanced or empty brace of a template, or nullopt. Braces
/// are not escapable: templates are prose, and "{" is never meant literally.
std::optional<std::string> check_braces(std::string_view tmpl);

/// The placeholders of every form of every locale.
std::set<std::string> placeholders_of(const text& t);

/// Reads a text node: a mapping with exactly the locales of `k_locales`, each a string or
/// a `{one, other}` mapping. Reports, at the node's line: a missing or unknown locale, an
/// empty text, unbalanced braces, and a placeholder present in one locale but not another.
/// `what` names the text in messages ("title", "name"). Returns nullopt on any error.
std::optional<text> parse_text(const YAML::Node& node, const std::string& file, diagnostics& out,
                               const std::string& what);

/// A text with the same wording in every locale (for tests and built-in fallbacks).
text same_text(std::string_view wording);

}  // namespace hearth::i18n
