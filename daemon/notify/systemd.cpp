// SPDX-License-Identifier: Apache-2.0
#include "notify/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace hearth::notify {

void ready() {
  sd_notify(0, "READY=1");
}
void stopping() {
  sd_notify(0, "STOPPING=1");
}
void reloading() {
  sd_notify(0, "RELOADING=1");
}
void reloaded() {
  sd_notify(0, "READY=1");
}
void watchdog() {
  sd_notify(0, "WATCHDOG=1");
}
unsigned long long watchdog_usec() {
  uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}
void status(std::string_view text) {
  sd_notify(0, ("STATUS=" + std::string(text)).c_str());
}

}  // namespace hearth::notify
