// SPDX-License-Identifier: Apache-2.0
#include "engine/template.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/kind.hpp"

namespace hearth::engine {
namespace {

bool in(std::span<const std::string_view> s, std::string_view n) {
  return std::find(s.begin(), s.end(), n) != s.end();
}

}  // namespace

bool fills(const kind_info& k, std::string_view name) {
  return in(k_common_placeholders, name) || in(k.fills, name);
}

bool known_placeholder(std::string_view name) {
  const auto names = kind_names();
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view n) { return fills(*find_kind(n), name); });
}

std::vector<std::pair<int, std::string>> check_placeholders(const i18n::text& t,
                                                            const kind_info& k) {
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
      for (auto p : k.fills)
        offered += ", {" + std::string(p) + "}";
      out.emplace_back(
          f.line, fmt::format("placeholder '{{{}}}' is never filled by a {} rule (it fills {})",
                              name, k.name, offered));
    }
  }
  // The same mistake in both languages is one mistake: report it once per line and text.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace hearth::engine
