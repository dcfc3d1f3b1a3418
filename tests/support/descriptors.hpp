// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Running out of file descriptors on purpose (issue 18): lowers this process's soft
/// RLIMIT_NOFILE and opens /dev/null until open() fails with EMFILE. Everything in the
/// process (servers, clients, webhooks under test) then meets EMFILE, as hearthd did at
/// 1,024 descriptors. The destructor gives them back and restores the limit.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <vector>

namespace hearth::test {

class descriptor_famine {
 public:
  explicit descriptor_famine(rlim_t limit = 256) {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit low = saved_;
    low.rlim_cur = limit;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      fds_.push_back(fd);
    }
    REQUIRE(errno == EMFILE);
  }
  descriptor_famine(const descriptor_famine&) = delete;
  descriptor_famine& operator=(const descriptor_famine&) = delete;
  /// Gives one descriptor back.
  void release_one() {
    if (fds_.empty()) return;
    ::close(fds_.back());
    fds_.pop_back();
  }
  ~descriptor_famine() {
    for (int fd : fds_)
      ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fds_;
};

}  // namespace hearth::test
