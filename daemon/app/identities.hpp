// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The identities of recent messages, for telling a redelivery from a new event: a message
/// is (device, frame counter) or (device, event time, bytes), digested to 64 bits. Kept for
/// `window` of receipt time, however many messages a device sends meanwhile (a burst of
/// presses does not push an earlier one out, as a ring of the last few did), and bounded
/// by `max` identities in all (the oldest go first; `forgotten()` counts them).
///
/// Domain thread only. Time is the caller's (receipt time).

#include <cstdint>
#include <deque>
#include <unordered_set>
#include <utility>

#include "base/clock.hpp"

namespace hearth::app {

class identities {
 public:
  explicit identities(duration window = std::chrono::hours(1), std::size_t max = 1'000'000)
      : window_(window), max_(max) {}

  /// True when `id` was seen within the window before `at`; otherwise remembers it.
  bool seen(std::uint64_t id, time_point at);
  std::size_t size() const { return ids_.size(); }
  std::uint64_t forgotten() const { return forgotten_; }

 private:
  void expire(time_point at);
  duration window_;
  std::size_t max_;
  std::unordered_set<std::uint64_t> ids_;
  std::deque<std::pair<time_point, std::uint64_t>> order_;  ///< oldest first
  std::uint64_t forgotten_ = 0;  ///< dropped by the bound before their window ended
};

}  // namespace hearth::app
