// SPDX-License-Identifier: Apache-2.0
#include "base/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/time.hpp"

namespace hearth {

std::vector<std::string> definition_files(const std::string& dir, diagnostics& out) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
      files.push_back(e.path().string());
  }
  if (ec) out.push_back({dir, 0, "cannot read folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<std::string> read_definition_file(const std::string& path, diagnostics& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.push_back({path, 0, "cannot open file"});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<YAML::Node> load_yaml_text(const std::string& text, const std::string& file,
                                         diagnostics& out) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    out.push_back({file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax: " + e.msg});
    return std::nullopt;
  }
}

std::optional<YAML::Node> load_yaml_file(const std::string& path, diagnostics& out) {
  auto text = read_definition_file(path, out);
  if (!text) return std::nullopt;
  return load_yaml_text(*text, path, out);
}

yaml_map::yaml_map(YAML::Node node, std::string file, diagnostics& out, std::string what)
    : node_(std::move(node)), file_(std::move(file)), out_(out), what_(std::move(what)) {
  if (!node_.IsMap()) {
    error(node_, fmt::format("{} must be a mapping", what_));
    valid_ = false;
  }
}

// yaml-cpp: operator[] on a non-const node inserts the key, and a default-constructed
// Node is a defined null. Lookups therefore go through a const node, whose operator[]
// returns an undefined ("zombie") node for a missing key.
bool yaml_map::has(const std::string& key) const {
  return valid_ && std::as_const(node_)[key].IsDefined();
}

YAML::Node yaml_map::get(const std::string& key) {
  known_.insert(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node n = std::as_const(node_)[key];
  // A zombie throws on most calls; a fresh Undefined node answers them safely.
  return n.IsDefined() ? n : YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node yaml_map::require(const std::string& key) {
  auto n = get(key);
  if (!n.IsDefined() && valid_) missing(key);
  return n;
}

void yaml_map::error(const YAML::Node& at, const std::string& message) {
  out_.push_back({file_, line_of(at) ? line_of(at) : line_of(node_), message});
}

namespace {
/// Edit distance with transpositions (optimal string alignment), for "did you mean" on
/// misspelt keys: "metirc" is one slip from "metric". Keys are short.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

bool near_miss(std::string_view written, std::string_view meant) {
  return written != meant &&
         edit_distance(written, meant) <= std::max<std::size_t>(1, meant.size() / 4);
}

std::string kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "a scalar";
  }
}
}  // namespace

void yaml_map::missing(const std::string& key) {
  // A misspelt required key is one mistake: report the spelling, not also the absence.
  for (const auto& kv : node_) {
    const auto written = kv.first.Scalar();
    if (!known_.contains(written) && near_miss(written, key)) {
      known_.insert(written);
      error(kv.first,
            fmt::format("unknown key '{}' in {} (did you mean '{}'?)", written, what_, key));
      return;
    }
  }
  error(fmt::format("{}: missing required key '{}'", what_, key));
}

std::optional<std::string> yaml_map::string(const std::string& key, bool required) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required && valid_) missing(key);
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(n, fmt::format("'{}' must be a string, not {}", key, kind_of(n)));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> yaml_map::number(const std::string& key, bool required) {
  auto s = string(key, required);
  if (!s) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || p != s->data() + s->size()) {
    error(get(key), fmt::format("'{}' must be a number, not '{}'", key, *s));
    return std::nullopt;
  }
  return v;
}

std::optional<long long> yaml_map::integer(const std::string& key, bool required) {
  auto s = string(key, required);
  if (!s) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || p != s->data() + s->size()) {
    error(get(key), fmt::format("'{}' must be a whole number, not '{}'", key, *s));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> yaml_map::boolean(const std::string& key, bool required) {
  auto s = string(key, required);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  error(get(key), fmt::format("'{}' must be true or false, not '{}'", key, *s));
  return std::nullopt;
}

std::optional<duration> yaml_map::duration_value(const std::string& key, bool required) {
  auto s = string(key, required);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d)
    error(get(key), fmt::format("'{}' must be a duration like 90s, 15m or 12h, not '{}'", key, *s));
  return d;
}

std::optional<std::vector<std::string>> yaml_map::strings(const std::string& key, bool required) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required && valid_) missing(key);
    return std::nullopt;
  }
  std::vector<std::string> v;
  if (n.IsScalar()) {
    v.push_back(n.Scalar());
    return v;
  }
  if (!n.IsSequence()) {
    error(n, fmt::format("'{}' must be a string or a list of strings", key));
    return std::nullopt;
  }
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      error(item, fmt::format("'{}' items must be strings", key));
      return std::nullopt;
    }
    v.push_back(item.Scalar());
  }
  return v;
}

void yaml_map::finish() {
  if (!valid_) return;
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const auto key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      // yaml-cpp keeps both entries and lookups see the first: the second would be ignored.
      error(kv.first, fmt::format("key '{}' is given twice in {}", key, what_));
      continue;
    }
    if (known_.contains(key)) continue;
    std::string hint;
    for (const auto& k : known_)
      if (!has(k) && near_miss(key, k)) hint = fmt::format(" (did you mean '{}'?)", k);
    error(kv.first, fmt::format("unknown key '{}' in {}{}", key, what_, hint));
  }
}

std::optional<std::string> scalar_string(const YAML::Node& n, const std::string& file,
                                         diagnostics& out, const std::string& what) {
  if (!n.IsScalar()) {
    out.push_back({file, line_of(n), what + " must be a string"});
    return std::nullopt;
  }
  return n.Scalar();
}

}  // namespace hearth
