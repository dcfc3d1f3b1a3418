// SPDX-License-Identifier: Apache-2.0
#include "engine/rule_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/yaml_reader.hpp"
#include "engine/kind.hpp"
#include "engine/template.hpp"
#include "i18n/locale.hpp"

namespace hearth::engine {

namespace {

void parse_selector(yaml_map& doc, rule& r) {
  const YAML::Node n = doc.get("select");
  if (!n.IsDefined()) return;
  yaml_map s(n, doc.file(), doc.out(), "select");
  if (!s.valid()) return;
  if (auto t = s.strings("device_types", false)) r.select.device_types = *t;
  if (auto b = s.strings("buildings", false)) r.select.buildings = *b;
  if (auto role = s.string("role", false)) {
    if (*role == "bridge" || *role == "device")
      r.select.bridges = *role == "bridge";
    else
      s.error(s.get("role"), fmt::format("'role' must be bridge or device, not '{}'", *role));
  }
  if (auto a = s.integer("min_age", false)) {
    if (*a < 0 || *a > 130) s.error(s.get("min_age"), "'min_age' must be 0..130");
    r.select.min_age = static_cast<int>(*a);
  }
  r.select.lives_alone = s.boolean("lives_alone", false);
  s.finish();
}

}  // namespace

std::optional<rule> parse_rule(const std::string& text, const std::string& file, diagnostics& out) {
  const auto before = out.size();
  auto root = load_yaml_text(text, file, out);
  if (!root) return std::nullopt;
  yaml_map doc(*root, file, out, "rule");
  if (!doc.valid()) return std::nullopt;
  rule r;
  r.file = file;
  r.line = line_of(*root);
  if (auto id = doc.string("id", true)) r.id = *id;
  if (auto p = doc.integer("priority", true)) {
    if (*p < 1 || *p > 4) doc.error(doc.get("priority"), "'priority' must be 1 (most urgent) to 4");
    r.priority = static_cast<int>(*p);
  }
  const kind_info* kind = nullptr;
  if (auto k = doc.string("kind", true)) {
    r.kind = *k;
    kind = find_kind(*k);
    if (!kind) {
      std::string expected;
      const auto names = kind_names();
      for (std::size_t i = 0; i < names.size(); ++i)
        expected += fmt::format("{}{}",
                                i == 0                  ? ""
                                : i + 1 == names.size() ? " or "
                                                        : ", ",
                                names[i]);
      doc.error(doc.get("kind"), fmt::format("unknown rule kind '{}': expected {}", *k, expected));
    }
  }
  for (const char* key : {"title", "summary"}) {
    const auto node = doc.require(key);
    if (!node.IsDefined()) continue;
    auto t = i18n::parse_text(node, file, out, key);
    if (!t) continue;
    if (kind)
      for (const auto& [line, problem] : check_placeholders(*t, *kind))
        out.push_back({file, line, fmt::format("{}: {}", key, problem)});
    (std::string_view(key) == "title" ? r.title_text : r.summary_text) = std::move(*t);
  }
  if (auto s = doc.string("subject", false)) {
    if (*s == "device")
      r.subject = subject_scope::device;
    else if (*s == "household")
      r.subject = subject_scope::household;
    else if (*s == "building")
      r.subject = subject_scope::building;
    else
      doc.error(doc.get("subject"),
                fmt::format("'subject' must be device, household or building, not '{}'", *s));
  }
  r.welfare = doc.boolean("welfare", false).value_or(false);
  r.auto_resolve = doc.boolean("auto_resolve", false).value_or(false);
  parse_selector(doc, r);
  if (kind) r.how = kind->parse(doc, r);
  if (r.welfare && r.subject == subject_scope::building)
    doc.error(doc.get("welfare"),
              "a welfare rule is about residents: its subject cannot be a building");
  if (r.welfare && r.priority == 1)
    doc.error(doc.get("welfare"),
              "a priority-1 rule cannot be a welfare rule: away never mutes life-safety");
  doc.finish();
  if (out.size() != before) return std::nullopt;
  r.title = r.title_text.str(i18n::k_default_locale);
  r.summary = r.summary_text.str(i18n::k_default_locale);
  return r;
}

std::vector<rule> load_rules_dir(const std::string& dir, diagnostics& out) {
  const auto files = definition_files(dir, out);
  std::vector<rule> rules;
  std::set<std::string> ids;
  for (const auto& f : files) {
    const auto text = read_definition_file(f, out);
    if (!text) continue;
    if (auto r = parse_rule(*text, f, out)) {
      if (!ids.insert(r->id).second) {
        out.push_back({f, r->line, fmt::format("rule id '{}' is defined twice", r->id)});
        continue;
      }
      rules.push_back(std::move(*r));
    }
  }
  return rules;
}

void select_locale(std::vector<rule>& rules, std::string_view locale) {
  for (auto& r : rules) {
    r.title = r.title_text.str(locale);
    r.summary = r.summary_text.str(locale);
  }
}

}  // namespace hearth::engine
