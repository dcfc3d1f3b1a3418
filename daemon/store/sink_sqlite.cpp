// SPDX-License-Identifier: Apache-2.0
// The writer's SQLite half: prepared statements reused across batches, device keys cached,
// readings clustered on (hour bucket, device, ts, metric), retention in small deletes, and
// WAL checkpoints between transactions instead of inside whichever commit crosses the limit.
#include <fmt/format.h>

#include "store/key_cache.hpp"
#include "store/schema.hpp"
#include "store/sink.hpp"
#include "store/sqlite.hpp"
#include "store/writer.hpp"

namespace hearth::store {
namespace {

class sqlite_sink final : public sink {
 public:
  sqlite_sink(const std::string& path, telemetry& t, const writer_options& o)
      : db_(path),
        telemetry_(t),
        checkpoint_pages_(o.checkpoint_pages),
        max_unknown_(static_cast<std::int64_t>(o.max_unknown_devices)) {
    db_.set_busy_timeout(static_cast<int>(o.busy_timeout.count()));
    // The writer touches the pages of the current hour of readings; a bigger cache keeps
    // them, and the device_keys index, in memory between batches.
    db_.exec("PRAGMA cache_size=-32768");
    migrate(db_);
    if (!o.connection_sql.empty()) db_.exec(o.connection_sql);
    if (checkpoint_pages_ > 0)  // replaces SQLite's auto-checkpoint on this connection
      sqlite3_wal_hook(
          db_.raw(),
          [](void* self, sqlite3*, const char*, int pages) {
            static_cast<sqlite_sink*>(self)->wal_pages_ = pages;
            return SQLITE_OK;
          },
          this);
    telemetry_.counter("hearth_store_checkpoints_total", {},
                       "WAL checkpoints run by the writer between its transactions");
  }

  bool single_writer() const override { return true; }

  written write(std::span<const queued_row> batch, const std::function<bool()>& yield) override {
    fresh_keys_.clear();
    try {
      if (!counted_unknown_) count_unknown();
      // Compiled once; the connection keeps them between batches.
      auto rd = db_.prepare(
          "INSERT OR REPLACE INTO readings(bucket, device, ts, metric, value) VALUES "
          "(?1,?2,?3,?4,?5)");
      auto insert_quarantine = db_.prepare(
          "INSERT INTO quarantine(received_at, topic, reason, detail, payload) "
          "VALUES (?1,?2,?3,?4,?5)");
      // Insert, else update: so that new devices are counted without a COUNT(*).
      auto insert_unknown = db_.prepare(
          "INSERT INTO unknown_devices VALUES (?1,?2,?3,?3,1) ON CONFLICT(external_id) DO "
          "NOTHING");
      auto upsert_unknown = db_.prepare(
          "UPDATE unknown_devices SET last_topic=?2, last_seen=MAX(last_seen, ?3), "
          "count=count+1 WHERE external_id=?1");
      transaction tx(db_);
      written out;
      for (const auto& e : batch) {
        if (const auto* rs = std::get_if<std::vector<reading>>(&e.it)) {
          const std::string* last_id = nullptr;
          std::int64_t key = 0;
          for (const auto& r : *rs) {
            if (!last_id || r.device_id != *last_id) {  // one message: one device
              key = device_key(r.device_id);
              last_id = &r.device_id;
            }
            const auto t = to_ms(r.ts);
            rd.bind(1, bucket_of(t))
                .bind(2, key)
                .bind(3, t)
                .bind(4, static_cast<int>(r.metric))
                .bind(5, r.value)
                .run();
            ++out.readings;
          }
        } else if (const auto* q = std::get_if<quarantine_row>(&e.it)) {
          insert_quarantine.bind(1, to_ms(q->received_at))
              .bind(2, q->topic)
              .bind(3, q->reason)
              .bind(4, q->detail)
              .bind_blob(5, q->payload)
              .run();
        } else if (const auto* st = std::get_if<engine_state_slice>(&e.it)) {
          write_engine_state(db_, st->rows);
        } else if (const auto* u = std::get_if<unknown_sighting>(&e.it)) {
          insert_unknown.bind(1, u->external_id).bind(2, u->topic).bind(3, to_ms(u->at)).run();
          if (db_.changes() > 0)
            ++unknown_rows_;
          else
            upsert_unknown.bind(1, u->external_id).bind(2, u->topic).bind(3, to_ms(u->at)).run();
        }
        ++out.items;
        if (yield()) break;
      }
      // Bounded: the devices seen longest ago are forgotten first.
      if (unknown_rows_ > max_unknown_) {
        db_.prepare(
               "DELETE FROM unknown_devices WHERE external_id IN (SELECT external_id FROM "
               "unknown_devices ORDER BY last_seen, external_id LIMIT ?1)")
            .bind(1, unknown_rows_ - max_unknown_)
            .run();
        out.unknown_forgotten = static_cast<std::size_t>(db_.changes());
        unknown_rows_ -= db_.changes();
      }
      tx.commit();
      return out;
    } catch (const store_error&) {
      // Keys made inside the failed transaction were rolled back too.
      for (const auto& id : fresh_keys_)
        keys_.erase(id);
      if (counted_unknown_) count_unknown();  // the rolled-back inserts are not there
      throw;
    }
  }

  pruned prune(time_point cutoff, std::size_t batch) override {
    // Small batches, each its own short transaction, so the writer never stalls readings
    // for long; the oldest hours come first because they are the key's prefix.
    auto rd = db_.prepare(
        "DELETE FROM readings WHERE (bucket, device, ts, metric) IN (SELECT bucket, device, ts, "
        "metric FROM readings WHERE bucket <= ?1 AND ts < ?2 LIMIT ?3)");
    auto qr = db_.prepare(
        "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < ?1 "
        "ORDER BY received_at LIMIT ?2)");
    auto ud = db_.prepare(
        "DELETE FROM unknown_devices WHERE external_id IN (SELECT external_id FROM "
        "unknown_devices WHERE last_seen < ?1 LIMIT ?2)");
    const auto n = static_cast<std::int64_t>(batch);
    const auto c = to_ms(cutoff);
    pruned out;
    transaction tx(db_);
    rd.bind(1, bucket_of(c)).bind(2, c).bind(3, n).run();
    out.readings = db_.changes();
    qr.bind(1, c).bind(2, n).run();
    out.quarantine = db_.changes();
    ud.bind(1, c).bind(2, n).run();
    out.unknown_devices = db_.changes();
    tx.commit();
    unknown_rows_ -= out.unknown_devices;
    return out;
  }

  void idle() override {
    if (checkpoint_pages_ <= 0 || wal_pages_ < checkpoint_pages_) return;
    wal_pages_ = 0;
    // PASSIVE: copies what no reader still needs and never waits for anyone. A domain-thread
    // write may commit meanwhile (WAL lets one writer and a checkpoint run together).
    if (sqlite3_wal_checkpoint_v2(db_.raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr) == SQLITE_OK)
      telemetry_.add("hearth_store_checkpoints_total");
  }

 private:
  void count_unknown() {
    auto n = db_.prepare("SELECT COUNT(*) FROM unknown_devices");
    n.step();
    unknown_rows_ = n.int64(0);
    counted_unknown_ = true;
  }

  std::int64_t device_key(const std::string& device_id) {
    if (const auto k = keys_.find(device_id)) return *k;
    auto ins = db_.prepare("INSERT OR IGNORE INTO device_keys(device_id) VALUES (?1)");
    ins.bind(1, device_id).run();
    auto sel = db_.prepare("SELECT key FROM device_keys WHERE device_id = ?1");
    sel.bind(1, device_id);
    sel.step();
    const auto k = sel.int64(0);
    keys_.put(device_id, k);
    fresh_keys_.push_back(device_id);
    return k;
  }

  sqlite_connection db_;
  telemetry& telemetry_;
  int checkpoint_pages_;
  int wal_pages_ = 0;  ///< WAL size after the last commit (wal hook)
  std::int64_t max_unknown_;
  std::int64_t unknown_rows_ = 0;  ///< rows in unknown_devices (counted once, then kept)
  bool counted_unknown_ = false;
  key_cache keys_;
  std::vector<std::string> fresh_keys_;  ///< keys made in the current transaction
};

}  // namespace

std::unique_ptr<sink> make_sqlite_sink(const std::string& path, telemetry& t,
                                       const writer_options& o) {
  return std::make_unique<sqlite_sink>(path, t, o);
}

}  // namespace hearth::store
