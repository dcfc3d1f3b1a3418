// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Errors as values (STYLE.md, layer 1). A `result<T>` holds either a value or an `error`
/// with a stable machine-readable `code` (used for quarantine reasons and metric labels)
/// and a human-readable `message`. The caller must look at it: it is [[nodiscard]].

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hearth {

struct error {
  std::string code;     ///< stable, kebab-case: "malformed-json", "out-of-range", ...
  std::string message;  ///< plain words for a person; never contains personal data
  bool operator==(const error&) const = default;
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  result(error e) : v_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const error& err() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, error> v_;
};

/// For operations that only succeed or fail.
struct ok_t {};
using status = result<ok_t>;
inline status ok() {
  return ok_t{};
}

inline error make_error(std::string code, std::string message) {
  return error{std::move(code), std::move(message)};
}

}  // namespace hearth
