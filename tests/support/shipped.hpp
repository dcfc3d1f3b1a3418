// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The shipped device types and rules (devices/, rules/) and the test registry
/// (tests/data/registry), loaded the way hearthd loads them; any diagnostic fails the test.

#include <catch2/catch.hpp>
#include <memory>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "catalog/device_type.hpp"
#include "registry/registry.hpp"

namespace hearth::test {

/// devices/ and rules/ as `hearthd run` loads them.
inline app::definitions shipped_definitions() {
  app::config c;
  c.devices_dir = HEARTH_SOURCE_DIR "/devices";
  c.rules_dir = HEARTH_SOURCE_DIR "/rules";
  diagnostics d;
  auto defs = app::load_definitions(c, d);
  for (const auto& x : d)
    UNSCOPED_INFO(x.text());
  REQUIRE(d.empty());
  return defs;
}

/// The message catalogue of the shipped definitions (messages/, type names, rule texts),
/// loaded once.
inline std::shared_ptr<const i18n::catalogue> shipped_messages() {
  static const auto words = shipped_definitions().messages;
  return words;
}

/// The shipped device types alone, loaded once.
inline std::shared_ptr<const catalog::catalog> shipped_types() {
  static const auto c = [] {
    diagnostics d;
    auto c = std::make_shared<const catalog::catalog>(
        catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d));
    REQUIRE(d.empty());
    return c;
  }();
  return c;
}

/// tests/data/registry, imported against the shipped types as `hearthd import` does.
inline registry::registry test_registry() {
  diagnostics d;
  registry::tables parsed;
  auto r = app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                      registry::registry{}, shipped_types().get(), parsed, d);
  for (const auto& x : d)
    UNSCOPED_INFO(x.text());
  REQUIRE(r);
  return *r;
}

}  // namespace hearth::test
