// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Loading what the daemon runs on: device types, rules and registry CSVs. Shared by
/// `run` (at start and on SIGHUP), `check` and `import`, so that they judge files alike.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/book.hpp"
#include "app/config.hpp"
#include "base/diagnostic.hpp"
#include "catalog/device_type.hpp"
#include "engine/rule_file.hpp"
#include "i18n/catalogue.hpp"
#include "registry/registry.hpp"

namespace hearth::app {

struct definitions {
  std::shared_ptr<const catalog::catalog> types;
  std::vector<engine::rule> rules;
  /// The message catalogue: messages_dir, plus the device types' names and the rules'
  /// titles and summaries.
  std::shared_ptr<const i18n::catalogue> messages;
};

/// Loads devices/, rules/ and the message catalogue and cross-checks them (a rule naming an
/// unknown device type, a device type without a name). The rules' `title` and `summary`
/// are in the config's `locale`.
definitions load_definitions(const config& c, diagnostics& out);

/// The message catalogue of `c.messages_dir` with the texts of `types` and `rules` added;
/// reports missing keys and a device type without a name.
i18n::catalogue assemble_catalogue(const config& c, const catalog::catalog& types,
                                   const std::vector<engine::rule>& rules, diagnostics& out);

/// How the alert book treats each rule's signals (welfare, auto-resolve), from the rules.
std::map<std::string, alerts::rule_policy> rule_policies(const std::vector<engine::rule>& rules);

/// CSV files of a registry folder, sorted so that households come before what refers to them.
std::vector<std::string> registry_files(const std::string& dir);

/// Parses registry CSVs and checks them against `current` and the catalog. Returns the
/// merged registry, or nullopt (with diagnostics) when anything is wrong: all or nothing.
std::optional<registry::registry> check_registry_import(const std::vector<std::string>& files,
                                                        const registry::registry& current,
                                                        const catalog::catalog* types,
                                                        registry::tables& parsed, diagnostics& out);

}  // namespace hearth::app
