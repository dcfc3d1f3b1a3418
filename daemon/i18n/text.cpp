// SPDX-License-Identifier: Apache-2.0
#include "i18n/text.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/yaml_reader.hpp"
#include "i18n/locale.hpp"

namespace hearth::i18n {

const form* text::in(std::string_view locale) const {
  auto it = forms.find(locale);
  return it == forms.end() ? nullptr : &it->second;
}

std::string_view text::str(std::string_view locale) const {
  const auto* f = in(locale);
  return f ? std::string_view(f->other) : std::string_view{};
}

std::set<std::string> placeholders_of(std::string_view t) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') continue;
    const auto close = t.find('}', i);
    if (close == std::string_view::npos) break;
    out.emplace(t.substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

std::set<std::string> placeholders_of(const text& t) {
  std::set<std::string> out;
  for (const auto& [loc, f] : t.forms) {
    out.merge(placeholders_of(f.other));
    out.merge(placeholders_of(f.one));
  }
  return out;
}

std::optional<std::string> check_braces(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '}') return fmt::format("unbalanced '}}' at column {}", i + 1);
    if (t[i] != '{') continue;
    const auto close = t.find('}', i);
    const auto next_open = t.find('{', i + 1);
    if (close == std::string_view::npos || next_open < close)
      return fmt::format("unclosed '{{' at column {}", i + 1);
    if (close == i + 1) return fmt::format("empty '{{}}' at column {}", i + 1);
    i = close;
  }
  return std::nullopt;
}

namespace {

bool is_locale(std::string_view k) {
  return std::find(k_locales.begin(), k_locales.end(), k) != k_locales.end();
}

std::string locale_list() {
  std::string s;
  for (auto l : k_locales)
    s += (s.empty() ? "" : ", ") + std::string(l);
  return s;
}

std::string names(const std::set<std::string>& s) {
  std::string out;
  for (const auto& n : s)
    out += (out.empty() ? "{" : ", {") + n + "}";
  return out;
}

}  // namespace

std::optional<text> parse_text(const YAML::Node& node, const std::string& file, diagnostics& out,
                               const std::string& what) {
  const auto before = out.size();
  const int line = line_of(node);
  if (!node.IsMap()) {
    out.push_back({file, line, fmt::format("'{}' needs a text in each language: {{{}}}", what, [] {
                     std::string s;
                     for (auto l : k_locales)
                       s += (s.empty() ? "" : ", ") + std::string(l) + ": ...";
                     return s;
                   }())});
    return std::nullopt;
  }
  text t;
  t.file = file;
  t.line = line;
  for (const auto& kv : node) {
    const auto key = kv.first.Scalar();
    const int at = line_of(kv.first) ? line_of(kv.first) : line;
    if (!is_locale(key)) {
      out.push_back({file, at,
                     fmt::format("'{}': unknown language '{}' (the languages are {})", what, key,
                                 locale_list())});
      continue;
    }
    form f;
    f.line = at;
    auto read = [&](const YAML::Node& v, const char* plural) -> std::optional<std::string> {
      const auto label =
          plural ? fmt::format("{}.{}.{}", what, key, plural) : fmt::format("{}.{}", what, key);
      if (!v.IsScalar()) {
        out.push_back(
            {file, line_of(v) ? line_of(v) : at, fmt::format("'{}' must be a string", label)});
        return std::nullopt;
      }
      const auto s = v.Scalar();
      if (s.empty()) {
        out.push_back({file, line_of(v) ? line_of(v) : at, fmt::format("'{}' is empty", label)});
        return std::nullopt;
      }
      if (auto bad = check_braces(s)) {
        out.push_back({file, line_of(v) ? line_of(v) : at, fmt::format("'{}': {}", label, *bad)});
        return std::nullopt;
      }
      return s;
    };
    const auto& v = kv.second;
    if (v.IsMap()) {
      yaml_map m(v, file, out, fmt::format("'{}.{}'", what, key));
      if (auto o = m.get("other"); o.IsDefined()) {
        if (auto s = read(o, "other")) f.other = *s;
      } else {
        m.error(fmt::format("'{}.{}' needs 'other' (and may have 'one')", what, key));
      }
      if (auto o = m.get("one"); o.IsDefined())
        if (auto s = read(o, "one")) f.one = *s;
      m.finish();
    } else if (auto s = read(v, nullptr)) {
      f.other = *s;
    }
    t.forms[key] = std::move(f);
  }
  for (auto l : k_locales)
    if (!t.forms.count(l)) out.push_back({file, line, fmt::format("'{}' has no {} text", what, l)});
  if (out.size() != before) return std::nullopt;
  // Every locale must fill the same placeholders: a reading named in Chinese and not in
  // English (or the other way round) would hide it from half the operators.
  const auto all = placeholders_of(t);
  for (const auto& [loc, f] : t.forms) {
    auto mine = placeholders_of(f.other);
    if (!f.one.empty()) {
      // A singular form may leave out {n}, as in "yesterday"; the rest must be there.
      auto one = placeholders_of(f.one);
      one.insert("n");
      std::set<std::string> missing_one;
      std::set_difference(mine.begin(), mine.end(), one.begin(), one.end(),
                          std::inserter(missing_one, missing_one.end()));
      if (!missing_one.empty())
        out.push_back(
            {file, f.line,
             fmt::format("'{}': the {} 'one' form lacks {}", what, loc, names(missing_one))});
      mine.merge(placeholders_of(f.one));
    }
    std::set<std::string> missing;
    std::set_difference(all.begin(), all.end(), mine.begin(), mine.end(),
                        std::inserter(missing, missing.end()));
    if (!missing.empty())
      out.push_back({file, f.line,
                     fmt::format("'{}': the {} text lacks {}, which another language uses", what,
                                 loc, names(missing))});
  }
  if (out.size() != before) return std::nullopt;
  return t;
}

text same_text(std::string_view wording) {
  text t;
  for (auto l : k_locales)
    t.forms[std::string(l)] = form{std::string(wording), {}};
  return t;
}

}  // namespace hearth::i18n
