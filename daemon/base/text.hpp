// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Small text helpers shared by parts that compare words.

#include <cctype>
#include <string>
#include <string_view>

namespace hearth {

/// `s` with ASCII letters in lower case: CJK text has no case, and UTF-8 continuation
/// bytes are left alone.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// `s` without the spaces and tabs at either end (HTTP header lists, Accept-Language).
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace hearth
