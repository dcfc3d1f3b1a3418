// SPDX-License-Identifier: Apache-2.0
#pragma once
/// systemd's watchdog, pinged from the event loop itself at half the interval the unit asks
/// for (`WatchdogSec=`), so that a stuck loop is noticed and the unit restarted. Nothing
/// when the unit has no watchdog. Used by the active daemon and by a standby.
///
/// Threading: the io_context's thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace hearth::app {

class watchdog_pings {
 public:
  explicit watchdog_pings(boost::asio::io_context& io);

 private:
  void ping();
  boost::asio::steady_timer timer_;
  unsigned long long usec_;
};

}  // namespace hearth::app
