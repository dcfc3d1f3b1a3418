// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Persistence in one SQLite file (WAL). Two connections:
///  - `store` is used on the domain thread for what must be durable before anyone is told
///    (alerts, registry imports) and for queries;
///  - `writer` owns a thread that batches the high-volume rows (readings, quarantine,
///    unknown-device sightings) off the hot path.
/// The schema is versioned: `migrate` applies numbered migrations in one transaction each.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "alerts/alert.hpp"
#include "base/reading.hpp"
#include "base/result.hpp"
#include "base/telemetry.hpp"
#include "engine/engine.hpp"
#include "registry/registry.hpp"
#include "store/sqlite.hpp"

namespace hearth::store {

/// Applies every migration newer than the file's version. Returns the version reached.
int migrate(connection& c);
int schema_version(connection& c);

struct quarantine_row {
  time_point received_at;
  std::string topic;
  std::string reason;   ///< normalize::reason code
  std::string detail;   ///< plain words
  std::string payload;  ///< raw bytes, capped at 64 KiB
};

struct unknown_sighting {
  std::string external_id;
  std::string topic;
  time_point at;
};

struct unknown_device {
  std::string external_id, last_topic;
  time_point first_seen, last_seen;
  std::int64_t count = 0;
};

struct stored_reading {
  hearth::metric metric;
  double value;
  time_point ts;
};

class store {
 public:
  /// Opens and migrates. Throws store_error with a clear message on failure.
  explicit store(const std::string& path);

  connection& db() { return db_; }

  // Registry: upserted in one transaction, loaded whole.
  void save_registry(const registry::tables& t);
  registry::tables load_registry();

  // Alerts: written before the transition is published.
  void save_alert(const alerts::alert& a);
  std::vector<alerts::alert> load_alerts(std::optional<alerts::state> st, std::size_t limit = 500);
  std::uint64_t max_alert_id();

  // Rule-engine state (pending windows, deadlines, baselines), one JSON row per key;
  // a row with empty json deletes its key. Written in one transaction.
  void save_engine_state(const std::vector<engine::state_row>& rows);
  std::vector<engine::state_row> load_engine_state();

  std::vector<unknown_device> unknown_devices();
  std::vector<quarantine_row> quarantine(std::size_t limit = 100);
  std::vector<stored_reading> readings(const std::string& device_id, time_point since,
                                       time_point until, std::size_t limit = 10'000);
  std::int64_t count_readings();
  /// True when a reading of `device_id` at exactly `ts` is stored (redelivery check).
  bool has_reading_at(const std::string& device_id, time_point ts);

 private:
  connection db_;
};

/// Batches rows to the database on its own thread. `push` never blocks on I/O. Group
/// commit: the thread writes as soon as anything is queued, so batches are as large as
/// the rows that arrived during the previous commit (up to `k_max_batch`).
class writer {
 public:
  /// Items per transaction at most: a batch of 1,024 meter frames commits in a few ms.
  static constexpr std::size_t k_max_batch = 1024;
  using item = std::variant<std::vector<reading>, quarantine_row, unknown_sighting>;

  writer(const std::string& path, telemetry& t);
  ~writer();  ///< flushes what is queued, then stops

  void push(item it);
  /// Blocks until everything pushed before the call is committed (tests, shutdown).
  void flush();
  std::size_t queued() const;

  /// Keeps the writer from starting a transaction while the caller writes on its own
  /// connection (alert transitions on the domain thread): waits for the writer's current
  /// transaction to end, and lets the writer go on when the guard is destroyed.
  class hold_guard {
   public:
    explicit hold_guard(writer* w) : w_(w) {}
    hold_guard(hold_guard&& o) noexcept : w_(std::exchange(o.w_, nullptr)) {}
    hold_guard(const hold_guard&) = delete;
    hold_guard& operator=(const hold_guard&) = delete;
    hold_guard& operator=(hold_guard&&) = delete;
    ~hold_guard() {
      if (w_) w_->release_hold();
    }

   private:
    writer* w_;
  };
  hold_guard hold();

 private:
  void run();
  /// Writes `batch` in one transaction; returns how many items it took (fewer when an
  /// alert write asked for the lock), or all of them when the write failed.
  std::size_t write(std::vector<item>& batch);
  void release_hold();
  std::int64_t device_key(const std::string& device_id);

  std::unique_ptr<connection> db_;
  telemetry& telemetry_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::deque<item> queue_;
  std::deque<std::chrono::steady_clock::time_point> pushed_at_;  ///< parallel to queue_
  std::uint64_t pushed_ = 0, written_ = 0;
  bool stop_ = false;
  std::atomic<int> holds_{0};    ///< domain-thread writes waiting or in progress
  bool in_transaction_ = false;  ///< the writer thread is inside a transaction
  std::unordered_map<std::string, std::int64_t> keys_;
  std::thread thread_;
};

}  // namespace hearth::store
