// SPDX-License-Identifier: Apache-2.0
#include "engine/template.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hearth::engine {

std::optional<std::string> check_template(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '}') return fmt::format("unbalanced '}}' at column {}", i + 1);
    if (t[i] != '{') continue;
    const auto close = t.find('}', i);
    if (close == std::string_view::npos) return fmt::format("unclosed '{{' at column {}", i + 1);
    const auto name = t.substr(i + 1, close - i - 1);
    if (std::find(std::begin(k_placeholders), std::end(k_placeholders), name) ==
        std::end(k_placeholders))
      return fmt::format("unknown placeholder '{{{}}}'", name);
    i = close;
  }
  return std::nullopt;
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
