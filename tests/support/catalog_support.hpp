// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Catalog tests: a device type from YAML written inline, which must load without a
/// diagnostic (the first one is shown when it does not).

#include <catch2/catch.hpp>
#include <string>

#include "catalog/device_type.hpp"

namespace hearth::test {

inline catalog::device_type type_from(const std::string& yaml) {
  diagnostics d;
  auto t = catalog::parse_device_type(yaml, "<text>", d);
  INFO((d.empty() ? std::string() : d.front().text()));
  REQUIRE(d.empty());
  REQUIRE(t);
  return *t;
}

}  // namespace hearth::test
