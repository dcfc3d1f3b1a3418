// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Startup and definition errors (STYLE.md, layer 2): every problem in a file is collected
/// as `file:line: message`, all are printed, and the daemon exits 78 (EX_CONFIG).

#include <string>
#include <vector>

namespace hearth {

inline constexpr int k_exit_config = 78;  // EX_CONFIG; the unit has RestartPreventExitStatus=78
inline constexpr int k_exit_usage = 64;   // EX_USAGE: a command line hearthd does not understand

struct diagnostic {
  std::string file;
  int line = 0;  ///< 1-based; 0 when the problem is the file as a whole
  std::string message;
  int column = 0;  ///< 1-based, for CSV files; 0 when not known
  std::string text() const {
    std::string where = file;
    if (line > 0) where += ":" + std::to_string(line);
    if (line > 0 && column > 0) where += ":" + std::to_string(column);
    return where + ": " + message;
  }
};

using diagnostics = std::vector<diagnostic>;

}  // namespace hearth
