// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `hearthd run`: wires the parts together around one io_context, which owns all domain
/// state. Returns the process exit code (0, 78 for configuration errors, 65 for a damaged,
/// empty, truncated or newer-schema database file).

#include <string>

namespace hearth::app {

/// EX_DATAERR: the database file is damaged; hearthd refuses to start on it.
inline constexpr int k_exit_damaged_database = 65;

/// `init` (`hearthd run --init`): an existing database file that is 0 bytes or cut short
/// is moved aside (`<file>.cut-<time>`) and a new one made in its place; without it such a
/// file is refused with exit 65 (issue 18, defect 6). A schema newer than this hearthd is
/// refused either way: --init never replaces a database that is whole.
int run_daemon(const std::string& config_file, bool init = false);

}  // namespace hearth::app
