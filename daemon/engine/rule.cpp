// SPDX-License-Identifier: Apache-2.0
#include "engine/rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/yaml_reader.hpp"
#include "engine/template.hpp"

namespace hearth::engine {

bool condition::holds(double v) const {
  switch (cmp) {
    case op::is:
      return (v != 0) == (operand != 0);
    case op::at_least:
      return v >= operand;
    case op::above:
      return v > operand;
    case op::at_most:
      return v <= operand;
    case op::below:
      return v < operand;
  }
  return false;
}

std::string condition::describe() const {
  switch (cmp) {
    case op::is:
      return fmt::format("{} is {}", name(metric), operand != 0 ? "true" : "false");
    case op::at_least:
      return fmt::format("{} ≥ {}", name(metric), operand);
    case op::above:
      return fmt::format("{} > {}", name(metric), operand);
    case op::at_most:
      return fmt::format("{} ≤ {}", name(metric), operand);
    case op::below:
      return fmt::format("{} < {}", name(metric), operand);
  }
  return {};
}

std::vector<hearth::metric> rule::inputs() const {
  std::vector<hearth::metric> m;
  for (const auto& c : when)
    m.push_back(c.metric);
  for (const auto& c : unless)
    m.push_back(c.metric);
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  return m;
}

namespace {

std::vector<condition> parse_conditions(yaml_map& doc, const std::string& key) {
  std::vector<condition> out;
  YAML::Node list = doc.get(key);
  if (!list.IsDefined()) return out;
  if (list.IsMap()) {
    YAML::Node seq(YAML::NodeType::Sequence);
    seq.push_back(list);
    list = seq;
  }
  if (!list.IsSequence()) {
    doc.error(list, fmt::format("'{}' must be a condition or a list of conditions", key));
    return out;
  }
  for (const auto& item : list) {
    yaml_map c(item, doc.file(), doc.out(), "condition");
    if (!c.valid()) continue;
    condition cond;
    bool ok = true;
    if (auto m = c.string("metric", true)) {
      auto met = metric_from_name(*m);
      if (!met) {
        c.error(c.get("metric"), fmt::format("unknown metric '{}'", *m));
        ok = false;
      } else {
        cond.metric = *met;
      }
    } else {
      ok = false;
    }
    int ops = 0;
    if (auto b = c.boolean("is", false)) {
      cond.cmp = condition::op::is;
      cond.operand = *b ? 1 : 0;
      ++ops;
    }
    const std::pair<const char*, condition::op> numeric[] = {{"at_least", condition::op::at_least},
                                                             {"above", condition::op::above},
                                                             {"at_most", condition::op::at_most},
                                                             {"below", condition::op::below}};
    for (auto [k, op] : numeric) {
      if (auto v = c.number(k, false)) {
        cond.cmp = op;
        cond.operand = *v;
        ++ops;
      }
    }
    if (ops != 1) {
      c.error("a condition needs exactly one of is, at_least, above, at_most, below");
      ok = false;
    }
    if (ok && cond.cmp != condition::op::is && info(cond.metric).boolean) {
      c.error(fmt::format("{} is true or false: compare it with 'is'", name(cond.metric)));
      ok = false;
    }
    c.finish();
    if (ok) out.push_back(cond);
  }
  return out;
}

void parse_selector(yaml_map& doc, rule& r) {
  const YAML::Node n = doc.get("select");
  if (!n.IsDefined()) return;
  yaml_map s(n, doc.file(), doc.out(), "select");
  if (!s.valid()) return;
  if (auto t = s.strings("device_types", false)) r.select.device_types = *t;
  if (auto b = s.strings("buildings", false)) r.select.buildings = *b;
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
  if (auto k = doc.string("kind", true)) {
    if (*k == "event")
      r.kind = rule_kind::event;
    else
      doc.error(doc.get("kind"), fmt::format("unknown rule kind '{}'", *k));
  }
  for (const char* key : {"title", "summary"}) {
    if (auto t = doc.string(key, true)) {
      if (auto problem = check_template(*t))
        doc.error(doc.get(key), fmt::format("{}: {}", key, *problem));
      (std::string_view(key) == "title" ? r.title : r.summary) = *t;
    }
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
  parse_selector(doc, r);
  r.when = parse_conditions(doc, "when");
  r.unless = parse_conditions(doc, "unless");
  if (r.kind == rule_kind::event && r.when.empty() && !doc.has("when"))
    doc.error("an event rule needs 'when'");
  if (r.welfare && r.priority == 1)
    doc.error(doc.get("welfare"),
              "a priority-1 rule cannot be a welfare rule: away never mutes life-safety");
  doc.finish();
  if (out.size() != before) return std::nullopt;
  return r;
}

std::vector<rule> load_rules_dir(const std::string& dir, diagnostics& out) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
      files.push_back(e.path().string());
  }
  if (ec) out.push_back({dir, 0, "cannot read folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  std::vector<rule> rules;
  std::set<std::string> ids;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto r = parse_rule(ss.str(), f, out)) {
      if (!ids.insert(r->id).second) {
        out.push_back({f, r->line, fmt::format("rule id '{}' is defined twice", r->id)});
        continue;
      }
      rules.push_back(std::move(*r));
    }
  }
  return rules;
}

}  // namespace hearth::engine
