// SPDX-License-Identifier: Apache-2.0
#include "app/ticker.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.hpp"

namespace hearth::app {

void ticker::start() {
  stopped_ = false;
  fire();
}

void ticker::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ticker::fire() noexcept {
  try {
    pipe_.check_store_files();
    pipe_.record(book_.tick(clock_.now()));
    if (anchor_) anchor_->tick(clock_.now());
  } catch (const std::exception& e) {
    log::error("app", "escalation tick failed: {}", e.what());
  }
  schedule();
}

void ticker::schedule() {
  if (stopped_) return;
  duration wait = std::chrono::seconds(1);
  if (auto next = book_.next_deadline())
    wait = std::clamp<duration>(*next - clock_.now(), duration{0}, wait);
  timer_.expires_after(wait);
  timer_.async_wait([this](const boost::system::error_code& ec) noexcept {
    if (!ec) fire();
  });
}

}  // namespace hearth::app
