// SPDX-License-Identifier: Apache-2.0
// Registry CSV import: every bad row names file:line:column; any error imports nothing.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <compare>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "app/definitions.hpp"
#include "catalog/device_type.hpp"
#include "registry/registry.hpp"
#include "store/store.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
namespace fs = std::filesystem;

const std::string k_broken = HEARTH_TEST_DATA "/broken-registry/";

struct expectation {
  const char* file;
  int line, column;
  const char* message;
};

// clang-format off
const expectation k_expected[] = {
  {"unknown-header", 1, 0,
   "unknown header 'household_id,building,unit': expected the columns of households, residents, devices or buildings (docs/registry.md)"},
  {"wrong-column-count", 3, 0, "3 columns, expected 4"},
  {"empty-file", 1, 0, "the file is empty; a header row is required"},
  {"unterminated-quote", 2, 0, "unterminated quoted field"},
  {"empty-device-id", 2, 1, "device_id must not be empty"},
  {"bad-birth-year", 2, 4, "birth_year '19x1' is not a year"},
  {"bad-lives-alone", 2, 5, "lives_alone 'sometimes' must be true or false"},
  {"bad-tilt-limit", 2, 3, "tilt_limit_permille 'four' is not a non-negative number"},
  {"zero-tilt-limit", 2, 3, "tilt_limit_permille must be greater than 0"},
  {"building-device-without-building", 2, 5, "building must be set when household_id is empty"},
  {"unknown-household", 2, 4, "household_id 'H-9-101' is not a registered household"},
  {"resident-unknown-household", 2, 2, "household_id 'H-9-999' is not a registered household"},
  {"duplicate-external-id", 2, 2, "external_id '0x00158D0008A1B2C3' is already used by device sos-3-502"},
  {"unknown-device-type", 2, 3, "type 'z2m.panic-button' is not a known device type"},
  // The same id twice in one import: before, the later row silently replaced the earlier.
  {"duplicate-device-id", 3, 1, "device_id 'sos-3-503' is already defined at " HEARTH_TEST_DATA "/broken-registry/duplicate-device-id.csv:2"},
  {"duplicate-household-id", 3, 1, "household_id 'H-3-601' is already defined at " HEARTH_TEST_DATA "/broken-registry/duplicate-household-id.csv:2"},
  {"duplicate-resident-id", 3, 1, "resident_id 'R-2001' is already defined at " HEARTH_TEST_DATA "/broken-registry/duplicate-resident-id.csv:2"},
};
// clang-format on
}  // namespace

TEST_CASE("the sample registry imports cleanly, including a Zigbee2MQTT bridge", "[registry]") {
  const auto r = test::test_registry();
  CHECK(r.all().households.size() == 2);
  CHECK(r.all().residents.size() == 2);
  const auto* bridge = r.find_device_by_external_id("zigbee2mqtt/bridge");
  REQUIRE(bridge);
  CHECK(bridge->type == "z2m.bridge");
  CHECK(bridge->household_id.empty());
  CHECK(r.find_device_by_external_id("24e124710b423527")->id ==
        "tilt-b3-ne");  // DevEUIs in either case
}

TEST_CASE("each broken registry CSV gives one file:line:column: message", "[registry]") {
  const auto base = test::test_registry();
  for (const auto& e : k_expected) {
    DYNAMIC_SECTION(e.file) {
      const auto file = k_broken + e.file + ".csv";
      diagnostics d;
      registry::tables parsed;
      auto r = app::check_registry_import({file}, base, test::shipped_types().get(), parsed, d);
      for (const auto& x : d)
        UNSCOPED_INFO(x.text());
      CHECK_FALSE(r);
      REQUIRE(d.size() == 1);
      CHECK(d[0].file == file);
      CHECK(d[0].line == e.line);
      CHECK(d[0].column == e.column);
      CHECK(d[0].message == e.message);
    }
  }
}

TEST_CASE("every file in broken-registry/ has an expectation", "[registry]") {
  std::set<std::string> on_disk, expected;
  for (const auto& e : fs::directory_iterator(k_broken))
    on_disk.insert(e.path().stem().string());
  for (const auto& e : k_expected)
    expected.insert(e.file);
  CHECK(on_disk == expected);
}

TEST_CASE("CSV text: quotes, doubled quotes, a BOM, CRLF and blank lines are handled",
          "[registry]") {
  registry::tables t;
  diagnostics d;
  registry::parse_csv_text(
      "\xEF\xBB\xBFhousehold_id,building,unit,address\r\n"
      "H-1,B1,101,\"Building 1, Unit 101 \"\"East\"\"\"\r\n"
      "\r\n"
      "H-2,B1,102,\"two\nlines\"\n"
      "H-3,B1,103,plain\n",
      "households.csv", t, d);
  for (const auto& x : d)
    UNSCOPED_INFO(x.text());
  REQUIRE(d.empty());
  REQUIRE(t.households.size() == 3);
  CHECK(t.households[0].address == "Building 1, Unit 101 \"East\"");
  CHECK(t.households[1].address == "two\nlines");
  CHECK(t.sources.at("households:H-3").line == 6);  // the quoted newline counts
}

TEST_CASE("a bad row anywhere means nothing of the import is kept: all or nothing", "[registry]") {
  // A good households file and a devices file with one good and one bad row.
  const auto dir = fs::temp_directory_path() / fmt::format("hearth-registry-{}", ::getpid());
  fs::create_directories(dir);
  {
    std::ofstream(dir / "households.csv")
        << "household_id,building,unit,address\nH-7-1,B7,1,Unit 1\n";
    std::ofstream(dir / "devices.csv")
        << "device_id,external_id,type,household_id,building,location\n"
           "sos-7-1,0x01,z2m.sos-button,H-7-1,B7,hall\n"
           "sos-7-2,0x02,z2m.sos-buton,H-7-1,B7,hall\n";
  }
  const auto db = (dir / "hearth.db").string();
  store::store st(db);
  diagnostics d;
  registry::tables parsed;
  auto r = app::check_registry_import(app::registry_files(dir.string()), st.load_registry(),
                                      test::shipped_types().get(), parsed, d);
  CHECK_FALSE(r);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() ==
        (dir / "devices.csv").string() + ":3:3: type 'z2m.sos-buton' is not a known device type");
  // The callers (import, start, SIGHUP) save only a checked import: the store is untouched.
  CHECK(st.load_registry().all().households.empty());
  CHECK(st.load_registry().all().devices.empty());
  fs::remove_all(dir);
}

TEST_CASE("registry look-ups: by id, by external id in any case, and residents in import order",
          "[registry]") {
  registry::tables t;
  t.households = {{"H-2", "B1", "102", "two"}, {"H-1", "B1", "101", "one"}};
  t.residents = {{"R-3", "H-1", "Third", 1940, true, "", "", "", "sw-1"},
                 {"R-1", "H-2", "First", 1950, false, "", "", "", "sw-2"},
                 {"R-2", "H-1", "Second", 1945, false, "", "", "", "sw-1"}};
  t.devices = {{"sos-1", "0x00158D0008A1B2C3", "z2m.sos-button", "H-1", "B1", "bedroom"},
               {"meter-1", "a84041000181c2d1", "lora.water-meter", "H-1", "B1", "utility"}};
  t.buildings = {{"B1", 18, 4}};
  const registry::registry r(t);
  REQUIRE(r.find_household("H-1"));
  CHECK(r.find_household("H-1")->address == "one");
  CHECK_FALSE(r.find_household("H-3"));
  CHECK_FALSE(r.find_household(""));
  CHECK(r.find_resident("R-2")->name == "Second");
  CHECK(r.find_building("B1")->height_m == 18);
  CHECK(r.find_device("meter-1")->external_id == "a84041000181c2d1");
  CHECK_FALSE(r.find_device("meter-2"));
  for (const char* ext : {"0x00158d0008a1b2c3", "0X00158D0008A1B2C3", "0x00158D0008A1B2C3"})
    CHECK(r.find_device_by_external_id(ext)->id == "sos-1");
  CHECK(r.find_device_by_external_id("A84041000181C2D1")->id == "meter-1");
  CHECK_FALSE(r.find_device_by_external_id("0x00158d0008a1b2c"));
  std::vector<std::string> of_h1;
  for (const auto* p : r.residents_of("H-1"))
    of_h1.emplace_back(p->id);
  CHECK(of_h1 == std::vector<std::string>{"R-3", "R-2"});
  CHECK(r.residents_of("H-9").empty());
  // Entries keep import order; a copy shares the text, which outlives the original.
  std::optional<registry::registry> original(r);
  const registry::registry copy = *original;
  original.reset();
  CHECK(copy.all().households[0].id == "H-2");
  CHECK(copy.all().devices[1].location == "utility");
  CHECK(copy.find_device_by_external_id("0x00158d0008a1b2c3")->household_id == "H-1");
}

TEST_CASE("a device's household: its devices and residents, found from the device itself",
          "[registry]") {
  registry::tables t;
  t.households = {{"H-2", "B1", "502", ""}, {"H-1", "B1", "501", ""}, {"H-3", "B1", "503", ""}};
  t.residents = {{"R-3", "H-1", "Third", 1940, true, "", "", "", "sw-1"},
                 {"R-1", "H-2", "First", 1950, false, "", "", "", "sw-2"},
                 {"R-2", "H-1", "Second", 1945, false, "", "", "", "sw-1"}};
  t.devices = {{"door-2", "d2", "z2m.door", "H-2", "B1", "entrance"},
               {"sos-1", "s1", "z2m.sos-button", "H-1", "B1", "bedroom"},
               {"tilt-1", "t1", "tts.tilt-sensor", "", "B1", "roof"},
               {"meter-3", "m3", "lora.water-meter", "H-3", "B1", "utility"},
               {"meter-1", "m1", "lora.water-meter", "H-1", "B1", "utility"}};
  t.buildings = {{"B1", 18, 4}};
  const registry::registry r(t);
  const auto ids = [](const auto& picked) {
    std::vector<std::string> out;
    for (const auto* e : picked)
      out.emplace_back(e->id);
    return out;
  };
  using list = std::vector<std::string>;
  // Every device: the same entries, in the same order, as the look-up by household id.
  for (const auto& d : r.all().devices) {
    INFO(d.id.view());
    CHECK(ids(r.devices_beside(d)) == ids(r.devices_of(d.household_id)));
    CHECK(ids(r.residents_with(d)) == ids(r.residents_of(d.household_id)));
  }
  const auto& sos = *r.find_device("sos-1");
  CHECK(ids(r.devices_beside(sos)) == list{"sos-1", "meter-1"});
  CHECK(ids(r.residents_with(sos)) == list{"R-3", "R-2"});
  CHECK(ids(r.residents_with(*r.find_device("meter-3"))).empty());  // nobody lives there yet
  CHECK(r.devices_beside(*r.find_device("tilt-1")).empty());  // the building's, no household's
  CHECK(r.residents_with(*r.find_device("tilt-1")).empty());
  // A device of another snapshot is looked up by its household id.
  const registry::registry other(t);
  CHECK(ids(r.residents_with(*other.find_device("door-2"))) == list{"R-1"});
  CHECK(ids(r.devices_beside(*other.find_device("meter-1"))) == list{"sos-1", "meter-1"});
}

TEST_CASE("a snapshot loaded entry by entry equals one built from rows, and owns its text",
          "[registry]") {
  registry::tables t;
  t.households = {{"H-1", "B1", "101", "一号"}, {"H-2", "B1", "102", "two"}};
  t.buildings = {{"B1", 18, 4}};
  t.residents = {{"R-1", "H-1", "王秀英", 1941, true, "+86-000", "女儿", "+86-001", "sw-lu"},
                 {"R-2", "H-2", "Li", 1950, false, "", "", "", "sw-lu"}};
  t.devices = {{"meter-1", "A84041000181C2D1", "lora.water-meter", "H-2", "B1", "utility"},
               {"sos-1", "0x00158d0008a1b2c3", "z2m.sos-button", "H-1", "B1", "卧室"}};
  const registry::registry rows(t);
  registry::registry::loader into;
  // Each entry's text lives in a buffer that is overwritten before the next one, as a
  // statement's row is by its next step(): the snapshot must have copied it.
  std::vector<std::string> buf;
  auto v = [&](const std::string& s) -> std::string_view { return buf.emplace_back(s); };
  auto scrub = [&] {
    for (auto& s : buf)
      std::fill(s.begin(), s.end(), '#');
    buf.clear();
  };
  buf.reserve(16);
  for (const auto& h : t.households) {
    into.add(registry::household_view{v(h.id), v(h.building), v(h.unit), v(h.address)});
    scrub();
  }
  for (const auto& b : t.buildings) {
    into.add(registry::building_view{v(b.id), b.height_m, b.tilt_limit_permille});
    scrub();
  }
  for (const auto& r : t.residents) {
    into.add(registry::resident_view{v(r.id), v(r.household_id), v(r.name), r.birth_year,
                                     r.lives_alone, v(r.phone), v(r.emergency_contact),
                                     v(r.emergency_phone), v(r.social_worker)});
    scrub();
  }
  for (const auto& d : t.devices) {
    into.add(registry::device_view{v(d.id), v(d.external_id), v(d.type), v(d.household_id),
                                   v(d.building), v(d.location)});
    scrub();
  }
  const auto loaded = into.finish();
  CHECK(loaded.all().households == rows.all().households);
  CHECK(loaded.all().buildings == rows.all().buildings);
  CHECK(loaded.all().residents == rows.all().residents);
  CHECK(loaded.all().devices == rows.all().devices);
  // and it is indexed
  CHECK(loaded.find_device_by_external_id("a84041000181c2d1")->id == "meter-1");
  CHECK(loaded.find_resident("R-1")->name == "王秀英");
  REQUIRE(loaded.devices_of("H-1").size() == 1);
  CHECK(loaded.devices_of("H-1")[0]->location == "卧室");
  CHECK(loaded.residents_of("H-2").at(0)->id == "R-2");
}

TEST_CASE("a snapshot's text reads back every length exactly, in 8 bytes a field", "[registry]") {
  static_assert(sizeof(registry::text) == sizeof(void*));
  // The lengths either side of where the one-byte length prefix gives way to the long one.
  registry::registry::loader into;
  std::vector<std::string> locations;
  for (const std::size_t n : {0, 1, 254, 255, 256, 300, 70000})
    locations.push_back(std::string(n, 'x'));
  locations.push_back("卧室");
  into.add(registry::household_view{"H-1", "B1", "101", ""});
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const auto id = "d-" + std::to_string(i);
    into.add(registry::device_view{id, "ext-" + std::to_string(i), "z2m.sos-button", "H-1", "B1",
                                   locations[i]});
  }
  const auto r = into.finish();
  REQUIRE(r.all().devices.size() == locations.size());
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const registry::text t = r.all().devices[i].location;
    CHECK(t.size() == locations[i].size());
    CHECK(t.empty() == locations[i].empty());
    CHECK(t == std::string_view(locations[i]));
    CHECK(std::string(t.view()) == locations[i]);
    CHECK(fmt::format("{}", t) == locations[i]);
  }
  // An empty field and a default text read alike.
  const registry::text none;
  CHECK(none.empty());
  CHECK(none.size() == 0);
  CHECK(r.all().households[0].address == none);
  // Equality and order are the characters', against text and views alike.
  const auto& d0 = r.all().devices[0];
  const auto& d1 = r.all().devices[1];
  CHECK(d0.household_id == d1.household_id);
  CHECK(d0.id != d1.id);
  CHECK(d0.id < d1.id);
  CHECK(d1.id > std::string_view("d-0"));
  CHECK((d1.location <=> std::string_view("x")) == std::strong_ordering::equal);
  CHECK(d1.location != std::string_view("y"));
  // A snapshot's entry equals the view it was loaded from, field by field.
  CHECK(d1 == registry::device_view{"d-1", "ext-1", "z2m.sos-button", "H-1", "B1", "x"});
  CHECK_FALSE(d1 == registry::device_view{"d-1", "ext-1", "z2m.sos-button", "H-1", "B2", "x"});
}

TEST_CASE("a merge upserts in place, appends new ids, and the later of a repeated id wins",
          "[registry]") {
  registry::tables t;
  t.households = {{"H-1", "B1", "101", "one"}, {"H-2", "B1", "102", "two"}};
  t.devices = {{"meter-1", "ext-1", "lora.water-meter", "H-1", "B1", "utility"},
               {"meter-2", "ext-2", "lora.water-meter", "H-2", "B1", "utility"}};
  const registry::registry base(t);
  registry::tables update;
  update.households = {{"H-3", "B2", "201", "three"}};
  update.devices = {{"meter-1", "ext-1b", "lora.water-meter", "H-3", "B2", "kitchen"},
                    {"meter-3", "EXT-3", "lora.water-meter", "H-3", "B2", "utility"},
                    {"meter-3", "ext-3", "lora.water-meter", "H-3", "B2", "hall"}};
  diagnostics d;
  const auto r = base.merged(update, d);
  CHECK(d.empty());
  REQUIRE(r.all().devices.size() == 3);
  CHECK(r.all().devices[0].external_id == "ext-1b");
  CHECK(r.all().devices[2].location == "hall");
  CHECK(r.find_device("meter-3")->location == "hall");
  CHECK_FALSE(r.find_device_by_external_id("ext-1"));
  CHECK(r.find_device_by_external_id("EXT-1B")->id == "meter-1");
  CHECK(r.find_household("H-3")->building == "B2");
  CHECK(base.find_device("meter-1")->external_id == "ext-1");  // the base is unchanged

  // External ids that differ only in case are one id: every later user is reported.
  registry::tables clash;
  clash.devices = {{"meter-4", "EXT-2", "lora.water-meter", "H-1", "B1", "utility"},
                   {"meter-5", "Ext-2", "lora.water-meter", "H-1", "B1", "utility"}};
  diagnostics d2;
  (void)base.merged(clash, d2);
  REQUIRE(d2.size() == 2);
  CHECK(d2[0].message == "external_id 'EXT-2' is already used by device meter-2");
  CHECK(d2[1].message == "external_id 'Ext-2' is already used by device meter-2");
}

TEST_CASE("a device given in two files of one import is refused, naming both places",
          "[registry]") {
  // The SOS button's row, and a second devices file that reuses its id for a meter: the
  // later row replaced the button, whose presses then came from an "unregistered" device.
  const auto dir = fs::temp_directory_path() / fmt::format("hearth-dup-{}", ::getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "devices-b.csv")
      << "device_id,external_id,type,household_id,building,location\n"
         "water-3-503,a84041000181c0de,lora.water-meter,H-3-503,B3,kitchen\n"
         "sos-3-502,a84041000181c0df,lora.water-meter,H-3-502,B3,kitchen\n";
  diagnostics d;
  registry::tables parsed;
  auto files = app::registry_files(HEARTH_TEST_DATA "/registry");
  files.push_back((dir / "devices-b.csv").string());
  auto r = app::check_registry_import(files, registry::registry{}, test::shipped_types().get(),
                                      parsed, d);
  fs::remove_all(dir);
  CHECK_FALSE(r);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == (dir / "devices-b.csv").string() +
                           ":3:1: device_id 'sos-3-502' is already defined at " HEARTH_TEST_DATA
                           "/registry/devices.csv:2");
}
