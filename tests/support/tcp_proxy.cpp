// SPDX-License-Identifier: Apache-2.0
#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace hearth::test {
namespace {

int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

tcp_proxy::tcp_proxy(unsigned short target_port) : target_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("tcp_proxy: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("tcp_proxy: pipe");
  thread_ = std::thread([this] { run(); });
}

tcp_proxy::~tcp_proxy() {
  stop_ = true;
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void tcp_proxy::wake() {
  const char c = 1;
  (void)!::write(wake_[1], &c, 1);
}

void tcp_proxy::block() {
  blocked_ = true;
  wake();
}

void tcp_proxy::unblock() {
  blocked_ = false;
  wake();
}

void tcp_proxy::run() {
  struct pair {
    int a, b;  // client side, target side
  };
  std::vector<pair> pairs;
  while (!stop_) {
    const bool blocked = blocked_;
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
    if (!blocked) {
      fds.push_back({listen_fd_, POLLIN, 0});
      for (const auto& p : pairs) {
        fds.push_back({p.a, POLLIN, 0});
        fds.push_back({p.b, POLLIN, 0});
      }
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
    if (fds[0].revents) {
      char buf[64];
      (void)!::read(wake_[0], buf, sizeof buf);
    }
    if (blocked || blocked_) continue;
    if (fds[1].revents & POLLIN) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        const int t = connect_to(target_);
        if (t < 0)
          ::close(c);
        else
          pairs.push_back({c, t});
      }
    }
    std::vector<std::size_t> dead;
    for (std::size_t i = 0; i < pairs.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
      for (int side = 0; side < 2; ++side) {
        const auto& f = fds[2 + 2 * i + static_cast<std::size_t>(side)];
        if (!(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[16384];
        const auto n = ::read(f.fd, buf, sizeof buf);
        const int to = side == 0 ? pairs[i].b : pairs[i].a;
        if (n <= 0 || ::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          dead.push_back(i);
          break;
        }
      }
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pairs[*it].a);
      ::close(pairs[*it].b);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
  for (const auto& p : pairs) {
    ::close(p.a);
    ::close(p.b);
  }
}

}  // namespace hearth::test
