// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `hearthd run`: wires the parts together around one io_context, which owns all domain
/// state. Returns the process exit code (0, or 78 for configuration errors).

#include <string>

namespace hearth::app {

int run_daemon(const std::string& config_file);

}  // namespace hearth::app
