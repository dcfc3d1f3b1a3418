// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Config tests: the smallest valid config (the shipped devices/ and rules/, an in-memory
/// database) with the keys under test appended.

#include <optional>
#include <string>

#include "app/config.hpp"

namespace hearth::test {

inline std::optional<app::config> parse_config_with(
    const std::string& extra, diagnostics& d, const std::string& file = "/etc/hearth/hearth.yaml") {
  const std::string base = "database: ':memory:'\ndevices_dir: " HEARTH_SOURCE_DIR
                           "/devices\nrules_dir: " HEARTH_SOURCE_DIR "/rules\n";
  return app::parse_config(base + extra, file, d);
}

}  // namespace hearth::test
