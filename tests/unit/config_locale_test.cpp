// SPDX-License-Identifier: Apache-2.0
// The `locale:` key (the language of what hearthd publishes) and the message catalogue
// the daemon runs on.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "support/config_support.hpp"

namespace {
using namespace hearth;
namespace fs = std::filesystem;
}  // namespace

TEST_CASE("hearthd publishes in zh-CN unless the config names another locale", "[config][i18n]") {
  diagnostics d;
  auto c = test::parse_config_with("", d);
  REQUIRE(c);
  CHECK(c->locale == "zh-CN");
  auto en = test::parse_config_with("locale: en\n", d);
  REQUIRE(en);
  CHECK(en->locale == "en");
  for (const char* bad : {"locale: fr\n", "locale: zh\n", "locale: [en]\n"}) {
    diagnostics e;
    CHECK_FALSE(test::parse_config_with(bad, e));
    REQUIRE_FALSE(e.empty());
    CHECK_THAT(e.front().text(), Catch::Contains("'locale' must be"));
  }
}

TEST_CASE("the catalogue holds the product's words, each type's name and each rule's texts",
          "[config][i18n]") {
  app::config c;
  c.devices_dir = HEARTH_SOURCE_DIR "/devices";
  c.rules_dir = HEARTH_SOURCE_DIR "/rules";
  diagnostics d;
  auto defs = app::load_definitions(c, d);
  REQUIRE(d.empty());
  const auto& w = *defs.messages;
  CHECK(w.get("zh-CN", "device_type.z2m.smoke-detector.name") == "烟雾报警器");
  CHECK(w.get("en", "device_type.z2m.smoke-detector.name") == "smoke alarm");
  CHECK(w.get("zh-CN", "rule.sos-pressed.title") == "{place} SOS 呼救");
  CHECK(defs.rules.front().title == defs.rules.front().title_text.str("zh-CN"));
}

TEST_CASE("a device type without a name in each language is refused with file:line",
          "[config][i18n]") {
  const auto dir = fs::temp_directory_path() / "hearth-i18n-nameless";
  fs::remove_all(dir);
  fs::create_directories(dir / "devices");
  fs::create_directories(dir / "rules");
  std::ofstream(dir / "devices/x.button.yaml")
      << "# a button\ntype: x.button\ntransport: zigbee2mqtt\n"
         "fields: [{path: action, metric: sos.pressed, map: {sos: true}}]\n";
  std::ofstream(dir / "devices/y.button.yaml")
      << "type: y.button\nname: {zh-CN: 按键}\ntransport: zigbee2mqtt\n"
         "fields: [{path: action, metric: sos.pressed, map: {sos: true}}]\n";
  app::config c;
  c.devices_dir = (dir / "devices").string();
  c.rules_dir = (dir / "rules").string();
  diagnostics d;
  (void)app::load_definitions(c, d);
  fs::remove_all(dir);
  REQUIRE(d.size() == 2);  // the broken type is left out, so it is not also "nameless"
  std::vector<std::string> got;
  for (const auto& x : d)
    got.push_back(x.text());
  std::sort(got.begin(), got.end());
  CHECK(
      got[0].ends_with("/devices/x.button.yaml:2: device type 'x.button' needs a 'name' in "
                       "each language, the words operators read (e.g. name: {zh-CN: "
                       "烟雾报警器, en: smoke alarm})"));
  CHECK(got[1].ends_with("/devices/y.button.yaml:2: 'name' has no en text"));
}
