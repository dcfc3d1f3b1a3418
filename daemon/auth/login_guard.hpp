// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rate limiting of console logins (issue 6): after `max_failures` failed attempts within
/// `window`, for one user name or from one remote address, further attempts for that name
/// or from that address are refused until `lock` has passed, without checking the
/// password. A success clears the user's count (not the address's, so that one good
/// account does not reset a guessing run against others).
///
/// Pure bookkeeping: time is passed in (the daemon's injected clock). Domain thread only.
/// Memory is bounded: stale entries are pruned when the table grows.

#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"

namespace hearth::auth {

class login_guard {
 public:
  struct options {
    int max_failures = 5;
    duration window = std::chrono::minutes(15);
    duration lock = std::chrono::minutes(1);
  };
  login_guard() = default;
  explicit login_guard(options o) : options_(o) {}

  /// When attempts for `user` or from `remote` are locked at `now`: until when.
  std::optional<time_point> locked_until(const std::string& user, const std::string& remote,
                                         time_point now) const;
  void failed(const std::string& user, const std::string& remote, time_point now);
  void succeeded(const std::string& user);

 private:
  struct entry {
    int failures = 0;
    time_point first_failure{}, locked_until{};
  };
  void bump(const std::string& key, time_point now);
  std::optional<time_point> lock_of(const std::string& key, time_point now) const;

  options options_;
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace hearth::auth
