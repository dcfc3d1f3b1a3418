// SPDX-License-Identifier: Apache-2.0
#include "app/definitions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "engine/kind.hpp"
#include "i18n/keys.hpp"

namespace hearth::app {

i18n::catalogue assemble_catalogue(const config& c, const catalog::catalog& types,
                                   const std::vector<engine::rule>& rules, diagnostics& out) {
  auto words = i18n::catalogue::load_dir(c.messages_dir, out);
  words.check_required(c.messages_dir, out);
  for (const auto& t : types.types()) {
    if (t->human_name) {
      words.add(i18n::device_type_name_key(t->name), *t->human_name, out);
      continue;
    }
    out.push_back({t->file, t->line,
                   fmt::format("device type '{}' needs a 'name' in each language, the words "
                               "operators read (e.g. name: {{zh-CN: 烟雾报警器, en: smoke alarm}})",
                               t->name)});
  }
  for (const auto& r : rules) {
    words.add(i18n::rule_title_key(r.id), r.title_text, out);
    words.add(i18n::rule_summary_key(r.id), r.summary_text, out);
  }
  return words;
}

definitions load_definitions(const config& c, diagnostics& out) {
  definitions d;
  d.types = std::make_shared<catalog::catalog>(catalog::catalog::load_dir(c.devices_dir, out));
  d.rules = engine::load_rules_dir(c.rules_dir, out);
  for (const auto& r : d.rules) {
    const auto reads = engine::inputs(r);
    for (const auto& t : r.select.device_types) {
      const auto* type = d.types->find(t);
      if (!type) {
        out.push_back(
            {r.file, r.line, fmt::format("rule '{}' selects unknown device type '{}'", r.id, t)});
        continue;
      }
      // A rule applies to the types that can report what it reads: naming another is a slip.
      if (!reads.empty() &&
          std::none_of(reads.begin(), reads.end(), [&](metric m) { return type->can_report(m); })) {
        std::string names;
        for (auto m : reads)
          names += fmt::format("{}{}", names.empty() ? "" : ", ", name(m));
        out.push_back({r.file, r.line,
                       fmt::format("rule '{}' selects device type '{}', which reports none of "
                                   "the metrics it reads ({})",
                                   r.id, t, names)});
      }
    }
  }
  d.messages = std::make_shared<i18n::catalogue>(assemble_catalogue(c, *d.types, d.rules, out));
  engine::select_locale(d.rules, c.locale);
  return d;
}

std::map<std::string, alerts::rule_policy> rule_policies(const std::vector<engine::rule>& rules) {
  std::map<std::string, alerts::rule_policy> out;
  for (const auto& r : rules)
    out[r.id] = {r.welfare, r.auto_resolve, r.how && r.how->fires_once()};
  return out;
}

std::vector<std::string> registry_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<registry::registry> check_registry_import(const std::vector<std::string>& files,
                                                        const registry::registry& current,
                                                        const catalog::catalog* types,
                                                        registry::tables& parsed,
                                                        diagnostics& out) {
  const auto before = out.size();
  parsed = registry::parse_csv_files(files, out);
  if (out.size() != before) return std::nullopt;
  auto merged = current.merged(parsed, out);
  if (types) {
    for (const auto& d : parsed.devices) {
      if (!types->find(d.type)) {
        auto it = parsed.sources.find("devices:" + d.id);
        diagnostic diag = it != parsed.sources.end() ? it->second : diagnostic{"devices", 0, {}};
        diag.column = diag.line > 0 ? 3 : 0;
        diag.message = fmt::format("type '{}' is not a known device type", d.type);
        out.push_back(std::move(diag));
      }
    }
  }
  if (out.size() != before) return std::nullopt;
  return merged;
}

}  // namespace hearth::app
