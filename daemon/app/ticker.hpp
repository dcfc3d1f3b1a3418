// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Drives `alerts::book::tick` from an Asio steady_timer on the domain io_context: wakes at
/// the book's next deadline (at least once a second, so a wall-clock jump is noticed), and
/// records what the tick produced through the pipeline. `start` ticks once at once, so
/// deadlines that passed while the daemon was down fire immediately.
///
/// Threading: domain thread. Exceptions never escape the timer handler.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "alerts/book.hpp"
#include "app/audit_anchor.hpp"
#include "app/pipeline.hpp"
#include "base/clock.hpp"

namespace hearth::app {

class ticker {
 public:
  ticker(boost::asio::io_context& io, const clock& clk, alerts::book& book, pipeline& pipe)
      : timer_(io), clock_(clk), book_(book), pipe_(pipe) {}
  void start();
  void stop();
  /// Anchors the audit head on each tick (may be null).
  void set_anchor(audit_anchor* a) { anchor_ = a; }

 private:
  void fire() noexcept;
  void schedule();

  boost::asio::steady_timer timer_;
  const clock& clock_;
  alerts::book& book_;
  pipeline& pipe_;
  audit_anchor* anchor_ = nullptr;
  bool stopped_ = false;
};

}  // namespace hearth::app
