// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `hearthd run`: wires the parts together around one io_context, which owns all domain
/// state. Returns the process exit code (0, 78 for configuration errors, 65 for a damaged
/// database file).

#include <string>

namespace hearth::app {

/// EX_DATAERR: the database file is damaged; hearthd refuses to start on it.
inline constexpr int k_exit_damaged_database = 65;

int run_daemon(const std::string& config_file);

}  // namespace hearth::app
