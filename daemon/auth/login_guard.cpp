// SPDX-License-Identifier: Apache-2.0
#include "auth/login_guard.hpp"

#include <algorithm>

namespace hearth::auth {
namespace {
constexpr std::size_t k_max_entries = 50'000;
}

std::optional<time_point> login_guard::lock_of(const std::string& key, time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) return std::nullopt;
  return it->second.locked_until;
}

std::optional<time_point> login_guard::locked_until(const std::string& user,
                                                    const std::string& remote,
                                                    time_point now) const {
  auto u = lock_of("u:" + user, now);
  auto a = lock_of("a:" + remote, now);
  if (u && a) return std::max(*u, *a);
  return u ? u : a;
}

void login_guard::bump(const std::string& key, time_point now) {
  if (entries_.size() >= k_max_entries)
    std::erase_if(entries_, [&](const auto& kv) {
      return kv.second.locked_until <= now && kv.second.first_failure + options_.window <= now;
    });
  auto& e = entries_[key];
  if (e.failures == 0 || e.first_failure + options_.window <= now) {
    e.failures = 0;
    e.first_failure = now;
  }
  if (++e.failures >= options_.max_failures) {
    e.locked_until = now + options_.lock;
    e.failures = 0;
  }
}

void login_guard::failed(const std::string& user, const std::string& remote, time_point now) {
  bump("u:" + user, now);
  bump("a:" + remote, now);
}

void login_guard::succeeded(const std::string& user) {
  entries_.erase("u:" + user);
}

}  // namespace hearth::auth
