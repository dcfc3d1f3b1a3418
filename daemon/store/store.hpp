// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Persistence in one SQLite file (WAL). Two connections:
///  - `store` is used on the domain thread for what must be durable before anyone is told
///    (alerts, registry imports) and for queries;
///  - `writer` owns a thread that batches the high-volume rows (readings, quarantine,
///    unknown-device sightings) off the hot path.
/// The schema is versioned: `migrate` applies numbered migrations in one transaction each.
///
/// Faults (disk full, a lock held by another process, I/O errors) never end the daemon:
/// they are `store_error`s caught here or by the pipeline, reported once to `health`
/// (a log line, `hearth_store_healthy 0`, /healthz `failing`), and retried. The writer keeps
/// the failed batch and what arrives meanwhile in a bounded buffer (see `writer_options`).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
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

/// Width of a readings bucket: rows are clustered on (hour, device, ts, metric), so that
/// inserts from thousands of interleaved devices land in the same few pages.
inline constexpr std::int64_t k_bucket_ms = 3'600'000;

/// Whether the database takes writes (/healthz, `hearth_store_healthy`). Parts ("writer",
/// "domain") fail and recover independently; the store is healthy when all of them are.
/// Thread-safe. A change of state is logged once, not every failed write.
class health {
 public:
  explicit health(telemetry& t);
  /// Reports that `part` could not write. `what` is SQLite's message (no personal data).
  void failed(const std::string& part, const std::string& what);
  void recovered(const std::string& part);
  bool ok() const;
  /// "writer: database or disk is full (since 2026-11-22T03:00:01Z)"; empty when ok.
  std::string detail() const;

 private:
  struct fault {
    std::string what;
    time_point since;
  };
  telemetry& telemetry_;
  mutable std::mutex mutex_;
  std::map<std::string, fault> faults_;
};

/// Opens an existing database read-only and checks it can be used: the header, the schema
/// and `PRAGMA quick_check`. Returns an empty string when usable, else a plain message.
/// Used by `hearthd run` before anything writes, so a damaged file is refused, not
/// overwritten. A missing file is fine (it will be created).
std::string check_database_file(const std::string& path, bool full_check);

/// A note when the file's -wal is not a whole number of frames (a torn tail that SQLite
/// will ignore); empty otherwise.
std::string wal_note(const std::string& path);

/// `hearthd backup`: copies the live database to `dest` with the SQLite online-backup API,
/// `pages_per_step` pages at a time, so the daemon's writers wait at most one step.
/// Throws store_error. `dest` must not exist (a backup never overwrites).
void backup(const std::string& source, const std::string& dest, int pages_per_step = 256);

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

  /// Where failures of writes on this (domain) connection are reported; may be null.
  void set_health(health* h) { health_ = h; }
  health* health_board() const { return health_; }

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
  bool has_reading_at(std::string_view device_id, time_point ts);

 private:
  connection db_;
  health* health_ = nullptr;
};

struct writer_options {
  /// Memory bound of the queue and retry buffer (estimated bytes). When it is full, the
  /// oldest queued rows that are not readings of life-safety devices are shed first
  /// (quarantine rows, unknown-device sightings, ordinary readings); life-safety readings
  /// may use twice the bound before the oldest of them is shed. Alerts never pass through
  /// the writer: they are written on the domain thread before they are published.
  std::size_t max_queued_bytes = 128u << 20;
  /// Items (messages) per transaction at most.
  /// Capped so that an alert write waiting for the writer's transaction (`hold`) waits
  /// for a few thousand rows at most.
  std::size_t batch_items = 2'048;
  /// Readings and quarantine rows older than this are pruned in the background, in small
  /// batches; zero keeps them forever. Needs `clock`.
  duration retention{0};
  const hearth::clock* clock = nullptr;
  std::size_t prune_batch = 5'000;
  /// Shared with the domain connection; the writer keeps its own when null.
  health* health_board = nullptr;
  /// First retry after a failed batch; doubles up to `max_backoff`.
  duration backoff{100};
  duration max_backoff{5'000};
  /// SQLite busy timeout of the writer's connection (a lock held elsewhere).
  duration busy_timeout{1'000};
  /// Extra SQL run on the writer's connection after it opens (tests: "PRAGMA max_page_count").
  std::string connection_sql;
  /// WAL pages after which the writer checkpoints (PASSIVE), between its transactions.
  /// SQLite's own auto-checkpoint is switched off on the writer's connection: it would run
  /// inside whichever commit crosses the limit, and its fsync (tens of ms here) would then
  /// delay an alert write waiting in `hold`. Connections that write alerts should switch it
  /// off too (`PRAGMA wal_autocheckpoint=0`, see app/daemon.cpp). Zero: SQLite's default.
  int checkpoint_pages = 1'000;
};

/// Batches rows to the database on its own thread. `push` never blocks on I/O. Group
/// commit: the thread writes as soon as anything is queued, so batches are as large as the
/// rows that arrived during the previous commit (up to `batch_items`).
/// A batch that fails (disk full, locked, I/O error) is kept and retried with backoff
/// until it commits; `health` says so meanwhile. See `writer_options` for the memory bound.
class writer {
 public:
  /// Items per transaction at most: a batch of 1,024 meter frames commits in a few ms.
  static constexpr std::size_t k_max_batch = 1024;
  using item = std::variant<std::vector<reading>, quarantine_row, unknown_sighting>;

  writer(const std::string& path, telemetry& t, writer_options o = {});
  ~writer();  ///< flushes what is queued (one last attempt if the store is failing), then stops

  /// `life_safety`: readings of a life-safety device type, shed last.
  void push(item it, bool life_safety = false);
  /// Blocks until everything pushed before the call is committed (or shed), or `limit`
  /// passes. Returns whether it got there.
  bool flush(std::chrono::milliseconds limit = std::chrono::milliseconds::max());
  std::size_t queued() const;
  std::size_t queued_bytes() const;
  const health& status() const { return *health_; }

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
  struct entry {
    item it;
    bool life_safety = false;
    std::size_t bytes = 0;
    std::chrono::steady_clock::time_point at{};  ///< when it was pushed (commit lag)
  };
  void run();
  /// Writes `batch` in one transaction, or its first items only when an alert write is
  /// waiting (`hold`). The number of items committed; nullopt when it failed.
  std::optional<std::size_t> write(std::vector<entry>& batch);
  void prune();
  void checkpoint();
  void shed_locked(std::deque<entry>& from, const char* why);
  void release_hold();
  std::int64_t device_key(const std::string& device_id);

  writer_options options_;
  std::unique_ptr<health> own_health_;
  health* health_;
  std::unique_ptr<connection> db_;
  std::optional<statement> insert_reading_, insert_quarantine_, upsert_unknown_;
  telemetry& telemetry_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::deque<entry> bulk_, vital_;  ///< ordinary rows; life-safety readings
  std::size_t queued_bytes_ = 0, in_flight_bytes_ = 0;
  std::uint64_t pushed_ = 0, written_ = 0;
  bool stop_ = false, shedding_ = false;
  int wal_pages_ = 0;            ///< WAL size after the writer's last commit (wal hook)
  std::atomic<int> holds_{0};    ///< domain-thread writes waiting or in progress
  bool in_transaction_ = false;  ///< the writer thread is inside a transaction
  std::unordered_map<std::string, std::int64_t> keys_;
  std::vector<std::string> fresh_keys_;  ///< keys made in the current transaction
  time_point next_prune_{};
  std::thread thread_;
};

}  // namespace hearth::store
