// SPDX-License-Identifier: Apache-2.0
#include "ingest/lanes.hpp"

namespace hearth::ingest {

lanes::offered lanes::offer(lane which, inbound m) {
  std::lock_guard lock(mutex_);
  if (which == lane::priority) {
    if (priority_.size() >= limits_.priority_messages) return offered::shed;
    priority_.push_back(std::move(m));
  } else {
    const auto size = m.topic.size() + m.payload.size();
    if (bulk_.size() >= limits_.bulk_messages || bulk_bytes_ + size > limits_.bulk_bytes)
      return offered::shed;
    bulk_bytes_ += size;
    bulk_.push_back(std::move(m));
  }
  // While the consumer waits for storage (paused), bulk messages do not wake it: its
  // retry timer will. A priority message always does.
  if (!idle_ || (paused_ && which == lane::bulk)) return offered::queued;
  idle_ = false;
  return offered::queued_wake;
}

std::optional<inbound> lanes::take(bool bulk_allowed) {
  std::lock_guard lock(mutex_);
  if (!priority_.empty()) {
    auto m = std::move(priority_.front());
    priority_.pop_front();
    return m;
  }
  if (bulk_allowed && !bulk_.empty()) {
    auto m = std::move(bulk_.front());
    bulk_.pop_front();
    bulk_bytes_ -= m.topic.size() + m.payload.size();
    paused_ = false;
    return m;
  }
  paused_ = !bulk_.empty();
  // Decided under the same lock as `offer`, so a message offered after this point wakes
  // the consumer, and none offered before it is left behind.
  idle_ = true;
  return std::nullopt;
}

std::size_t lanes::depth(lane which) const {
  std::lock_guard lock(mutex_);
  return which == lane::priority ? priority_.size() : bulk_.size();
}

bool lanes::claim() {
  std::lock_guard lock(mutex_);
  if (!idle_) return false;
  idle_ = false;
  return true;
}

bool lanes::paused() const {
  std::lock_guard lock(mutex_);
  return paused_;
}

std::size_t lanes::bulk_bytes() const {
  std::lock_guard lock(mutex_);
  return bulk_bytes_;
}

}  // namespace hearth::ingest
