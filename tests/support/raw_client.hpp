// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A raw TCP client for tests of the HTTP server's bounds (issue 18): a socket that can come
/// from any 127.0.0.0/8 address, with a small receive buffer (a reader that stops reading),
/// that sends bytes and tells, without waiting, whether the server has closed it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>

namespace hearth::test {

class raw_client {
 public:
  /// Connects to 127.0.0.1:`port`, from `from` when given; `rcvbuf` > 0 shrinks the
  /// receive buffer (and so the window the server may fill). Check `connected()`.
  explicit raw_client(unsigned short port, const char* from = nullptr, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (from) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &src.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return;
    }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  }
  ~raw_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  /// Sends all of `bytes`; false when the server has gone.
  bool send(const std::string& bytes) const {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// Whether the server has closed this connection (EOF or reset), without waiting; data
  /// that arrived first is read and dropped.
  bool closed_by_server() const {
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }
  /// Reads until the server closes, `until` is seen, or `limit` passes.
  std::string read(std::chrono::milliseconds limit = std::chrono::seconds(5),
                   const std::string& until = {}) const {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      if (!until.empty() && out.find(until) != std::string::npos) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

/// "GET <target> HTTP/1.1" with Connection: close and, when given, a bearer token.
inline std::string get_request(const std::string& target, const std::string& token = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
         (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
}

/// Raises this process's soft limit on open files to the hard limit (tests that hold
/// thousands of sockets); returns it.
inline rlim_t raise_open_files() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

}  // namespace hearth::test
