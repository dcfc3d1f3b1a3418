// SPDX-License-Identifier: Apache-2.0
#pragma once
/// How an active node stops being active: it re-executes itself, so that it comes back as
/// a standby with nothing of the active role left over (no MQTT session, no writer, no
/// rule state in memory, no transaction in flight). The process keeps its PID and its
/// stdout/stderr (systemd sees one service that went on running); every other descriptor
/// is closed by the exec.

#include <string>

namespace hearth::ha {

/// Called first thing in main(): what to execute again.
void remember_command_line(int argc, char** argv);

/// Logs why, then replaces the process with a fresh `hearthd` of the same command line.
/// Safe from any thread. If the exec itself fails, exits with 75 (EX_TEMPFAIL) so that
/// systemd restarts the unit.
[[noreturn]] void step_down(const std::string& why);

}  // namespace hearth::ha
