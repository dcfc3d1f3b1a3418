// SPDX-License-Identifier: Apache-2.0
#include "auth/login_guard.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace hearth::auth {

std::string login_guard::key(const std::string& user, const std::string& client) {
  // User names cannot hold '\n' (auth::valid_user_name); addresses never do.
  return user + '\n' + client;
}

std::optional<time_point> login_guard::locked_until(const std::string& user,
                                                    const std::string& client,
                                                    time_point now) const {
  auto it = entries_.find(key(user, client));
  if (it == entries_.end() || it->second.locked_until <= now) return std::nullopt;
  return it->second.locked_until;
}

void login_guard::make_room(time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    const auto& e = kv.second;
    return e.locked_until <= now && e.last_failure + options_.forget_after <= now;
  });
  if (entries_.size() < k_max_entries) return;
  // Still full of recent failures: forget the tenth of the unlocked pairs whose last
  // failure is oldest (a lock in force is kept as long as any other), so that the scan is
  // paid once per many failures.
  std::vector<std::pair<time_point, std::string>> unlocked;
  for (const auto& [k, e] : entries_)
    if (e.locked_until <= now) unlocked.emplace_back(e.last_failure, k);
  const auto n = std::max<std::size_t>(1, std::min(unlocked.size(), k_max_entries / 10));
  std::nth_element(unlocked.begin(), unlocked.begin() + static_cast<std::ptrdiff_t>(n - 1),
                   unlocked.end());
  for (std::size_t i = 0; i < n && i < unlocked.size(); ++i)
    entries_.erase(unlocked[i].second);
  if (entries_.size() >= k_max_entries) entries_.erase(entries_.begin());  // all locked
}

void login_guard::failed(const std::string& user, const std::string& client, time_point now) {
  const auto k = key(user, client);
  if (!entries_.count(k) && entries_.size() >= k_max_entries) make_room(now);
  auto& e = entries_[k];
  if (e.last_failure + options_.forget_after <= now) e = entry{};
  if (e.failures == 0 || e.first_failure + options_.window <= now) {
    e.failures = 0;
    e.first_failure = now;
  }
  e.last_failure = now;
  if (++e.failures >= options_.max_failures) {
    auto length = options_.lock;
    for (int i = 0; i < e.locks && length < options_.max_lock; ++i)
      length *= 2;
    e.locked_until = now + std::min(length, options_.max_lock);
    ++e.locks;
    e.failures = 0;
  }
}

void login_guard::succeeded(const std::string& user, const std::string& client) {
  entries_.erase(key(user, client));
}

}  // namespace hearth::auth
