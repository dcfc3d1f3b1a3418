// SPDX-License-Identifier: Apache-2.0
#include "app/watchdog.hpp"

#include "notify/systemd.hpp"

namespace hearth::app {

watchdog_pings::watchdog_pings(boost::asio::io_context& io)
    : timer_(io), usec_(notify::watchdog_usec()) {
  if (usec_ > 0) ping();
}

void watchdog_pings::ping() {
  notify::watchdog();
  timer_.expires_after(std::chrono::microseconds(usec_ / 2));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

}  // namespace hearth::app
