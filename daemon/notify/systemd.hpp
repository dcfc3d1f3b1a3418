// SPDX-License-Identifier: Apache-2.0
#pragma once
/// systemd notifications (Type=notify): READY, STOPPING, RELOADING and watchdog pings.
/// No-ops when not started by systemd.

#include <string_view>

namespace hearth::notify {

void ready();
void stopping();
void reloading();
void reloaded();
void watchdog();
/// The watchdog interval systemd asked for, in microseconds; 0 when none.
unsigned long long watchdog_usec();
void status(std::string_view text);

}  // namespace hearth::notify
