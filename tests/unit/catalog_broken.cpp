// SPDX-License-Identifier: Apache-2.0
// tests/data/broken-devices/ holds one deliberately broken definition per defect. Each gives
// exactly one diagnostic, at the right line, in plain words: loading first, then the golden
// examples (as `hearthd check` and `hearthd devices test` do).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "catalog/device_type.hpp"
#include "normalize/examples.hpp"

namespace {
using namespace hearth;
namespace fs = std::filesystem;

const std::string k_dir = HEARTH_TEST_DATA "/broken-devices/";

struct expectation {
  const char* file;
  int line;
  const char* message;
};

// clang-format off
const expectation k_expected[] = {
  {"unknown-key", 5, "unknown key 'report_intervall' in device type (did you mean 'report_interval'?)"},
  {"misspelt-required-key", 11, "unknown key 'metirc' in field mapping (did you mean 'metric'?)"},
  {"duplicate-key", 6, "key 'report_interval' is given twice in device type"},
  {"wrong-type-boolean", 6, "'life_safety' must be true or false, not 'sometimes'"},
  {"wrong-type-fields", 7, "'fields' must be a list of field mappings"},
  {"bad-duration", 5, "'report_interval' must be a duration like 90s, 15m or 12h, not 'often'"},
  {"bad-path", 10, "bad path 'battery..level': use dotted keys like 'a.b'"},
  {"unknown-metric", 11, "unknown metric 'device.battery'"},
  {"unknown-unit", 12, "unknown unit 'percent'"},
  {"unit-mismatch", 12, "unit 'mm' does not convert to device.battery_pct (%)"},
  {"range-inverted", 12, "'range' min is greater than max"},
  {"bad-map-value", 9, "map value 'yes-please' must be a number or a boolean"},
  {"bad-transport", 3, "unknown transport 'lorawan': use zigbee2mqtt, chirpstack, tts, native or json"},
  {"json-without-topic", 2, "a json device type needs a 'topic' pattern, e.g. 'nbiot/watermeter/{external_id}/report'"},
  {"event-time-on-zigbee", 6, "'event_time' is for the json transport; zigbee2mqtt fixes where it is"},
  {"event-time-bad-format", 8, "unknown time format 'unix': use rfc3339, epoch_s or epoch_ms"},
  {"battery-volts-without-curve", 12, "a battery voltage in V needs 'empty' and 'full' (the voltages of 0 % and 100 %)"},
  {"battery-volts-on-other-metric", 12, "unit 'V' is a battery voltage: it maps to device.battery_pct, not gas.lel_pct"},
  {"battery-curve-inverted", 14, "'full' (3000) must be above 'empty' (3600), both 0 or more"},
  {"battery-curve-without-volts", 9, "'empty' and 'full' are battery voltages: they go with unit V or mV on device.battery_pct"},
  {"missing-transport", 2, "device type: missing required key 'transport'"},
  {"bad-role", 6, "unknown role 'gateway': use device or bridge"},
  {"topic-without-external-id", 4, "the topic has no {external_id} segment and no 'external_id' payload path is set"},
  {"topic-with-hash", 4, "'topic' must not use '#': one device per topic level"},
  {"no-fields", 2, "a device type needs at least one entry in 'fields'"},
  {"native-with-fields", 6, "a native device type carries canonical metrics and takes no 'fields'"},
  {"bridge-with-fields", 7, "a bridge takes no 'fields': its reading is device.online from its state topic"},
  {"counter-wrap-without-total", 6,
   "'counter_wrap' needs a field mapped to a counter (water.total_l, power.total_kwh)"},
  {"frame-on-zigbee", 7, "'frame' decoding is for LoRaWAN transports (chirpstack, tts)"},
  {"frame-bit-out-of-range", 9, "'bit' must be 0..7"},
  {"frame-unknown-type", 8, "unknown frame field type 'u24le'"},
  {"frame-field-twice", 9, "frame field 'total_l' is defined twice"},
  {"frame-negative-offset", 9, "'offset' must not be negative"},
  {"name-mismatch", 2, "type 'z2m.sos-button' must match the file name 'name-mismatch'"},
  {"not-a-mapping", 2, "device type must be a mapping"},
  {"yaml-syntax", 16, "YAML syntax: end of map flow not found"},
  {"example-unknown-metric", 15, "unknown metric 'sos.press'"},
  {"example-without-payload", 13, "example: missing required key 'payload'"},
  {"example-readings-and-rejected", 15,
   "an example has 'readings' or 'rejected', not both: a rejected message produces no readings"},
  {"example-mismatch", 13,
   "example 'emergency press' does not match:\n- device.battery_pct: 90\n+ device.battery_pct: 92"},
  {"example-missing-reading", 13,
   "example 'emergency press' does not match:\n- (no device.battery_pct reading)\n+ device.battery_pct: 92"},
  {"example-event-time-mismatch", 12,
   "example 'a late report' does not match:\n- event_time: 2026-11-20T07:00:00Z\n+ event_time: 2026-11-20T06:50:00Z"},
  {"example-wrong-rejection", 16,
   "example 'truncated payload' does not match:\n- rejected: missing-field\n"
   "+ rejected: malformed-json (not valid JSON: incomplete JSON)"},
};
// clang-format on

/// What `hearthd check` reports for one file: load diagnostics, else example mismatches.
diagnostics check_one(const std::string& file) {
  diagnostics d;
  auto c = catalog::catalog::load_files({file}, d);
  for (const auto& t : c.types()) {
    auto ex = normalize::run_examples(*t);
    d.insert(d.end(), ex.begin(), ex.end());
  }
  return d;
}
}  // namespace

TEST_CASE("each broken device definition gives one precise file:line: message", "[catalog]") {
  for (const auto& e : k_expected) {
    DYNAMIC_SECTION(e.file) {
      const auto file = k_dir + e.file + ".yaml";
      const auto d = check_one(file);
      for (const auto& x : d)
        UNSCOPED_INFO(x.text());
      REQUIRE(d.size() == 1);
      CHECK(d[0].file == file);
      CHECK(d[0].line == e.line);
      CHECK(d[0].message == e.message);
      CHECK(d[0].text() == fmt::format("{}:{}: {}", file, e.line, e.message));
    }
  }
}

TEST_CASE("every file in broken-devices/ has an expectation, and no expectation lacks its file",
          "[catalog]") {
  std::set<std::string> on_disk, expected;
  for (const auto& e : fs::directory_iterator(k_dir))
    on_disk.insert(e.path().stem().string());
  for (const auto& e : k_expected)
    expected.insert(e.file);
  CHECK(on_disk == expected);
}

TEST_CASE("a folder with broken files keeps the good ones and reports every broken one",
          "[catalog]") {
  diagnostics d;
  auto c = catalog::catalog::load_dir(k_dir, d);
  // The example-* mismatch files load (their examples fail later); the rest do not.
  std::set<std::string> loaded;
  for (const auto& t : c.types())
    loaded.insert(t->name);
  CHECK(loaded == std::set<std::string>{"example-event-time-mismatch", "example-mismatch",
                                        "example-missing-reading", "example-wrong-rejection"});
  CHECK(d.size() == std::size(k_expected) - loaded.size());
}
