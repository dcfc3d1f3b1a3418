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

}  // namespace hearth
