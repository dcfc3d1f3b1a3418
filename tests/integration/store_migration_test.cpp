// SPDX-License-Identifier: Apache-2.0
// The migrations that rebuild tables. 5 (issue 8): readings move from a rowid table with a
// (device, ts) index to a WITHOUT ROWID table clustered on (hour, device, ts, metric); a
// database written by the previous schema keeps every reading, and a repeated reading is
// stored once. 10 (issue 12): the registry's four tables become WITHOUT ROWID, every row
// and field kept.
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

/// The registry's tables as migration 1 made them.
constexpr const char* k_registry_v1 =
    "CREATE TABLE households (household_id TEXT PRIMARY KEY, building TEXT NOT NULL, unit TEXT, "
    "address TEXT);"
    "CREATE TABLE residents (resident_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, name TEXT "
    "NOT NULL, birth_year INTEGER NOT NULL, lives_alone INTEGER NOT NULL, phone TEXT, "
    "emergency_contact TEXT, emergency_phone TEXT, social_worker TEXT);"
    "CREATE TABLE devices (device_id TEXT PRIMARY KEY, external_id TEXT NOT NULL, type TEXT NOT "
    "NULL, household_id TEXT, building TEXT, location TEXT);"
    "CREATE TABLE buildings (building TEXT PRIMARY KEY, height_m REAL, tilt_limit_permille REAL);";

/// Schema version 3's other tables that later migrations touch: alerts and unknown_devices
/// (indexed by them), device_keys and readings (rebuilt by 5).
constexpr const char* k_v3_tables =
    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, "
    "priority INTEGER NOT NULL, state TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at "
    "INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE unknown_devices (external_id TEXT PRIMARY KEY, last_topic TEXT NOT NULL, "
    "first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE device_keys (key INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE readings (device INTEGER NOT NULL, metric INTEGER NOT NULL, ts INTEGER NOT "
    "NULL, value REAL NOT NULL);"
    "CREATE INDEX readings_by_device_time ON readings(device, ts);";

}  // namespace

TEST_CASE("a version-3 database keeps its readings through the clustered-readings migration (5)",
          "[store][migration]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  const time_point t0{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};
  {
    store::sqlite_connection c(db);
    // The readings part of schema version 3, as migration 1 made it, its alerts and
    // unknown_devices tables (which later migrations index) and its registry tables (which
    // migration 10 rebuilds).
    c.exec(k_registry_v1);
    c.exec(k_v3_tables);
    c.exec("INSERT INTO device_keys VALUES (1, 'meter-3-502');");
    auto ins = c.prepare("INSERT INTO readings VALUES (1, 0, ?1, ?2)");
    for (int i = 0; i < 100; ++i)
      ins.bind(1, (t0 + std::chrono::minutes(37 * i)).time_since_epoch().count())
          .bind(2, 1000.0 + i)
          .run();
    ins.bind(1, t0.time_since_epoch().count()).bind(2, 1000.0).run();  // a redelivery
    c.exec("PRAGMA user_version=3");
  }
  store::store st(db);
  CHECK(store::schema_version(st.db()) == store::latest_schema_version());
  const auto rows = st.readings("meter-3-502", t0, t0 + 24h * 30);
  REQUIRE(rows.size() == 100);
  CHECK(rows.front().value == 1000.0);
  CHECK(rows.back().value == 1099.0);
  CHECK(rows.back().ts == t0 + std::chrono::minutes(37 * 99));
  // A window inside one hour and across hours.
  CHECK(st.readings("meter-3-502", t0 + 10min, t0 + 80min).size() == 2);  // 37 and 74 min
}

TEST_CASE("a registry keeps every row and field through the WITHOUT ROWID rebuild (10)",
          "[store][migration]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  {
    store::sqlite_connection c(db);
    c.exec(k_registry_v1);
    c.exec(k_v3_tables);
    // Inserted out of id order, as an import over the years leaves them.
    c.exec(
        "INSERT INTO buildings VALUES ('B3', 54.5, 3.0), ('B1', NULL, NULL);"
        "INSERT INTO households VALUES ('H-3-502', 'B3', '502', '幸福路 3 号 502'),"
        "  ('H-1-101', 'B1', NULL, NULL);"
        "INSERT INTO residents VALUES ('R-00002', 'H-3-502', '王秀英', 1941, 1, '13800000002', "
        "  '王强', '13900000002', 'li.na'), ('R-00001', 'H-1-101', '张伟', 1950, 0, NULL, NULL, "
        "  NULL, NULL);"
        "INSERT INTO devices VALUES ('sos-3-502', '0x00158d0001a2b3c4', 'aqara-sos', 'H-3-502', "
        "  'B3', 'bedroom'), ('tilt-b1-ne', 'A84041000000000A', 'tts-tilt', NULL, 'B1', NULL);"
        "PRAGMA user_version=3");
  }
  store::store st(db);
  CHECK(store::schema_version(st.db()) == store::latest_schema_version());
  for (const char* table : {"households", "residents", "devices", "buildings"}) {
    auto q = st.db().prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1");
    q.bind(1, std::string(table));
    REQUIRE(q.step());
    INFO(table);
    CHECK(q.text(0).find("WITHOUT ROWID") != std::string::npos);
  }
  const auto r = st.load_registry();
  const auto& all = r.all();
  REQUIRE(all.households.size() == 2);
  REQUIRE(all.residents.size() == 2);
  REQUIRE(all.devices.size() == 2);
  REQUIRE(all.buildings.size() == 2);
  // In id order, every field kept (NULLs read as empty).
  CHECK(all.households[1] == registry::household_view{"H-3-502", "B3", "502", "幸福路 3 号 502"});
  CHECK(all.households[0] == registry::household_view{"H-1-101", "B1", "", ""});
  CHECK(all.residents[1] == registry::resident_view{"R-00002", "H-3-502", "王秀英", 1941, true,
                                                    "13800000002", "王强", "13900000002", "li.na"});
  CHECK(all.residents[0].id == "R-00001");
  CHECK_FALSE(all.residents[0].lives_alone);
  CHECK(all.devices[0] == registry::device_view{"sos-3-502", "0x00158d0001a2b3c4", "aqara-sos",
                                                "H-3-502", "B3", "bedroom"});
  CHECK(all.devices[1].id == "tilt-b1-ne");
  const auto* b3 = r.find_building("B3");
  REQUIRE(b3);
  CHECK(b3->height_m == 54.5);
  CHECK(b3->tilt_limit_permille == 3.0);
  CHECK(r.find_device_by_external_id("0x00158D0001A2B3C4"));
}
