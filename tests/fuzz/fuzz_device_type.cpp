// SPDX-License-Identifier: Apache-2.0
// Fuzzes the device-type loader (YAML text to a definition plus diagnostics) and, for what
// loads, the golden examples. A broken file must give diagnostics, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog/device_type.hpp"
#include "normalize/examples.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hearth::diagnostics d;
  auto t = hearth::catalog::parse_device_type(text, "<fuzz>", d);
  if (t) {
    if (!d.empty()) __builtin_trap();  // a definition loads only when nothing is wrong
    (void)t->subscription();
    (void)hearth::normalize::run_examples(*t);
  } else if (d.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return 0;
}
