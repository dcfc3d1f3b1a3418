// SPDX-License-Identifier: Apache-2.0
// Fuzzes the registry CSV importer: parsing with file:line:column diagnostics, then the merge
// and reference checks.
#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  hearth::registry::tables t;
  hearth::diagnostics d;
  hearth::registry::parse_csv_text(text, "fuzz.csv", t, d);
  for (const auto& x : d)
    if (x.line < 0 || x.column < 0) __builtin_trap();
  hearth::diagnostics merge;
  auto r = hearth::registry::registry{}.merged(t, merge);
  for (const auto& dev : r.all().devices)
    if (!r.find_device_by_external_id(dev.external_id)) __builtin_trap();
  return 0;
}
