// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rate limiting of console logins (issues 6 and 18). Failed attempts are counted per
/// (user name, client address) pair: after `max_failures` failures within `window`, that
/// pair is locked for `lock`, and each further lock of the same pair lasts twice as long as
/// the one before (1 min, 2 min, 4 min, ... at most `max_lock`), until a success or a quiet
/// `forget_after`. A lock never reaches past its pair: the same user logs in from another
/// client, and another user from the same client (behind a reverse proxy that is not a
/// trusted proxy every client is the proxy's address, and five typos must not lock the
/// whole night shift out). The guessing rate across pairs is bounded by the password hash
/// itself (PBKDF2 on one worker thread, a few checks a second).
///
/// Pure bookkeeping: time is passed in (the daemon's injected clock). Domain thread only.
/// Memory is bounded (`k_max_entries`): stale pairs are forgotten first, then the ones
/// whose last failure is oldest.

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
    duration max_lock = std::chrono::hours(1);
    /// A pair with no failure for this long starts again from `lock`.
    duration forget_after = std::chrono::hours(24);
  };
  static constexpr std::size_t k_max_entries = 50'000;

  login_guard() = default;
  explicit login_guard(options o) : options_(o) {}

  /// When attempts for `user` from `client` are locked at `now`: until when.
  std::optional<time_point> locked_until(const std::string& user, const std::string& client,
                                         time_point now) const;
  void failed(const std::string& user, const std::string& client, time_point now);
  /// Clears the pair's failures and its lock history.
  void succeeded(const std::string& user, const std::string& client);
  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    int failures = 0;  ///< in the current window
    int locks = 0;     ///< locks so far: the next one lasts lock * 2^locks
    time_point first_failure{}, last_failure{}, locked_until{};
  };
  static std::string key(const std::string& user, const std::string& client);
  void make_room(time_point now);

  options options_;
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace hearth::auth
