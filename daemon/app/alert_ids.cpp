// SPDX-License-Identifier: Apache-2.0
#include "app/alert_ids.hpp"

#include "base/log.hpp"

namespace hearth::app {

void alert_ids::refill() {
  if (reserve_.size() >= ahead_ / 2) return;
  try {
    for (auto id : store_.reserve_alert_ids(ahead_ - reserve_.size()))
      reserve_.push_back(id);
  } catch (const store::store_error&) {
    // Next tick. The reserve still covers a burst.
  }
}

std::uint64_t alert_ids::next() {
  if (reserve_.empty()) refill();
  if (reserve_.empty()) {
    log::warn("app", "no alert id from the database; using {}", last_ + 1);
    return ++last_;
  }
  last_ = reserve_.front();
  reserve_.pop_front();
  return last_;
}

}  // namespace hearth::app
