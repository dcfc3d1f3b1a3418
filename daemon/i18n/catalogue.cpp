// SPDX-License-Identifier: Apache-2.0
#include "i18n/catalogue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "base/yaml_reader.hpp"
#include "i18n/keys.hpp"
#include "i18n/locale.hpp"

namespace hearth::i18n {
namespace json = boost::json;

namespace {
bool is_locale(std::string_view k) {
  return std::find(k_locales.begin(), k_locales.end(), k) != k_locales.end();
}
}  // namespace

catalogue catalogue::load_dir(const std::string& dir, diagnostics& out) {
  catalogue c;
  for (const auto& f : definition_files(dir, out))
    if (const auto text = read_definition_file(f, out)) c.load_text(*text, f, out);
  return c;
}

void catalogue::load_text(const std::string& yaml, const std::string& file, diagnostics& out) {
  auto root = load_yaml_text(yaml, file, out);
  if (!root) return;
  if (root->IsNull()) return;  // an empty file adds nothing
  if (!root->IsMap()) {
    out.push_back({file, line_of(*root), "a messages file must be a mapping of keys to texts"});
    return;
  }
  add_node("", *root, file, out);
}

void catalogue::add_node(const std::string& prefix, const YAML::Node& node, const std::string& file,
                         diagnostics& out) {
  if (node.IsMap()) {
    std::size_t locales = 0, others = 0;
    for (const auto& kv : node)
      (is_locale(kv.first.Scalar()) ? locales : others) += 1;
    if (locales > 0 && !prefix.empty()) {
      // A text: parse_text reports a language it does not know, or one missing.
      if (auto t = parse_text(node, file, out, prefix)) add(prefix, std::move(*t), out);
      return;
    }
    for (const auto& kv : node) {
      const auto k = kv.first.Scalar();
      if (k.empty() || k.find_first_of(" \t{}") != std::string::npos) {
        out.push_back(
            {file, line_of(kv.first),
             fmt::format("'{}' is not a key: keys are words joined by '.', '_' or '-'", k)});
        continue;
      }
      add_node(prefix.empty() ? k : prefix + "." + k, kv.second, file, out);
    }
    return;
  }
  std::string langs;
  for (auto l : k_locales)
    langs += (langs.empty() ? "" : ", ") + std::string(l) + ": ...";
  out.push_back({file, line_of(node),
                 fmt::format("'{}' needs a text in each language: {{{}}}", prefix, langs)});
}

void catalogue::add(std::string key, text t, diagnostics& out) {
  if (auto it = texts_.find(key); it != texts_.end()) {
    out.push_back({t.file, t.line,
                   fmt::format("key '{}' is defined twice (first at {}:{})", key, it->second.file,
                               it->second.line)});
    return;
  }
  texts_.emplace(std::move(key), std::move(t));
}

const text* catalogue::find(std::string_view key) const {
  auto it = texts_.find(key);
  return it == texts_.end() ? nullptr : &it->second;
}

std::string_view catalogue::get(std::string_view locale, std::string_view key,
                                std::optional<double> count) const {
  const auto* t = find(key);
  if (!t) return key;
  const auto* f = t->in(locale);
  if (!f) f = t->in(k_default_locale);
  if (!f) return key;
  if (count && *count == 1 && !f->one.empty()) return f->one;
  return f->other;
}

void catalogue::check_required(const std::string& where, diagnostics& out) const {
  for (const auto& k : required_keys())
    if (!has(k)) out.push_back({where, 0, fmt::format("the catalogue has no key '{}'", k)});
}

json::object catalogue::export_locale(std::string_view locale, std::string_view prefix) const {
  json::object o;
  for (const auto& [k, t] : texts_) {
    if (!prefix.empty() && !k.starts_with(prefix)) continue;
    const auto* f = t.in(locale);
    if (!f) continue;
    if (f->one.empty()) {
      o[k] = f->other;
    } else {
      json::object p;
      p["one"] = f->one;
      p["other"] = f->other;
      o[k] = std::move(p);
    }
  }
  return o;
}

std::vector<std::string> required_keys() {
  std::vector<std::string> k;
  for (const auto& m : k_metrics) {
    k.push_back(metric_name_key(m.id));
    if (m.boolean) {
      k.push_back(metric_state_key(m.id, true));
      k.push_back(metric_state_key(m.id, false));
    }
  }
  for (const auto& u : k_units)
    k.push_back(fmt::format("unit.{}", u.key));
  for (int m = 1; m <= 12; ++m)
    k.push_back(fmt::format("time.month.{}", m));
  for (const char* s : {"time.date_time.this_year",
                        "time.date_time.other_year",
                        "time.date.this_year",
                        "time.date.other_year",
                        "duration.days",
                        "duration.hours",
                        "duration.minutes",
                        "duration.seconds",
                        "duration.pair",
                        "age.now",
                        "age.minutes",
                        "age.hours",
                        "age.days",
                        "place.household",
                        "place.building",
                        "place.device",
                        "location.unknown",
                        "value.true",
                        "value.false",
                        "condition.at_least",
                        "condition.above",
                        "condition.at_most",
                        "condition.below",
                        "list.pair",
                        "list.more",
                        "late.arrival",
                        "reading.latest",
                        "tilt.angles",
                        "inactivity.none_learned",
                        "inactivity.longest_learned",
                        "inactivity.nothing_learned",
                        "timeline.tier_notified"})
    k.emplace_back(s);
  for (auto a : k_actions)
    k.push_back(fmt::format("timeline.action.{}", a));
  for (auto a : k_actors)
    k.push_back(fmt::format("timeline.actor.{}", a));
  for (auto c : k_channels)
    k.push_back(fmt::format("timeline.channel.{}", c));
  for (auto t : k_tiers)
    k.push_back(fmt::format("tier.{}", t));
  for (auto o : k_outcome_keys)
    k.push_back(fmt::format("outcome.{}", o));
  for (auto s : k_states)
    k.push_back(fmt::format("state.{}", s));
  for (int p = 1; p <= 4; ++p)
    k.push_back(fmt::format("priority.{}", p));
  return k;
}

}  // namespace hearth::i18n
