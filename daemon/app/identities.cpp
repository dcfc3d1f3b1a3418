// SPDX-License-Identifier: Apache-2.0
#include "app/identities.hpp"

namespace hearth::app {

void identities::expire(time_point at) {
  while (!order_.empty() && (at - order_.front().first > window_ || ids_.size() >= max_)) {
    if (at - order_.front().first <= window_) ++forgotten_;
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool identities::seen(std::uint64_t id, time_point at) {
  expire(at);
  if (ids_.count(id)) return true;
  ids_.insert(id);
  order_.emplace_back(at, id);
  return false;
}

}  // namespace hearth::app
