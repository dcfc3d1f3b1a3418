// SPDX-License-Identifier: Apache-2.0
#include "ingest/copy_matcher.hpp"

namespace hearth::ingest {

bool copy_matcher::first(session from, std::string_view topic, std::string_view payload,
                         steady::time_point now) {
  std::string key;
  key.reserve(topic.size() + 1 + payload.size());
  key.append(topic).push_back('\0');
  key.append(payload);
  const auto self = static_cast<std::size_t>(from), other = 1 - self;
  std::lock_guard lock(mutex_);
  expire(now);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.ahead[other] > 0) {
    if (--it->second.ahead[other] == 0 && it->second.ahead[self] == 0) entries_.erase(it);
    return false;
  }
  if (it == entries_.end()) it = entries_.emplace(key, entry{}).first;
  ++it->second.ahead[self];
  it->second.at = now;
  order_.emplace_back(std::move(key), now);
  return true;
}

void copy_matcher::expire(steady::time_point now) {
  // An entry is dropped when its newest stamp leaves the window (or is pushed out by the
  // bound); older stamps of a key that was refreshed or matched since are skipped. Every
  // live entry has its newest stamp in `order_`, so bounding `order_` bounds both.
  while (!order_.empty() &&
         (now - order_.front().second > window_ || order_.size() >= max_entries_)) {
    auto& [key, at] = order_.front();
    if (auto it = entries_.find(key); it != entries_.end() && it->second.at == at)
      entries_.erase(it);
    order_.pop_front();
  }
}

std::size_t copy_matcher::unmatched() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace hearth::ingest
