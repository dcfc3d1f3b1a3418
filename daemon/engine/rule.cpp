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
#include "i18n/locale.hpp"

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

std::string_view kind_name(rule_kind k) {
  switch (k) {
    case rule_kind::event:
      return "event";
    case rule_kind::threshold:
      return "threshold";
    case rule_kind::inactivity:
      return "inactivity";
    case rule_kind::no_data:
      return "no_data";
    case rule_kind::baseline:
      return "baseline";
    case rule_kind::slots:
      return "slots";
    case rule_kind::daily_total:
      return "daily_total";
  }
  return "event";
}

std::vector<hearth::metric> rule::inputs() const {
  std::vector<hearth::metric> m;
  for (const auto& c : when)
    m.push_back(c.metric);
  for (const auto& c : unless)
    m.push_back(c.metric);
  for (const auto& c : clear)
    m.push_back(c.metric);
  switch (kind) {
    case rule_kind::inactivity:
    case rule_kind::slots:
    case rule_kind::daily_total:
      m.push_back(counter);
      break;
    case rule_kind::baseline:
      m.push_back(metric::tilt_x_deg);
      m.push_back(metric::tilt_y_deg);
      break;
    default:
      break;
  }
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  return m;
}

namespace {

std::vector<condition> parse_conditions(yaml_map& doc, const std::string& key) {
  std::vector<condition> out;
  const YAML::Node given = doc.get(key);
  if (!given.IsDefined()) return out;
  // One condition may be written without a list. (yaml-cpp's Node assignment writes through
  // to the referenced node, so the wrapper must be a fresh node, not a reassignment.)
  YAML::Node list(YAML::NodeType::Sequence);
  if (given.IsMap())
    list.push_back(given);
  else
    list = given;
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

/// Reads the keys that belong to the rule's kind. A key of another kind is left unread,
/// so `finish()` reports it as unknown: `window:` on a threshold rule is an error.
void parse_kind_fields(yaml_map& doc, rule& r) {
  auto positive = [&](const char* key, std::optional<duration> d, duration& into) {
    if (!d) return;
    if (d->count() <= 0)
      doc.error(doc.get(key), fmt::format("'{}' must be longer than zero", key));
    else
      into = *d;
  };
  auto counter = [&] {
    if (auto m = doc.string("metric", false)) {
      auto met = metric_from_name(*m);
      if (!met || info(*met).boolean)
        doc.error(doc.get("metric"),
                  fmt::format("'metric' must be a counter such as water.total_l, not '{}'", *m));
      else
        r.counter = *met;
    }
  };
  auto need_when = [&] {
    r.when = parse_conditions(doc, "when");
    if (r.when.empty() && !doc.has("when"))
      doc.error(fmt::format("a {} rule needs 'when'", kind_name(r.kind)));
  };
  switch (r.kind) {
    case rule_kind::event:
      need_when();
      r.unless = parse_conditions(doc, "unless");
      r.clear = parse_conditions(doc, "clear");
      break;
    case rule_kind::threshold:
      need_when();
      r.clear = parse_conditions(doc, "clear");
      if (auto d = doc.duration_value("for", false)) r.for_ = *d;
      break;
    case rule_kind::inactivity:
      counter();
      positive("window", doc.duration_value("window", true), r.window);
      positive("history", doc.duration_value("history", false), r.history);
      if (auto d = doc.duration_value("around", false)) r.around = *d;
      if (auto v = doc.number("min_change", true)) {
        if (*v <= 0) doc.error(doc.get("min_change"), "'min_change' must be above zero");
        r.min_change = *v;
      }
      break;
    case rule_kind::no_data:
      if (auto v = doc.number("intervals", true)) {
        if (*v < 1) doc.error(doc.get("intervals"), "'intervals' must be at least 1");
        r.intervals = *v;
      }
      break;
    case rule_kind::baseline:
      if (auto v = doc.number("limit_permille", false)) {
        if (*v <= 0) doc.error(doc.get("limit_permille"), "'limit_permille' must be above zero");
        r.limit_permille = *v;
      }
      if (auto v = doc.number("fraction", false)) {
        if (*v <= 0 || *v > 1) doc.error(doc.get("fraction"), "'fraction' must be in (0, 1]");
        r.fraction = *v;
      }
      break;
    case rule_kind::slots:
      counter();
      positive("slot", doc.duration_value("slot", true), r.slot);
      positive("span", doc.duration_value("span", true), r.span);
      if (r.span < r.slot) doc.error(doc.get("span"), "'span' must be at least one 'slot'");
      if (auto v = doc.number("min_per_slot", false)) {
        if (*v <= 0) doc.error(doc.get("min_per_slot"), "'min_per_slot' must be above zero");
        r.min_per_slot = *v;
      }
      break;
    case rule_kind::daily_total:
      counter();
      if (auto v = doc.number("at_least", true)) {
        if (*v <= 0) doc.error(doc.get("at_least"), "'at_least' must be above zero");
        r.daily_limit = *v;
      }
      break;
  }
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
  bool kind_ok = false;
  if (auto k = doc.string("kind", true)) {
    for (auto kk :
         {rule_kind::event, rule_kind::threshold, rule_kind::inactivity, rule_kind::no_data,
          rule_kind::baseline, rule_kind::slots, rule_kind::daily_total})
      if (*k == kind_name(kk)) {
        r.kind = kk;
        kind_ok = true;
      }
    if (!kind_ok)
      doc.error(
          doc.get("kind"),
          fmt::format(
              "unknown rule kind '{}': expected event, threshold, inactivity, no_data, baseline, "
              "slots or daily_total",
              *k));
  }
  for (const char* key : {"title", "summary"}) {
    const auto node = doc.require(key);
    if (!node.IsDefined()) continue;
    auto t = i18n::parse_text(node, file, out, key);
    if (!t) continue;
    if (kind_ok)
      for (const auto& [line, problem] : check_placeholders(*t, r.kind))
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
  if (kind_ok) parse_kind_fields(doc, r);
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

namespace hearth::engine {

void select_locale(std::vector<rule>& rules, std::string_view locale) {
  for (auto& r : rules) {
    r.title = r.title_text.str(locale);
    r.summary = r.summary_text.str(locale);
  }
}

}  // namespace hearth::engine
