// SPDX-License-Identifier: Apache-2.0
// Fuzzes the rule loader (rules/*.yaml text to a rule plus diagnostics). A broken rule must
// give diagnostics, never a crash; a rule that loads has no diagnostics.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/rule_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hearth::diagnostics d;
  auto r = hearth::engine::parse_rule(text, "<fuzz>", d);
  if (r && !d.empty()) __builtin_trap();
  if (!r && d.empty()) __builtin_trap();  // a refusal always says why
  return 0;
}
