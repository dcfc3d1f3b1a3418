// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rule definitions: YAML files in `rules/` (format in the README and
/// `schemas/rule.schema.json`). Parsing is pure; templates are checked at load time, so a
/// misspelt placeholder is a `file:line` error at start, not a broken alert at 3 a.m.
/// The keys of a rule's kind are read by the kind (engine/kinds/).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.hpp"
#include "engine/rule.hpp"

namespace hearth::engine {

std::optional<rule> parse_rule(const std::string& text, const std::string& file, diagnostics& out);

/// Loads every `*.yaml` in `dir`; ids must be unique.
std::vector<rule> load_rules_dir(const std::string& dir, diagnostics& out);

/// Sets each rule's `title` and `summary` to its texts in `locale` (the config's `locale`,
/// the language of what hearthd publishes).
void select_locale(std::vector<rule>& rules, std::string_view locale);

}  // namespace hearth::engine
