// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A TCP forwarder on a free loopback port to another loopback port, which a test can cut
/// off: `block()` stops passing bytes either way and stops accepting (connections stay
/// open and silent, as when a network path fails: no reset, no FIN), `unblock()` resumes.
/// Used for a split brain: one node loses the database while the other still reaches it.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::test {

class tcp_proxy {
 public:
  explicit tcp_proxy(unsigned short target_port);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;
  unsigned short port() const { return port_; }
  void block();
  void unblock();

 private:
  void run();
  void wake();
  unsigned short target_, port_ = 0;
  int listen_fd_ = -1, wake_[2] = {-1, -1};
  std::atomic<bool> blocked_{false}, stop_{false};
  std::thread thread_;
};

}  // namespace hearth::test
