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
    // 7: each console user's language (issue 15), beside the user rather than in its row
    R"sql(
CREATE TABLE user_settings (name TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
  locale TEXT NOT NULL);
)sql",
    // 8: high availability (issue 17): every alert transition numbered, so that a console
    // that lost its stream fetches what it missed; the lease table (used on PostgreSQL only,
    // kept here so that a version means the same tables on both backends).
    R"sql(
CREATE TABLE transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,
  alert_id TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX transitions_by_time ON transitions(at);
CREATE TABLE ha_lease (name TEXT PRIMARY KEY, epoch INTEGER NOT NULL UNIQUE, holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL, http TEXT NOT NULL DEFAULT '');
)sql",
    // 9: hardening (issue 18): unregistered devices are bounded, the ones seen longest ago
    // forgotten first; an index keeps that cheap during a flood of new ids
    R"sql(
CREATE INDEX unknown_devices_by_last_seen ON unknown_devices(last_seen);
)sql",
    // 10: start-up at a million devices (issue 12): the registry's tables become WITHOUT
    // ROWID, so that reading them in id order (as hearthd does at every start) walks one
    // B-tree instead of the primary-key index and then each row by its rowid. A row without
    // an id could never be looked up and is not carried over (hearthd never writes one).
    R"sql(
CREATE TABLE households_v10 (household_id TEXT NOT NULL PRIMARY KEY, building TEXT NOT NULL,
  unit TEXT, address TEXT) WITHOUT ROWID;
INSERT INTO households_v10 SELECT household_id, building, unit, address FROM households
  WHERE household_id IS NOT NULL;
DROP TABLE households;
ALTER TABLE households_v10 RENAME TO households;
CREATE TABLE residents_v10 (resident_id TEXT NOT NULL PRIMARY KEY, household_id TEXT NOT NULL,
  name TEXT NOT NULL, birth_year INTEGER NOT NULL, lives_alone INTEGER NOT NULL, phone TEXT,
  emergency_contact TEXT, emergency_phone TEXT, social_worker TEXT) WITHOUT ROWID;
INSERT INTO residents_v10 SELECT resident_id, household_id, name, birth_year, lives_alone, phone,
  emergency_contact, emergency_phone, social_worker FROM residents WHERE resident_id IS NOT NULL;
DROP TABLE residents;
ALTER TABLE residents_v10 RENAME TO residents;
CREATE TABLE devices_v10 (device_id TEXT NOT NULL PRIMARY KEY, external_id TEXT NOT NULL,
  type TEXT NOT NULL, household_id TEXT, building TEXT, location TEXT) WITHOUT ROWID;
INSERT INTO devices_v10 SELECT device_id, external_id, type, household_id, building, location
  FROM devices WHERE device_id IS NOT NULL;
DROP TABLE devices;
ALTER TABLE devices_v10 RENAME TO devices;
CREATE TABLE buildings_v10 (building TEXT NOT NULL PRIMARY KEY, height_m REAL,
  tilt_limit_permille REAL) WITHOUT ROWID;
INSERT INTO buildings_v10 SELECT building, height_m, tilt_limit_permille FROM buildings
  WHERE building IS NOT NULL;
DROP TABLE buildings;
ALTER TABLE buildings_v10 RENAME TO buildings;
)sql",
};

/// PostgreSQL: the same versions. Times are BIGINT milliseconds; ids come from identities and
/// sequences; readings are partitioned by day of `ts` (partitions are made by the writer as
/// rows arrive and dropped whole by retention, see sink_postgres.cpp).
const char* const k_pg_migrations[] = {
    // 1
    R"sql(
CREATE TABLE households (household_id TEXT PRIMARY KEY, building TEXT NOT NULL, unit TEXT, address TEXT);
CREATE TABLE residents (resident_id TEXT PRIMARY KEY, household_id TEXT NOT NULL, name TEXT NOT NULL,
  birth_year INTEGER NOT NULL, lives_alone INTEGER NOT NULL, phone TEXT, emergency_contact TEXT,
  emergency_phone TEXT, social_worker TEXT);
CREATE TABLE devices (device_id TEXT PRIMARY KEY, external_id TEXT NOT NULL, type TEXT NOT NULL,
  household_id TEXT, building TEXT, location TEXT);
CREATE TABLE buildings (building TEXT PRIMARY KEY, height_m DOUBLE PRECISION, tilt_limit_permille DOUBLE PRECISION);
CREATE TABLE device_keys (key BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL UNIQUE);
CREATE TABLE readings (device BIGINT NOT NULL, ts BIGINT NOT NULL, metric INTEGER NOT NULL,
  value DOUBLE PRECISION NOT NULL, PRIMARY KEY (device, ts, metric)) PARTITION BY RANGE (ts);
CREATE TABLE quarantine (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  received_at BIGINT NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
  payload BYTEA);
CREATE INDEX quarantine_by_time ON quarantine(received_at);
CREATE TABLE unknown_devices (external_id TEXT PRIMARY KEY, last_topic TEXT NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL);
CREATE TABLE alerts (id BIGINT PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, priority INTEGER NOT NULL,
  state TEXT NOT NULL, opened_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, body TEXT NOT NULL);
CREATE INDEX alerts_by_state ON alerts(state, priority, opened_at);
)sql",
    // 2
    R"sql(
CREATE TABLE engine_state (key TEXT PRIMARY KEY, body TEXT NOT NULL);
)sql",
    // 3
    R"sql(
CREATE TABLE audit (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  alert_id TEXT NOT NULL, subject TEXT NOT NULL, note TEXT NOT NULL, channel TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX audit_by_alert ON audit(alert_id, seq);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TABLE silences (id BIGINT PRIMARY KEY, scope TEXT NOT NULL, target TEXT NOT NULL, created_at BIGINT NOT NULL,
  until BIGINT NOT NULL, reason TEXT NOT NULL, author TEXT NOT NULL, deleted_at BIGINT, deleted_by TEXT);
CREATE TABLE aways (resident_id TEXT PRIMARY KEY, since BIGINT NOT NULL, until BIGINT NOT NULL,
  reason TEXT NOT NULL, author TEXT NOT NULL);
)sql",
    // 4
    R"sql(
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL);
CREATE TABLE tokens (hash TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  kind TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT);
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
)sql",
    // 5: readings have been partitioned since 1.
    "SELECT 1",
    // 6
    R"sql(
CREATE INDEX alerts_by_opened ON alerts(opened_at);
CREATE INDEX alerts_by_update ON alerts(state, updated_at);
CREATE TABLE handovers (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  from_ms BIGINT NOT NULL, to_ms BIGINT NOT NULL, acknowledged_by TEXT NOT NULL,
  acknowledged_at BIGINT NOT NULL, note TEXT NOT NULL);
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN caseload TEXT NOT NULL DEFAULT '';
)sql",
    // 7
    R"sql(
CREATE TABLE user_settings (name TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
  locale TEXT NOT NULL);
)sql",
    // 8
    R"sql(
CREATE TABLE transitions (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL,
  alert_id TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX transitions_by_time ON transitions(at);
CREATE TABLE ha_lease (name TEXT PRIMARY KEY, epoch BIGINT NOT NULL UNIQUE, holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL, http TEXT NOT NULL DEFAULT '');
INSERT INTO ha_lease (name, epoch, holder, expires_at) VALUES ('active', 0, '', 0);
CREATE SEQUENCE alert_ids;
SELECT setval('alert_ids', GREATEST((SELECT MAX(id) FROM alerts), 1), (SELECT MAX(id) FROM alerts) IS NOT NULL);
)sql",
    // 9
    R"sql(
CREATE INDEX unknown_devices_by_last_seen ON unknown_devices(last_seen);
)sql",
    // 10: SQLite's registry tables became WITHOUT ROWID; PostgreSQL has no rowid.
    "SELECT 1",
};
static_assert(std::size(k_pg_migrations) == std::size(k_sqlite_migrations),
              "a schema version means the same tables on both backends");

/// Migrations from several nodes starting at once take turns.
constexpr std::int64_t k_migration_lock = 0x6865617274'01;

int pg_version(connection& c) {
  c.exec("CREATE TABLE IF NOT EXISTS hearth_schema (version INTEGER NOT NULL)");
  auto st = c.prepare("SELECT COALESCE(MAX(version), 0) FROM hearth_schema");
  st.step();
  return static_cast<int>(st.int64(0));
}

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
  return c.dialect() == dialect::sqlite ? sqlite_version(c) : pg_version(c);
}

int migrate(connection& c) {
  const bool pg = c.dialect() == dialect::postgresql;
  const int want = latest_schema_version();
  auto refuse = [&](int have) {
    if (have > want)
      throw store_error(errc::error,
                        fmt::format("database schema version {} is newer than this hearthd ({}); "
                                    "refusing to touch it",
                                    have, want));
  };
  int have = schema_version(c);
  refuse(have);
  while (have < want) {
    transaction tx(c);
    if (pg) {
      c.prepare("SELECT pg_advisory_xact_lock(?1)").bind(1, k_migration_lock).run();
      have = pg_version(c);  // another node may have migrated meanwhile
      refuse(have);
      if (have >= want) break;
      c.exec(k_pg_migrations[have]);
      c.exec("DELETE FROM hearth_schema");
      c.prepare("INSERT INTO hearth_schema (version) VALUES (?1)").bind(1, have + 1).run();
    } else {
      c.exec(k_sqlite_migrations[have]);
      c.exec(fmt::format("PRAGMA user_version={}", have + 1));
    }
    tx.commit();
    ++have;
  }
  return want;
}

}  // namespace hearth::store
