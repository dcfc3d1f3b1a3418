// SPDX-License-Identifier: Apache-2.0
#include "store/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/time.hpp"

namespace hearth::store {
namespace {

std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}

/// Numbered migrations. Append only: a released migration is never edited.
const char* const k_migrations[] = {
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

std::int64_t bucket_of(std::int64_t ts_ms) {
  return ts_ms / k_bucket_ms;  // truncates like SQLite's integer division
}

}  // namespace

int schema_version(connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

int migrate(connection& c) {
  const int have = schema_version(c);
  const int want = static_cast<int>(std::size(k_migrations));
  if (have > want)
    throw store_error(SQLITE_ERROR,
                      fmt::format("database schema version {} is newer than this hearthd ({}); "
                                  "refusing to touch it",
                                  have, want));
  for (int v = have; v < want; ++v) {
    transaction tx(c);
    c.exec(k_migrations[v]);
    c.exec(fmt::format("PRAGMA user_version={}", v + 1));
    tx.commit();
  }
  return want;
}

// --- health ------------------------------------------------------------------------------

health::health(telemetry& t) : telemetry_(t) {
  telemetry_.set("hearth_store_healthy", {}, 1);
}

void health::failed(const std::string& part, const std::string& what) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = faults_.try_emplace(part, fault{what, wall_clock{}.now()});
  if (!fresh && it->second.what == what) return;
  it->second.what = what;
  fmt::print(stderr, "hearthd: store FAILING ({}): {}; retrying, nothing committed is lost\n", part,
             what);
  telemetry_.set("hearth_store_healthy", {}, 0);
}

void health::recovered(const std::string& part) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(part);
  if (it == faults_.end()) return;
  const auto secs = std::chrono::duration<double>(wall_clock{}.now() - it->second.since).count();
  fmt::print(stderr, "hearthd: store recovered ({}) after {:.1f} s\n", part, secs);
  faults_.erase(it);
  if (faults_.empty()) telemetry_.set("hearth_store_healthy", {}, 1);
}

bool health::ok() const {
  std::lock_guard lock(mutex_);
  return faults_.empty();
}

std::string health::detail() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [part, f] : faults_) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {} (since {})", part, f.what, format_rfc3339(f.since));
  }
  return out;
}

// --- start-up check and backup ----------------------------------------------------------------

std::string check_database_file(const std::string& path, bool full_check) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path == ":memory:" || !fs::exists(path, ec)) return {};
  if (fs::is_directory(path, ec)) return fmt::format("{} is a folder, not a database file", path);
  sqlite3* db = nullptr;
  // Read-only, so a damaged file is never touched (no WAL recovery is written back either).
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::string problem;
  auto ask = [&](const char* sql, std::string* first) {
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_ROW && first) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        *first = t ? t : "";
      }
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) problem = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    return rc == SQLITE_OK;
  };
  if (rc != SQLITE_OK) {
    problem = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  } else {
    std::string verdict;
    if (ask("SELECT count(*) FROM sqlite_schema", nullptr) &&
        ask(full_check ? "PRAGMA quick_check(1)" : "PRAGMA user_version", &verdict) && full_check &&
        verdict != "ok")
      problem = verdict;
  }
  sqlite3_close_v2(db);
  if (problem.empty() && rc == SQLITE_BUSY) return {};  // locked by a running peer: not damage
  return problem.empty() ? std::string() : fmt::format("{}: {}", path, problem);
}

std::string wal_note(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto wal = path + "-wal";
  const auto wal_size = fs::file_size(wal, ec);
  if (ec || wal_size == 0) return {};
  std::ifstream in(path, std::ios::binary);
  unsigned char header[18] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return {};
  std::uint32_t page = (header[16] << 8) | header[17];
  if (page == 1) page = 65536;
  if (page < 512) return {};
  if (wal_size >= 32 && (wal_size - 32) % (page + 24) == 0) return {};
  return fmt::format(
      "{} is {} bytes, not a whole number of {}-byte frames: it was cut short (a crash or a "
      "full disk); SQLite ignores the incomplete tail, so transactions in it are gone",
      wal, wal_size, page + 24);
}

void backup(const std::string& source, const std::string& dest, int pages_per_step) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dest, ec))
    throw store_error(SQLITE_CANTOPEN,
                      fmt::format("{} exists; a backup never overwrites a file", dest));
  connection src(source);
  sqlite3* out = nullptr;
  int rc = sqlite3_open_v2(dest.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = out ? sqlite3_errmsg(out) : sqlite3_errstr(rc);
    sqlite3_close(out);
    throw store_error(rc, fmt::format("cannot create {}: {}", dest, msg));
  }
  sqlite3_backup* b = sqlite3_backup_init(out, "main", src.raw(), "main");
  if (!b) {
    std::string msg = sqlite3_errmsg(out);
    sqlite3_close(out);
    fs::remove(dest, ec);
    throw store_error(SQLITE_ERROR, fmt::format("backup: {}", msg));
  }
  // A step holds a read lock on the source for `pages_per_step` pages only; between steps
  // the daemon writes freely. A write by another connection restarts the copy from the
  // start (SQLite's rule), so a busy daemon needs a few passes; BUSY/LOCKED just wait.
  do {
    rc = sqlite3_backup_step(b, pages_per_step);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  const std::string msg = sqlite3_errmsg(out);
  if (rc == SQLITE_DONE) {
    // The copy is a self-contained file: rollback journal mode, no -wal beside it.
    char* err = nullptr;
    rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
  sqlite3_close(out);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    fs::remove(dest, ec);
    throw store_error(rc, fmt::format("backup to {} failed: {}", dest, msg));
  }
}

// --- store ---------------------------------------------------------------------------------

store::store(const std::string& path) : db_(path) {
  // A file that is not a database fails here with SQLITE_NOTADB, before any write.
  migrate(db_);
}

void store::save_registry(const registry::tables& t) {
  transaction tx(db_);
  auto hh = db_.prepare(
      "INSERT INTO households VALUES (?1,?2,?3,?4) ON CONFLICT(household_id) DO UPDATE SET "
      "building=excluded.building, unit=excluded.unit, address=excluded.address");
  for (const auto& h : t.households)
    hh.bind(1, h.id).bind(2, h.building).bind(3, h.unit).bind(4, h.address).run();
  auto rs = db_.prepare(
      "INSERT INTO residents VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(resident_id) DO "
      "UPDATE SET "
      "household_id=excluded.household_id, name=excluded.name, birth_year=excluded.birth_year, "
      "lives_alone=excluded.lives_alone, phone=excluded.phone, "
      "emergency_contact=excluded.emergency_contact, "
      "emergency_phone=excluded.emergency_phone, social_worker=excluded.social_worker");
  for (const auto& r : t.residents)
    rs.bind(1, r.id)
        .bind(2, r.household_id)
        .bind(3, r.name)
        .bind(4, r.birth_year)
        .bind(5, r.lives_alone ? 1 : 0)
        .bind(6, r.phone)
        .bind(7, r.emergency_contact)
        .bind(8, r.emergency_phone)
        .bind(9, r.social_worker)
        .run();
  auto dv = db_.prepare(
      "INSERT INTO devices VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(device_id) DO UPDATE SET "
      "external_id=excluded.external_id, type=excluded.type, household_id=excluded.household_id, "
      "building=excluded.building, location=excluded.location");
  for (const auto& d : t.devices)
    dv.bind(1, d.id)
        .bind(2, d.external_id)
        .bind(3, d.type)
        .bind(4, d.household_id)
        .bind(5, d.building)
        .bind(6, d.location)
        .run();
  auto bd = db_.prepare(
      "INSERT INTO buildings VALUES (?1,?2,?3) ON CONFLICT(building) DO UPDATE SET "
      "height_m=excluded.height_m, tilt_limit_permille=excluded.tilt_limit_permille");
  for (const auto& b : t.buildings)
    bd.bind(1, b.id).bind(2, b.height_m).bind(3, b.tilt_limit_permille).run();
  tx.commit();
}

registry::tables store::load_registry() {
  registry::tables t;
  auto hh = db_.prepare(
      "SELECT household_id, building, unit, address FROM households ORDER BY household_id");
  while (hh.step())
    t.households.push_back({hh.text(0), hh.text(1), hh.text(2), hh.text(3)});
  auto rs = db_.prepare(
      "SELECT resident_id, household_id, name, birth_year, lives_alone, phone, emergency_contact, "
      "emergency_phone, social_worker FROM residents ORDER BY resident_id");
  while (rs.step())
    t.residents.push_back({rs.text(0), rs.text(1), rs.text(2), static_cast<int>(rs.int64(3)),
                           rs.int64(4) != 0, rs.text(5), rs.text(6), rs.text(7), rs.text(8)});
  auto dv = db_.prepare(
      "SELECT device_id, external_id, type, household_id, building, location FROM devices ORDER BY "
      "device_id");
  while (dv.step())
    t.devices.push_back({dv.text(0), dv.text(1), dv.text(2), dv.text(3), dv.text(4), dv.text(5)});
  auto bd = db_.prepare(
      "SELECT building, height_m, tilt_limit_permille FROM buildings ORDER BY building");
  while (bd.step())
    t.buildings.push_back({bd.text(0), bd.real(1), bd.real(2)});
  return t;
}

void store::save_alert(const alerts::alert& a) {
  auto st = db_.prepare(
      "INSERT INTO alerts VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(id) DO UPDATE SET "
      "state=excluded.state, priority=excluded.priority, updated_at=excluded.updated_at, "
      "body=excluded.body");
  st.bind(1, static_cast<std::int64_t>(std::stoll(a.id)))
      .bind(2, a.key)
      .bind(3, a.rule)
      .bind(4, a.priority)
      .bind(5, alerts::state_name(a.state))
      .bind(6, ms(a.opened_at))
      .bind(7, ms(a.updated_at));
  boost::json::object body = alerts::to_json(a).as_object();
  body["key"] = a.key;
  for (const auto& [k, v] : alerts::lifecycle_json(a))
    body[k] = v;  // tier and deadlines survive restart
  st.bind(8, boost::json::serialize(body)).run();
}

std::vector<alerts::alert> store::load_alerts(std::optional<alerts::state> s, std::size_t limit) {
  std::vector<alerts::alert> out;
  auto st =
      s ? db_.prepare(
              "SELECT body FROM alerts WHERE state=?1 ORDER BY priority, opened_at, id LIMIT ?2")
        : db_.prepare("SELECT body FROM alerts ORDER BY priority, opened_at, id LIMIT ?2");
  if (s) st.bind(1, alerts::state_name(*s));
  st.bind(2, static_cast<std::int64_t>(limit));
  while (st.step()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(st.text(0), ec);
    if (ec) continue;
    if (auto a = alerts::alert_from_json(v)) {
      if (const auto* k = v.as_object().if_contains("key"); k && k->is_string())
        a->key = k->as_string();
      out.push_back(std::move(*a));
    }
  }
  return out;
}

std::uint64_t store::max_alert_id() {
  auto st = db_.prepare("SELECT COALESCE(MAX(id), 0) FROM alerts");
  st.step();
  return static_cast<std::uint64_t>(st.int64(0));
}

void store::save_engine_state(const std::vector<engine::state_row>& rows) {
  transaction tx(db_);
  auto up = db_.prepare(
      "INSERT INTO engine_state VALUES (?1,?2) ON CONFLICT(key) DO UPDATE SET body=excluded.body");
  auto del = db_.prepare("DELETE FROM engine_state WHERE key=?1");
  for (const auto& r : rows) {
    if (r.json.empty())
      del.bind(1, r.key).run();
    else
      up.bind(1, r.key).bind(2, r.json).run();
  }
  tx.commit();
}

std::vector<engine::state_row> store::load_engine_state() {
  std::vector<engine::state_row> out;
  auto st = db_.prepare("SELECT key, body FROM engine_state ORDER BY key");
  while (st.step())
    out.push_back({st.text(0), st.text(1)});
  return out;
}

std::vector<unknown_device> store::unknown_devices() {
  std::vector<unknown_device> out;
  auto st = db_.prepare(
      "SELECT external_id, last_topic, first_seen, last_seen, count FROM unknown_devices ORDER BY "
      "last_seen DESC");
  while (st.step())
    out.push_back({st.text(0), st.text(1), at_ms(st.int64(2)), at_ms(st.int64(3)), st.int64(4)});
  return out;
}

std::vector<quarantine_row> store::quarantine(std::size_t limit) {
  std::vector<quarantine_row> out;
  auto st = db_.prepare(
      "SELECT received_at, topic, reason, detail, payload FROM quarantine ORDER BY id DESC LIMIT "
      "?1");
  st.bind(1, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back({at_ms(st.int64(0)), st.text(1), st.text(2), st.text(3), st.text(4)});
  return out;
}

std::vector<stored_reading> store::readings(const std::string& device_id, time_point since,
                                            time_point until, std::size_t limit) {
  std::vector<stored_reading> out;
  if (until <= since || limit == 0) return out;
  auto key = db_.prepare("SELECT key FROM device_keys WHERE device_id = ?1");
  key.bind(1, device_id);
  if (!key.step()) return out;
  const auto device = key.int64(0);
  // Clamp the hour range to what the table holds (MIN/MAX of the key's first column are one
  // seek each), then seek once per hour: (bucket, device) is the key's prefix.
  // Two statements: SQLite answers a lone MIN() or MAX() with one seek, both together
  // with a scan.
  auto first = db_.prepare("SELECT MIN(bucket) FROM readings");
  auto last = db_.prepare("SELECT MAX(bucket) FROM readings");
  if (!first.step() || first.is_null(0) || !last.step()) return out;
  const auto lo = std::max(bucket_of(ms(since)), first.int64(0));
  const auto hi = std::min(bucket_of(ms(until) - 1), last.int64(0));
  if (lo > hi) return out;
  auto st = db_.prepare(
      "WITH RECURSIVE b(x) AS (SELECT ?1 UNION ALL SELECT x + 1 FROM b WHERE x < ?2) "
      "SELECT r.metric, r.value, r.ts FROM b CROSS JOIN readings r "
      "ON r.bucket = b.x AND r.device = ?3 AND r.ts >= ?4 AND r.ts < ?5 "
      "ORDER BY b.x, r.ts, r.metric LIMIT ?6");
  st.bind(1, lo).bind(2, hi).bind(3, device).bind(4, ms(since)).bind(5, ms(until));
  st.bind(6, static_cast<std::int64_t>(limit));
  while (st.step()) {
    const auto m = static_cast<std::size_t>(st.int64(0));
    if (m >= k_metrics.size()) continue;
    out.push_back({k_metrics[m].id, st.real(1), at_ms(st.int64(2))});
  }
  return out;
}

std::int64_t store::count_readings() {
  auto st = db_.prepare("SELECT COUNT(*) FROM readings");
  st.step();
  return st.int64(0);
}

bool store::has_reading_at(std::string_view device_id, time_point ts) {
  auto st = db_.prepare(
      "SELECT 1 FROM readings r JOIN device_keys k ON k.key = r.device WHERE k.device_id = ?1 "
      "AND r.ts = ?2 LIMIT 1");
  st.bind(1, device_id).bind(2, ms(ts));
  return st.step();
}

// --- writer -------------------------------------------------------------------------------

namespace {

/// What an entry costs in memory, roughly: the bound is on this estimate.
std::size_t bytes_of(const writer::item& it) {
  constexpr std::size_t k_entry = 96;  // deque slot, variant, bookkeeping
  if (const auto* rs = std::get_if<std::vector<reading>>(&it)) {
    std::size_t n = k_entry;
    for (const auto& r : *rs)
      n += sizeof(reading) + (r.device_id.size() > 15 ? r.device_id.size() : 0);
    return n;
  }
  if (const auto* q = std::get_if<quarantine_row>(&it))
    return k_entry + sizeof(quarantine_row) + q->topic.size() + q->reason.size() +
           q->detail.size() + q->payload.size();
  const auto& u = std::get<unknown_sighting>(it);
  return k_entry + sizeof(unknown_sighting) + u.external_id.size() + u.topic.size();
}

std::size_t rows_of(const writer::item& it) {
  if (const auto* rs = std::get_if<std::vector<reading>>(&it)) return rs->size();
  return 1;
}

const char* kind_of(const writer::item& it) {
  if (std::holds_alternative<std::vector<reading>>(it)) return "readings";
  if (std::holds_alternative<quarantine_row>(it)) return "quarantine";
  return "unknown-device";
}

}  // namespace

writer::writer(const std::string& path, telemetry& t, writer_options o)
    : options_(o),
      own_health_(o.health_board ? nullptr : std::make_unique<health>(t)),
      health_(o.health_board ? o.health_board : own_health_.get()),
      db_(std::make_unique<connection>(path)),
      telemetry_(t) {
  db_->set_busy_timeout(static_cast<int>(options_.busy_timeout.count()));
  // The writer touches the pages of the current hour of readings; a bigger cache keeps
  // them, and the device_keys index, in memory between batches.
  db_->exec("PRAGMA cache_size=-32768");
  migrate(*db_);
  telemetry_.gauge("hearth_store_commit_lag_max_seconds", {},
                   "Age of the oldest row of the last commit when it committed (the gap between "
                   "the broker's acknowledgement and a durable write, minus queueing in ingest)");
  telemetry_.counter("hearth_store_commits_total", {}, "Transactions committed by the writer");
  if (!options_.connection_sql.empty()) db_->exec(options_.connection_sql);
  if (options_.checkpoint_pages > 0)  // replaces SQLite's auto-checkpoint on this connection
    sqlite3_wal_hook(
        db_->raw(),
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<writer*>(self)->wal_pages_ = pages;
          return SQLITE_OK;
        },
        this);
  telemetry_.counter("hearth_store_checkpoints_total", {},
                     "WAL checkpoints run by the writer between its transactions");
  for (const char* k : {"readings", "quarantine", "unknown-device"})
    for (const char* ls : {"true", "false"})
      telemetry_.add("hearth_store_shed_rows_total",
                     fmt::format("kind=\"{}\",life_safety=\"{}\"", k, ls), 0);
  telemetry_.add("hearth_store_write_errors_total", {}, 0);
  telemetry_.add("hearth_readings_pruned_total", {}, 0);
  telemetry_.set("hearth_store_queued_bytes", {}, 0);
  thread_ = std::thread([this] { run(); });
}

writer::~writer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void writer::shed_locked(std::deque<entry>& from, const char* why) {
  auto& e = from.front();
  telemetry_.add("hearth_store_shed_rows_total",
                 fmt::format("kind=\"{}\",life_safety=\"{}\"", kind_of(e.it),
                             e.life_safety ? "true" : "false"),
                 static_cast<double>(rows_of(e.it)));
  if (!shedding_) {
    shedding_ = true;
    fmt::print(stderr,
               "hearthd: store buffer full ({} MiB, {}): shedding the oldest {}; alerts and "
               "life-safety readings are kept\n",
               options_.max_queued_bytes >> 20, why,
               from.front().life_safety ? "life-safety readings" : "ordinary rows");
  }
  queued_bytes_ -= e.bytes;
  ++written_;  // counted as done for flush(): it will never be written
  from.pop_front();
}

void writer::push(item it, bool life_safety) {
  const auto bytes = bytes_of(it);
  life_safety = life_safety && std::holds_alternative<std::vector<reading>>(it);
  {
    std::lock_guard lock(mutex_);
    const auto limit = options_.max_queued_bytes;
    const char* why = health_->ok() ? "the store is slower than the input" : "the store is failing";
    // Make room: ordinary rows go first, oldest first; life-safety readings may use twice the
    // bound, and only past that is the oldest of them shed.
    while (queued_bytes_ + in_flight_bytes_ + bytes > limit && !bulk_.empty())
      shed_locked(bulk_, why);
    if (queued_bytes_ + in_flight_bytes_ + bytes > limit && !life_safety) {
      telemetry_.add("hearth_store_shed_rows_total",
                     fmt::format("kind=\"{}\",life_safety=\"false\"", kind_of(it)),
                     static_cast<double>(rows_of(it)));
      return;
    }
    while (queued_bytes_ + in_flight_bytes_ + bytes > 2 * limit && !vital_.empty())
      shed_locked(vital_, why);
    (life_safety ? vital_ : bulk_)
        .push_back({std::move(it), life_safety, bytes, std::chrono::steady_clock::now()});
    queued_bytes_ += bytes;
    ++pushed_;
  }
  cv_.notify_one();
}

std::size_t writer::queued() const {
  std::lock_guard lock(mutex_);
  return bulk_.size() + vital_.size();
}

writer::hold_guard writer::hold() {
  std::unique_lock lock(mutex_);
  ++holds_;
  // At most the transaction in progress (one capped batch), instead of SQLite's busy
  // handler, which sleeps 1, 2, 5, 10 ms... while the writer keeps taking the lock.
  done_cv_.wait(lock, [&] { return !in_transaction_; });
  return hold_guard(this);
}

void writer::release_hold() {
  {
    std::lock_guard lock(mutex_);
    --holds_;
  }
  cv_.notify_one();
}

std::size_t writer::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_bytes_ + in_flight_bytes_;
}

bool writer::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  const auto target = pushed_;
  cv_.notify_one();
  auto done = [&] { return written_ >= target || stop_; };
  if (limit == std::chrono::milliseconds::max()) {
    done_cv_.wait(lock, done);
    return true;
  }
  return done_cv_.wait_for(lock, limit, done);
}

void writer::run() {
  using namespace std::chrono_literals;
  std::vector<entry> batch;
  duration backoff{0};
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      if (batch.empty()) {
        // Group commit: write as soon as anything is queued. While a transaction is being
        // written, new rows queue up and go together in the next one, so batches grow with
        // the load by themselves, and a quiet system commits each message within about a
        // millisecond: the acknowledgement-to-durable gap of at-least-once ingestion. The
        // timeout only lets an idle writer prune now and then.
        cv_.wait_for(lock, 1s, [&] { return stop_ || !bulk_.empty() || !vital_.empty(); });
        // An alert write on the domain thread (`hold`) goes first: the writer does not start
        // a transaction while one is waiting, so an SOS never sleeps in SQLite's busy handler.
        // Life-safety readings first, then the rest in arrival order.
        for (auto* q : {&vital_, &bulk_})
          while (!q->empty() && batch.size() < options_.batch_items) {
            queued_bytes_ -= q->front().bytes;
            in_flight_bytes_ += q->front().bytes;
            batch.push_back(std::move(q->front()));
            q->pop_front();
          }
        if (batch.empty()) {
          if (stop_) return;
          lock.unlock();
          prune();
          continue;
        }
      } else {
        // The rest of a batch: after a failure, wait out the backoff (shutdown cuts it
        // short); after a hold cut it short, backoff is zero and it goes on at once.
        cv_.wait_for(lock, backoff, [&] { return stop_; });
      }
      cv_.wait(lock, [&] { return stop_ || holds_ == 0; });  // let a waiting alert write go first
      in_transaction_ = true;
      stopping = stop_;
      telemetry_.set("hearth_store_queued_bytes", {},
                     static_cast<double>(queued_bytes_ + in_flight_bytes_));
    }
    const auto done = write(batch);  // the first *done items, or nullopt when it failed
    const bool ok = done.has_value();
    if (ok) {
      auto oldest = std::chrono::steady_clock::time_point::max();
      for (std::size_t i = 0; i < *done; ++i)
        oldest = std::min(oldest, batch[i].at);
      telemetry_.add("hearth_store_commits_total");
      telemetry_.set(
          "hearth_store_commit_lag_max_seconds", {},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest).count());
    }
    std::size_t lost = 0;
    {
      std::lock_guard lock(mutex_);
      in_transaction_ = false;
      if (ok || stopping) {
        if (!ok) {
          // Shutdown with the store still failing: say exactly what is not stored.
          for (const auto* q : {&vital_, &bulk_})
            for (const auto& e : *q)
              lost += rows_of(e.it);
          for (const auto& e : batch)
            lost += rows_of(e.it);
          written_ += bulk_.size() + vital_.size();
          bulk_.clear();
          vital_.clear();
          queued_bytes_ = 0;
        }
        // Cut short by a hold: the rest of the batch goes in the next transaction, first.
        const auto n = ok ? *done : batch.size();
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < n; ++i)
          bytes += batch[i].bytes;
        written_ += n;
        in_flight_bytes_ -= std::min(in_flight_bytes_, bytes);
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
        backoff = duration{0};
        if (queued_bytes_ * 2 < options_.max_queued_bytes) shedding_ = false;
      } else {
        backoff = std::min(std::max(backoff * 2, options_.backoff), options_.max_backoff);
      }
    }
    if (lost > 0)
      fmt::print(stderr, "hearthd: stopping with the store failing: {} rows were not stored\n",
                 lost);
    done_cv_.notify_all();  // flush() waiters, and hold() waiting for the transaction to end
    if (!ok && stopping) return;
    if (ok && batch.empty()) {
      checkpoint();  // outside the transaction: an alert write is not kept waiting
      prune();       // due at most once a minute unless there is a backlog of old rows
    }
  }
}

std::int64_t writer::device_key(const std::string& device_id) {
  if (auto it = keys_.find(device_id); it != keys_.end()) return it->second;
  auto ins = db_->prepare("INSERT OR IGNORE INTO device_keys(device_id) VALUES (?1)");
  ins.bind(1, device_id).run();
  auto sel = db_->prepare("SELECT key FROM device_keys WHERE device_id = ?1");
  sel.bind(1, device_id);
  sel.step();
  const auto k = sel.int64(0);
  keys_[device_id] = k;
  fresh_keys_.push_back(device_id);
  return k;
}

std::optional<std::size_t> writer::write(std::vector<entry>& batch) {
  fresh_keys_.clear();
  try {
    if (!insert_reading_) {
      // Prepared once and reused across batches.
      insert_reading_.emplace(
          db_->prepare("INSERT OR REPLACE INTO readings(bucket, device, ts, metric, value) VALUES "
                       "(?1,?2,?3,?4,?5)"));
      insert_quarantine_.emplace(
          db_->prepare("INSERT INTO quarantine(received_at, topic, reason, detail, payload) VALUES "
                       "(?1,?2,?3,?4,?5)"));
      upsert_unknown_.emplace(db_->prepare(
          "INSERT INTO unknown_devices VALUES (?1,?2,?3,?3,1) ON CONFLICT(external_id) DO UPDATE "
          "SET last_topic=excluded.last_topic, last_seen=MAX(last_seen, excluded.last_seen), "
          "count=count+1"));
    }
    auto& rd = *insert_reading_;
    transaction tx(*db_);
    std::size_t rows = 0, items = 0;
    for (auto& e : batch) {
      if (auto* rs = std::get_if<std::vector<reading>>(&e.it)) {
        const std::string* last_id = nullptr;
        std::int64_t key = 0;
        for (const auto& r : *rs) {
          if (!last_id || r.device_id != *last_id) {  // one message: one device
            key = device_key(r.device_id);
            last_id = &r.device_id;
          }
          const auto t = ms(r.ts);
          rd.bind(1, bucket_of(t))
              .bind(2, key)
              .bind(3, t)
              .bind(4, static_cast<int>(r.metric))
              .bind(5, r.value)
              .run();
          ++rows;
        }
      } else if (auto* q = std::get_if<quarantine_row>(&e.it)) {
        insert_quarantine_->bind(1, ms(q->received_at))
            .bind(2, q->topic)
            .bind(3, q->reason)
            .bind(4, q->detail)
            .bind_blob(5, q->payload)
            .run();
      } else if (auto* u = std::get_if<unknown_sighting>(&e.it)) {
        upsert_unknown_->bind(1, u->external_id).bind(2, u->topic).bind(3, ms(u->at)).run();
      }
      ++items;
      // An alert write is waiting (`hold`): commit after the item in hand, not the batch.
      if (holds_.load(std::memory_order_relaxed) > 0) break;
    }
    tx.commit();
    telemetry_.add("hearth_readings_stored_total", {}, static_cast<double>(rows));
    health_->recovered("writer");
    return items;
  } catch (const store_error& e) {
    // Disk full, locked, I/O error: the transaction is rolled back and the batch is kept
    // for the next attempt. Keys made inside it were rolled back too.
    for (const auto& id : fresh_keys_)
      keys_.erase(id);
    for (auto* s : {&insert_reading_, &insert_quarantine_, &upsert_unknown_})
      if (*s) (*s)->reset();
    telemetry_.add("hearth_store_write_errors_total");
    health_->failed("writer", e.what());
    return std::nullopt;
  }
}

void writer::checkpoint() {
  if (options_.checkpoint_pages <= 0) return;
  if (options_.checkpoint_pages <= 0 || wal_pages_ < options_.checkpoint_pages) return;
  wal_pages_ = 0;
  // PASSIVE: copies what no reader still needs and never waits for anyone. A domain-thread
  // write may commit meanwhile (WAL lets one writer and a checkpoint run together).
  if (sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
      SQLITE_OK)
    telemetry_.add("hearth_store_checkpoints_total");
}

void writer::prune() {
  if (!options_.clock || options_.retention.count() <= 0) return;
  const auto now = options_.clock->now();
  if (now < next_prune_) return;
  const auto cutoff = ms(now - options_.retention);
  try {
    // Small batches, each its own short transaction, so the writer never stalls readings
    // for long; the oldest hours come first because they are the key's prefix.
    auto rd = db_->prepare(
        "DELETE FROM readings WHERE (bucket, device, ts, metric) IN (SELECT bucket, device, ts, "
        "metric FROM readings WHERE bucket <= ?1 AND ts < ?2 LIMIT ?3)");
    auto qr = db_->prepare(
        "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < ?1 "
        "ORDER BY received_at LIMIT ?2)");
    const auto n = static_cast<std::int64_t>(options_.prune_batch);
    transaction tx(*db_);
    rd.bind(1, bucket_of(cutoff)).bind(2, cutoff).bind(3, n).run();
    const auto readings = sqlite3_changes(db_->raw());
    qr.bind(1, cutoff).bind(2, n).run();
    const auto quarantined = sqlite3_changes(db_->raw());
    tx.commit();
    telemetry_.add("hearth_readings_pruned_total", {}, readings);
    telemetry_.add("hearth_quarantine_pruned_total", {}, quarantined);
    // More to do: come back at once (between batches of new rows); else in a minute.
    next_prune_ = readings >= n || quarantined >= n ? now : now + std::chrono::minutes(1);
  } catch (const store_error& e) {
    health_->failed("writer", e.what());
    next_prune_ = now + std::chrono::seconds(10);
  }
}

}  // namespace hearth::store
