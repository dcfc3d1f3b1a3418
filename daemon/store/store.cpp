// SPDX-License-Identifier: Apache-2.0
#include "store/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

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
};

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
  auto st = db_.prepare(
      "SELECT r.metric, r.value, r.ts FROM readings r JOIN device_keys k ON k.key = r.device "
      "WHERE k.device_id = ?1 AND r.ts >= ?2 AND r.ts < ?3 ORDER BY r.ts LIMIT ?4");
  st.bind(1, device_id)
      .bind(2, ms(since))
      .bind(3, ms(until))
      .bind(4, static_cast<std::int64_t>(limit));
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

bool store::has_reading_at(const std::string& device_id, time_point ts) {
  auto st = db_.prepare(
      "SELECT 1 FROM readings r JOIN device_keys k ON k.key = r.device WHERE k.device_id = ?1 "
      "AND r.ts = ?2 LIMIT 1");
  st.bind(1, device_id).bind(2, ms(ts));
  return st.step();
}

// --- writer -------------------------------------------------------------------------------

writer::writer(const std::string& path, telemetry& t)
    : db_(std::make_unique<connection>(path)), telemetry_(t) {
  migrate(*db_);
  telemetry_.gauge("hearth_store_commit_lag_max_seconds", {},
                   "Age of the oldest row of the last commit when it committed (the gap between "
                   "the broker's acknowledgement and a durable write, minus queueing in ingest)");
  telemetry_.counter("hearth_store_commits_total", {}, "Transactions committed by the writer");
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

void writer::push(item it) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(it));
    pushed_at_.push_back(std::chrono::steady_clock::now());
    ++pushed_;
  }
  cv_.notify_one();
}

std::size_t writer::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

writer::hold_guard writer::hold() {
  std::unique_lock lock(mutex_);
  ++holds_;
  // At most the rest of one capped batch (a few ms), instead of SQLite's busy handler,
  // which sleeps 1, 2, 5, 10 ms... while the writer keeps taking the lock.
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

void writer::flush() {
  std::unique_lock lock(mutex_);
  const auto target = pushed_;
  cv_.notify_one();
  done_cv_.wait(lock, [&] { return written_ >= target || stop_; });
}

void writer::run() {
  std::vector<item> batch;
  auto oldest = std::chrono::steady_clock::time_point::max();
  while (true) {
    {
      std::unique_lock lock(mutex_);
      // Group commit: write as soon as anything is queued. While a transaction is being
      // written, new rows queue up and go together in the next one, so batches grow with
      // the load by themselves and a quiet system commits each message within a
      // millisecond (the acknowledgement-to-durable gap of at-least-once ingestion).
      // An alert write on the domain thread (`hold`) goes first: the writer does not start
      // a transaction while one is waiting, so an SOS never sleeps in SQLite's busy handler.
      cv_.wait(lock, [&] { return (stop_ || !queue_.empty()) && holds_ == 0; });
      if (queue_.empty()) return;  // stop_ and nothing left
      in_transaction_ = true;
      // Capped so that one transaction never holds the database lock for long: alert
      // writes on the domain thread wait for it.
      while (!queue_.empty() && batch.size() < k_max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        oldest = std::min(oldest, pushed_at_.front());
        pushed_at_.pop_front();
      }
    }
    const auto written = write(batch);
    const auto lag = std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest);
    telemetry_.add("hearth_store_commits_total");
    telemetry_.set("hearth_store_commit_lag_max_seconds", {}, lag.count());
    {
      std::lock_guard lock(mutex_);
      for (auto i = batch.size(); i-- > written;) {  // cut short by a hold: back in front
        queue_.push_front(std::move(batch[i]));
        pushed_at_.push_front(oldest);
      }
      written_ += written;
      in_transaction_ = false;
    }
    oldest = std::chrono::steady_clock::time_point::max();
    batch.clear();
    done_cv_.notify_all();
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
  return k;
}

std::size_t writer::write(std::vector<item>& batch) {
  try {
    transaction tx(*db_);
    auto rd = db_->prepare("INSERT INTO readings(device, metric, ts, value) VALUES (?1,?2,?3,?4)");
    auto qr = db_->prepare(
        "INSERT INTO quarantine(received_at, topic, reason, detail, payload) VALUES "
        "(?1,?2,?3,?4,?5)");
    auto un = db_->prepare(
        "INSERT INTO unknown_devices VALUES (?1,?2,?3,?3,1) ON CONFLICT(external_id) DO UPDATE SET "
        "last_topic=excluded.last_topic, last_seen=MAX(last_seen, excluded.last_seen), "
        "count=count+1");
    std::size_t rows = 0, done = 0;
    for (; done < batch.size(); ++done) {
      // An alert write is waiting (`hold`): commit what is written so far and leave the
      // rest for the next transaction, so the alert waits for one item, not a whole batch.
      if (done > 0 && holds_.load(std::memory_order_relaxed) > 0) break;
      auto& it = batch[done];
      if (auto* rs = std::get_if<std::vector<reading>>(&it)) {
        for (const auto& r : *rs) {
          rd.bind(1, device_key(r.device_id))
              .bind(2, static_cast<int>(r.metric))
              .bind(3, ms(r.ts))
              .bind(4, r.value)
              .run();
          ++rows;
        }
      } else if (auto* q = std::get_if<quarantine_row>(&it)) {
        qr.bind(1, ms(q->received_at))
            .bind(2, q->topic)
            .bind(3, q->reason)
            .bind(4, q->detail)
            .bind_blob(5, q->payload)
            .run();
      } else if (auto* u = std::get_if<unknown_sighting>(&it)) {
        un.bind(1, u->external_id).bind(2, u->topic).bind(3, ms(u->at)).run();
      }
    }
    tx.commit();
    telemetry_.add("hearth_readings_stored_total", {}, static_cast<double>(rows));
    telemetry_.set("hearth_store_healthy", {}, 1);
    return done;
  } catch (const store_error& e) {
    // Disk full or locked: the rows stay counted as lost, and health says so.
    telemetry_.add("hearth_store_write_errors_total");
    telemetry_.set("hearth_store_healthy", {}, 0);
    fmt::print(stderr, "hearthd: store write failed ({} items): {}\n", batch.size(), e.what());
  }
  return batch.size();  // failed: counted as lost above
}

}  // namespace hearth::store
