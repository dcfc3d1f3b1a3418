// SPDX-License-Identifier: Apache-2.0
#include "ha/step_down.hpp"

#include <fmt/format.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "base/log.hpp"

namespace hearth::ha {
namespace {
std::vector<std::string>& command_line() {
  static std::vector<std::string> argv;
  return argv;
}
}  // namespace

void remember_command_line(int argc, char** argv) {
  command_line().assign(argv, argv + argc);
}

void step_down(const std::string& why) {
  log::warn("ha", "stepping down from active: {}; restarting as a standby", why);
  std::fflush(stderr);
  const auto& saved = command_line();
  std::vector<char*> args;
  for (const auto& a : saved)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Sockets (MQTT, PostgreSQL, the HTTP listener) and files must not survive into the new
  // image: marked close-on-exec, whatever the libraries that opened them chose.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (!saved.empty()) ::execv("/proc/self/exe", args.data());
  std::perror("hearthd: exec");
  ::_exit(75);
}

}  // namespace hearth::ha
