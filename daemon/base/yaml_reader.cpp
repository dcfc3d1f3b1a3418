// SPDX-License-Identifier: Apache-2.0
#include "base/yaml_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/time.hpp"

namespace hearth {

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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.push_back({path, 0, "cannot open file"});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_yaml_text(ss.str(), path, out);
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

void yaml_map::error(const YAML::Node& at, const std::string& message) {
  out_.push_back({file_, line_of(at) ? line_of(at) : line_of(node_), message});
}

namespace {
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

std::optional<std::string> yaml_map::string(const std::string& key, bool required) {
  const YAML::Node n = get(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required && valid_) error(fmt::format("{}: missing required key '{}'", what_, key));
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
    if (required && valid_) error(fmt::format("{}: missing required key '{}'", what_, key));
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
  for (const auto& kv : node_) {
    const auto key = kv.first.Scalar();
    if (!known_.contains(key)) error(kv.first, fmt::format("unknown key '{}' in {}", key, what_));
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
