// SPDX-License-Identifier: Apache-2.0
#include "store/schema.hpp"

#include <fmt/format.h>

#include <iterator>

namespace hearth::store {
namespace {

/// SQLite: numbered migrations. Append only: a released migration is never edited.
const char* const k_sqlite_migrations[] = {
    // 1: the walking skeleton
    R"sql(
CREATE TABLE households (household_id TEXT PRIMARY KEY, building TEXT NOT NULL, unit TEXT, address TEXT);
CREATE TABLE residents (resident_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, name TEXT NOT NULL,
  birth_year INTEGER NOT NULL, lives_alone INTEGER NOT NULL, phone TEXT, emergency_contact TEXT,
  emergency_phone TEXT, social_worker TEXT);
CREATE TABLE devices (device_id TEXT PRIMARY KEY, external_id TEXT NOT NULL, type TEXT NOT NULL,
  household_id TEXT, building TEXT, location TEXT);
CREATE TABLE buildings (building TEXT PRIMARY KEY, height_m REAL, tilt_limit_permille REAL);
CREATE TABLE device_keys (key INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE);
CREATE TABLE readings (device INTEGER NOT NULL, metric INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL);
CREATE INDEX readings_by_device_time ON readings(device, ts);
CREATE TABLE quarantine (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, topic TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB);
CREATE INDEX quarantine_by_time ON quarantine(received_at);
CREATE TABLE unknown_devices (external_id TEXT PRIMARY KEY, last_topic TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE alerts (id INTEGER PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, priority INTEGER NOT NULL,
  state TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX alerts_by_state ON alerts(state, priority, opened_at);
)sql",
    // 2: rule-engine state (issue 4): one JSON document per key ("d|device", "i|rule|device",
    // "a|resident")
    R"sql(
CREATE TABLE engine_state (key TEXT PRIMARY KEY, body TEXT NOT NULL);
)sql",
    // 3: alert lifecycle (issue 5): hash-chained audit trail, silences, away
    R"sql(
CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  alert_id TEXT NOT NULL, subject TEXT NOT NULL, note TEXT NOT NULL, channel TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX audit_by_alert ON audit(alert_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE silences (id INTEGER PRIMARY KEY, scope TEXT NOT NULL, target TEXT NOT NULL, created_at INTEGER NOT NULL,
  until INTEGER NOT NULL, reason TEXT NOT NULL, author TEXT NOT NULL, deleted_at INTEGER, deleted_by TEXT);
CREATE TABLE aways (resident_id TEXT PRIMARY KEY, since INTEGER NOT NULL, until INTEGER NOT NULL,
  reason TEXT NOT NULL, author TEXT NOT NULL);
)sql",
    // 4: users and their tokens (issue 6): password and token hashes only, never plain text
    R"sql(
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  kind TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER);
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
)sql",
    // 5: storage (issue 7/8): readings clustered on (hour bucket, device, ts, metric) in one
    // WITHOUT ROWID B-tree instead of a rowid table plus a (device, ts) index. Inserts from
    // interleaved devices touch the few pages of the current hour; a device's history is
    // one seek per hour; retention deletes from the front. A repeated reading (same device,
    // time and metric, e.g. a redelivered message) is stored once.
    R"sql(
CREATE TABLE readings_v4 (bucket INTEGER NOT NULL, device INTEGER NOT NULL, ts INTEGER NOT NULL,
  metric INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (bucket, device, ts, metric)) WITHOUT ROWID;
INSERT OR REPLACE INTO readings_v4(bucket, device, ts, metric, value)
  SELECT ts / 3600000, device, ts, metric, value FROM readings;
DROP TABLE readings;
ALTER TABLE readings_v4 RENAME TO readings;
)sql",
    // 6: the supervisor's desk (issue 16): alerts by period, acknowledged handovers, users
    // that can be disabled and given an extra caseload
    R"sql(
CREATE INDEX alerts_by_opened ON alerts(opened_at);
CREATE INDEX alerts_by_update ON alerts(state, updated_at);
CREATE TABLE handovers (id INTEGER PRIMARY KEY, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL, acknowledged_at INTEGER NOT NULL, note TEXT NOT NULL);
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN caseload TEXT NOT NULL DEFAULT '';
)sql",
};

int sqlite_version(connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

}  // namespace

int latest_schema_version() {
  return static_cast<int>(std::size(k_sqlite_migrations));
}

int schema_version(connection& c) {
  return sqlite_version(c);
}

int migrate(connection& c) {
  const int have = schema_version(c);
  const int want = latest_schema_version();
  if (have > want)
    throw store_error(errc::error,
                      fmt::format("database schema version {} is newer than this hearthd ({}); "
                                  "refusing to touch it",
                                  have, want));
  for (int v = have; v < want; ++v) {
    transaction tx(c);
    c.exec(k_sqlite_migrations[v]);
    c.exec(fmt::format("PRAGMA user_version={}", v + 1));
    tx.commit();
  }
  return want;
}

}  // namespace hearth::store
