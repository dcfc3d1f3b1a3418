// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Array literals for PostgreSQL `text[]`, `bigint[]` and `float8[]` parameters: a batch of
/// rows goes to the server as a few arrays and one `unnest(...)` statement, one round trip
/// however many rows (the readings sink, the rules' state).
///
/// Pure; any thread.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace hearth::store {

/// An array literal for a text[] parameter: every element quoted, `"` and `\` escaped.
class text_array {
 public:
  void add(std::string_view v) {
    out_ += out_.size() > 1 ? ",\"" : "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }
  bool empty() const { return out_.size() == 1; }
  std::string done() const { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

/// An array literal for a bigint[] or float8[] parameter.
class number_array {
 public:
  void add(std::int64_t v) { fmt::format_to(std::back_inserter(sep()), "{}", v); }
  void add(double v) {
    if (std::isnan(v))
      sep() += "NaN";
    else if (std::isinf(v))
      sep() += v > 0 ? "Infinity" : "-Infinity";
    else
      fmt::format_to(std::back_inserter(sep()), "{:.17g}", v);
  }
  bool empty() const { return out_.size() == 1; }
  std::string done() const { return out_ + "}"; }

 private:
  std::string& sep() {
    if (out_.size() > 1) out_ += ',';
    return out_;
  }
  std::string out_ = "{";
};

}  // namespace hearth::store
