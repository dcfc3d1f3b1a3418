// SPDX-License-Identifier: Apache-2.0
// Fuzzes the config loader (hearth.yaml text to a typed config plus diagnostics), including
// the escalation, webhooks and retention sections. Never a crash; a refusal says why.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hearth::diagnostics d;
  auto c = hearth::app::parse_config(text, "/tmp/hearth-fuzz/hearth.yaml", d);
  if (c && !d.empty()) __builtin_trap();
  if (!c && d.empty()) __builtin_trap();
  return 0;
}
