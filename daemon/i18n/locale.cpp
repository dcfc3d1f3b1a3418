// SPDX-License-Identifier: Apache-2.0
#include "i18n/locale.hpp"

#include <cctype>
#include <charconv>
#include <string>

#include "base/text.hpp"

namespace hearth::i18n {

std::optional<std::string_view> locale_from_tag(std::string_view tag) {
  const auto t = ascii_lower(trim_blanks(tag));
  // Subtags are separated by '-' (BCP 47) or, as some clients send, '_'.
  auto is = [&](std::string_view prefix) {
    return t == prefix || (t.size() > prefix.size() && t.starts_with(prefix) &&
                           (t[prefix.size()] == '-' || t[prefix.size()] == '_'));
  };
  if (is("zh")) {
    if (t.find("hant") != std::string::npos || is("zh-tw") || is("zh_tw") || is("zh-hk") ||
        is("zh_hk") || is("zh-mo") || is("zh_mo"))
      return std::nullopt;
    return k_locales[0];
  }
  if (is("en")) return k_locales[1];
  return std::nullopt;
}

std::string_view negotiate(std::string_view header, std::string_view fallback) {
  std::optional<std::string_view> best;
  double best_q = 0;
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto part = trim_blanks(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    double q = 1;
    if (const auto semi = part.find(';'); semi != std::string_view::npos) {
      auto param = trim_blanks(part.substr(semi + 1));
      part = trim_blanks(part.substr(0, semi));
      if (param.starts_with("q=") || param.starts_with("Q=")) {
        param.remove_prefix(2);
        if (std::from_chars(param.data(), param.data() + param.size(), q).ec != std::errc{})
          continue;
      }
    }
    if (q <= 0 || q > 1) continue;
    auto loc = locale_from_tag(part);
    if (loc && q > best_q) {
      best = loc;
      best_q = q;
    }
  }
  return best.value_or(fallback);
}

}  // namespace hearth::i18n
