// SPDX-License-Identifier: Apache-2.0
#include "engine/template.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/rule.hpp"

namespace hearth::engine {
namespace {

constexpr std::string_view k_event[] = {"condition", "metric", "value"};
constexpr std::string_view k_threshold[] = {"condition", "metric", "value", "since", "window"};
constexpr std::string_view k_inactivity[] = {"since",         "quiet_for", "used",     "window",
                                             "longest_quiet", "baseline",  "last_seen"};
constexpr std::string_view k_no_data[] = {"last_seen", "since", "quiet_for", "interval", "window"};
constexpr std::string_view k_baseline[] = {"change", "limit", "baseline", "value"};
constexpr std::string_view k_slots[] = {"since", "window", "used", "interval"};
constexpr std::string_view k_daily[] = {"used", "limit"};

constexpr rule_kind k_all_kinds[] = {
    rule_kind::event,    rule_kind::threshold, rule_kind::inactivity, rule_kind::no_data,
    rule_kind::baseline, rule_kind::slots,     rule_kind::daily_total};

bool in(std::span<const std::string_view> s, std::string_view n) {
  return std::find(s.begin(), s.end(), n) != s.end();
}

}  // namespace

std::span<const std::string_view> kind_placeholders(rule_kind k) {
  switch (k) {
    case rule_kind::event:
      return k_event;
    case rule_kind::threshold:
      return k_threshold;
    case rule_kind::inactivity:
      return k_inactivity;
    case rule_kind::no_data:
      return k_no_data;
    case rule_kind::baseline:
      return k_baseline;
    case rule_kind::slots:
      return k_slots;
    case rule_kind::daily_total:
      return k_daily;
  }
  return {};
}

bool fills(rule_kind k, std::string_view name) {
  return in(k_common_placeholders, name) || in(kind_placeholders(k), name);
}

bool known_placeholder(std::string_view name) {
  return std::any_of(std::begin(k_all_kinds), std::end(k_all_kinds),
                     [&](rule_kind k) { return fills(k, name); });
}

std::vector<std::pair<int, std::string>> check_placeholders(const i18n::text& t, rule_kind k) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& [loc, f] : t.forms) {
    for (const auto& name : i18n::placeholders_of(f.other)) {
      if (fills(k, name)) continue;
      if (!known_placeholder(name)) {
        out.emplace_back(f.line, fmt::format("unknown placeholder '{{{}}}'", name));
        continue;
      }
      std::string offered;
      for (auto p : k_common_placeholders)
        offered += (offered.empty() ? "{" : ", {") + std::string(p) + "}";
      for (auto p : kind_placeholders(k))
        offered += ", {" + std::string(p) + "}";
      out.emplace_back(
          f.line, fmt::format("placeholder '{{{}}}' is never filled by a {} rule (it fills {})",
                              name, kind_name(k), offered));
    }
  }
  // The same mistake in both languages is one mistake: report it once per line and text.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string render(std::string_view t, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(t.size() + 32);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') {
      const auto close = t.find('}', i);
      if (close != std::string_view::npos) {
        auto it = vars.find(std::string(t.substr(i + 1, close - i - 1)));
        if (it != vars.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out.push_back(t[i]);
  }
  return out;
}

}  // namespace hearth::engine
