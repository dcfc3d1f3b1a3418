// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The writer: a thread that batches the high-volume rows (readings, quarantine rows,
/// unknown-device sightings, the rules' changed state) off the hot path, on its own
/// connection, and prunes old ones.
/// Its backend half (one transaction per batch on SQLite or PostgreSQL) is a `sink`.
///
/// Faults (disk full, a lock held by another process, I/O errors, a database server that
/// is down) never end the daemon: the failed batch and what arrives meanwhile stay in a
/// bounded buffer (see `writer_options`), `health` says so, and the batch is retried.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/telemetry.hpp"
#include "store/health.hpp"
#include "store/sink.hpp"
#include "store/sql.hpp"

namespace hearth::store {

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
  /// Unregistered devices remembered at most (`unknown_devices`): past it the ones seen
  /// longest ago are forgotten first (hearth_unknown_devices_forgotten_total). They are
  /// also pruned with the quarantine, by `retention`.
  std::size_t max_unknown_devices = 10'000;
  /// Shared with the domain connection; the writer keeps its own when null.
  health* health_board = nullptr;
  /// First retry after a failed batch; doubles up to `max_backoff`.
  duration backoff{100};
  duration max_backoff{5'000};
  /// SQLite: busy timeout of the writer's connection (a lock held elsewhere).
  duration busy_timeout{1'000};
  /// PostgreSQL: how the writer's connection is opened (the lease epoch that fences it).
  connection_options connection;
  /// Extra SQL run on the writer's connection after it opens (tests: "PRAGMA max_page_count").
  std::string connection_sql;
  /// SQLite: WAL pages after which the writer checkpoints (PASSIVE), between its transactions.
  /// SQLite's own auto-checkpoint is switched off on the writer's connection: it would run
  /// inside whichever commit crosses the limit, and its fsync (tens of ms here) would then
  /// delay an alert write waiting in `hold`. Connections that write alerts should switch it
  /// off too (`store_options::writer_checkpoints`). Zero: SQLite's default.
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
  using item = row_item;

  /// `database`: a SQLite path or a PostgreSQL URI; the writer opens its own connection.
  writer(const std::string& database, telemetry& t, writer_options o = {});
  ~writer();  ///< flushes what is queued (one last attempt if the store is failing), then stops

  /// `life_safety`: readings of a life-safety device type, shed last (as rule state is).
  void push(item it, bool life_safety = false);
  /// Blocks until everything pushed before the call is committed (or shed), or `limit`
  /// passes. Returns whether it got there.
  bool flush(std::chrono::milliseconds limit = std::chrono::milliseconds::max());
  std::size_t queued() const;
  std::size_t queued_bytes() const;
  const health& status() const { return *health_; }

  /// Keeps the writer from starting a transaction while the caller writes on its own
  /// connection (alert transitions on the domain thread): waits for the writer's current
  /// transaction to end, and lets the writer go on when the guard is destroyed. A guard
  /// that does nothing when the backend writes side by side (`sink::single_writer`).
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
  using entry = queued_row;
  void run();
  /// Writes `batch` in one transaction, or its first items only when an alert write is
  /// waiting (`hold`). The number of items committed; nullopt when it failed.
  std::optional<std::size_t> write(std::vector<entry>& batch);
  void prune();
  void shed_locked(std::deque<entry>& from, const char* why);
  void release_hold();

  writer_options options_;
  std::unique_ptr<health> own_health_;
  health* health_;
  std::unique_ptr<sink> sink_;
  telemetry& telemetry_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::deque<entry> bulk_, vital_;  ///< ordinary rows; life-safety readings
  std::size_t queued_bytes_ = 0, in_flight_bytes_ = 0;
  std::uint64_t pushed_ = 0, written_ = 0;
  bool stop_ = false, shedding_ = false;
  std::atomic<int> holds_{0};    ///< domain-thread writes waiting or in progress
  bool in_transaction_ = false;  ///< the writer thread is inside a transaction
  time_point next_prune_{};
  std::thread thread_;
};

}  // namespace hearth::store
