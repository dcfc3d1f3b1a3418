// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The `clock` interface: the only source of "now" for engine/ and alerts/.
/// Live mode uses `wall_clock`; `hearthd replay` and tests use `manual_clock`, which moves
/// only when told. Nothing in the domain reads the system clock directly.

#include <chrono>
#include <mutex>

namespace hearth {

/// Millisecond UTC time. Event times from payloads and the clock share this type.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;
using duration = std::chrono::milliseconds;

class clock {
 public:
  virtual ~clock() = default;
  virtual time_point now() const = 0;
};

class wall_clock final : public clock {
 public:
  time_point now() const override;
};

/// A clock for tests and replay. Thread-safe; never moves backwards on `set`.
class manual_clock final : public clock {
 public:
  explicit manual_clock(time_point start = {}) : now_(start) {}
  time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }
  /// Moves to `t` if it is later than now; an earlier `t` is ignored (out-of-order input).
  void set(time_point t) {
    std::lock_guard lock(mutex_);
    if (t > now_) now_ = t;
  }

 private:
  mutable std::mutex mutex_;
  time_point now_;
};

}  // namespace hearth
