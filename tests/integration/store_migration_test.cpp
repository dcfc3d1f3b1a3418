// SPDX-License-Identifier: Apache-2.0
// Migration 4 (issue 8): readings move from a rowid table with a (device, ts) index to a
// WITHOUT ROWID table clustered on (hour, device, ts, metric). A database written by the
// previous schema keeps every reading, and a repeated reading is stored once.
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

using namespace hearth;
using namespace std::chrono_literals;

TEST_CASE("a version-3 database keeps its readings through the clustered-readings migration (5)",
          "[store][migration]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  const time_point t0{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};
  {
    store::sqlite_connection c(db);
    // The readings part of schema version 3, as migration 1 made it, and its alerts and
    // unknown_devices tables (which later migrations index).
    c.exec(
        "CREATE TABLE alerts (id INTEGER PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, "
        "priority INTEGER NOT NULL, state TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at "
        "INTEGER NOT NULL, body TEXT NOT NULL);"
        "CREATE TABLE unknown_devices (external_id TEXT PRIMARY KEY, last_topic TEXT NOT NULL, "
        "first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL);"
        "CREATE TABLE device_keys (key INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE);"
        "CREATE TABLE readings (device INTEGER NOT NULL, metric INTEGER NOT NULL, ts INTEGER NOT "
        "NULL, value REAL NOT NULL);"
        "CREATE INDEX readings_by_device_time ON readings(device, ts);"
        "INSERT INTO device_keys VALUES (1, 'meter-3-502');");
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
