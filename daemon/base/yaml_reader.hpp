// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Typed decoding of YAML definition files with `file:line` diagnostics. Each mapping is
/// read through a `yaml_map`, which remembers the keys that were asked for; `finish()`
/// reports every other key as unknown, so a misspelt field is an error, never a silently
/// dropped one (the fluent-bit habit, see STYLE.md).

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/diagnostic.hpp"

namespace hearth {

/// The definition files of a folder (`*.yaml`, `*.yml`), sorted by name, so that loading is
/// the same on every machine. A folder that cannot be read adds a diagnostic.
std::vector<std::string> definition_files(const std::string& dir, diagnostics& out);

/// A definition file's whole text; nullopt, with a diagnostic, when it cannot be opened.
std::optional<std::string> read_definition_file(const std::string& path, diagnostics& out);

/// Parses a whole YAML document. On a syntax error, adds a diagnostic and returns nullopt.
std::optional<YAML::Node> load_yaml_file(const std::string& path, diagnostics& out);
std::optional<YAML::Node> load_yaml_text(const std::string& text, const std::string& file,
                                         diagnostics& out);

/// 1-based line of a node, or 0 when yaml-cpp does not know it.
inline int line_of(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

class yaml_map {
 public:
  /// `what` names the mapping in messages ("device type", "field mapping").
  yaml_map(YAML::Node node, std::string file, diagnostics& out, std::string what);

  bool valid() const { return valid_; }
  bool has(const std::string& key) const;
  YAML::Node node() const { return node_; }
  const std::string& file() const { return file_; }
  diagnostics& out() { return out_; }

  /// Marks `key` as known and returns its node (null node when absent).
  YAML::Node get(const std::string& key);
  /// Like `get`, and reports the key as missing (or misspelt) when it is absent.
  YAML::Node require(const std::string& key);

  std::optional<std::string> string(const std::string& key, bool required);
  std::optional<double> number(const std::string& key, bool required);
  std::optional<long long> integer(const std::string& key, bool required);
  std::optional<bool> boolean(const std::string& key, bool required);
  std::optional<duration> duration_value(const std::string& key, bool required);
  /// A string or a list of strings.
  std::optional<std::vector<std::string>> strings(const std::string& key, bool required);

  void error(const YAML::Node& at, const std::string& message);
  void error(const std::string& message) { error(node_, message); }

  /// Reports every key that no accessor asked for. Call once, after reading.
  void finish();

 private:
  YAML::Node node_;
  std::string file_;
  diagnostics& out_;
  /// Reports a missing required key, or the misspelt key written in its place.
  void missing(const std::string& key);

  std::string what_;
  std::set<std::string> known_;
  bool valid_ = true;
};

/// Scalar helpers with diagnostics, for list items and nested values.
std::optional<std::string> scalar_string(const YAML::Node& n, const std::string& file,
                                         diagnostics& out, const std::string& what);

}  // namespace hearth
