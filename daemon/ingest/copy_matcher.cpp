// SPDX-License-Identifier: Apache-2.0
#include "ingest/copy_matcher.hpp"

namespace hearth::ingest {

namespace {
/// FNV-1a, 64 bits: the second half of the key, independent of std::hash.
std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto s : {a, std::string_view("\0", 1), b})
    for (const unsigned char c : s)
      h = (h ^ c) * 0x100000001b3ull;
  return h;
}
}  // namespace

copy_matcher::key copy_matcher::key_of(std::string_view topic, std::string_view payload) {
  const auto h = std::hash<std::string_view>{}(topic);
  return {std::hash<std::string_view>{}(payload) ^ (h + 0x9e3779b97f4a7c15ull + (h << 6)),
          fnv1a(topic, payload)};
}

bool copy_matcher::first(session from, std::string_view topic, std::string_view payload,
                         steady::time_point now) {
  const auto k = key_of(topic, payload);
  const auto self = static_cast<std::size_t>(from), other = 1 - self;
  std::lock_guard lock(mutex_);
  expire(now);
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.ahead[other] > 0) {
    if (--it->second.ahead[other] == 0 && it->second.ahead[self] == 0) entries_.erase(it);
    return false;
  }
  if (it == entries_.end()) it = entries_.emplace(k, entry{}).first;
  ++it->second.ahead[self];
  it->second.at = now;
  order_.emplace_back(k, now);
  return true;
}

void copy_matcher::expire(steady::time_point now) {
  // An entry is dropped when its newest stamp leaves the window (or is pushed out by the
  // bound); older stamps of a key that was refreshed or matched since are skipped. Every
  // live entry has its newest stamp in `order_`, so bounding `order_` bounds both.
  while (!order_.empty() &&
         (now - order_.front().second > window_ || order_.size() >= max_entries_)) {
    const bool pushed_out = now - order_.front().second <= window_;
    auto& [k, at] = order_.front();
    if (auto it = entries_.find(k); it != entries_.end() && it->second.at == at) {
      entries_.erase(it);
      if (pushed_out) ++evicted_;
    }
    order_.pop_front();
  }
}

std::size_t copy_matcher::unmatched() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t copy_matcher::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace hearth::ingest
