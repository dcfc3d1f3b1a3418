// SPDX-License-Identifier: Apache-2.0
#pragma once
/// High availability (issue 17): nodes that share one PostgreSQL database elect the active
/// node through a lease, one row of `ha_lease` (name 'active', epoch, holder, expires_at).
///
/// - Times are the database's clock (clock_timestamp()), so the nodes' clocks need not agree.
/// - A standby takes the lease only once it has expired (or was released): it bumps the
///   epoch and names itself holder. A node that comes back therefore rejoins as a standby.
/// - The holder renews about every second (`keeper`). Every write of the active node
///   carries its epoch (connection_options::fence_epoch): a transaction first takes a
///   key-share lock on the lease row with that epoch, so a takeover (which changes the
///   epoch, a unique key) waits for a write in progress, and a write of an old epoch is
///   refused (errc::fenced).
/// - A holder that cannot renew steps down before its lease can expire: `keeper` calls
///   `lost` at (start of the last successful renewal + lease - margin), measured on the
///   node's monotonic clock, which is earlier than any standby can see the lease expire.
///
/// Threading: a `lease` is one connection, used by one thread at a time. Errors from the
/// database are store_error (errc::unavailable when it cannot be reached).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "store/postgres.hpp"

namespace hearth::ha {

struct lease_view {
  std::string holder;  ///< empty: nobody has held it yet
  std::int64_t epoch = 0;
  duration remaining{0};  ///< until it expires; zero or less: expired
};

class lease {
 public:
  /// Connects lazily: a database that is down is retried by each call.
  lease(std::string database, std::string node, duration ttl);

  const std::string& node() const { return node_; }
  duration ttl() const { return ttl_; }

  /// Migrates the schema when it is older than this hearthd (once per lease object).
  void prepare();
  /// Takes the lease when it has expired: the new epoch; nullopt when another node holds it.
  std::optional<std::int64_t> try_acquire();
  /// Extends the lease held with `epoch`; false when it is no longer this node's.
  bool renew(std::int64_t epoch);
  /// Gives the lease up at once (clean shutdown): a standby takes over without waiting.
  void release(std::int64_t epoch);
  lease_view view();

 private:
  store::pg_connection& db();
  std::string database_, node_;
  duration ttl_;
  std::unique_ptr<store::pg_connection> db_;
  bool prepared_ = false;
};

/// Renews the lease about every second on its own thread (so that a busy domain thread
/// never delays a renewal), and calls `lost` once when the lease is no longer certain to be
/// this node's: another node took it, or no renewal has succeeded for (lease - margin). A
/// second thread watches that deadline, so a renewal stuck in a dead connection cannot
/// delay the step-down. `lost` must end the active role at once (hearthd re-executes itself
/// as a standby). Destruction stops both threads; `release` also hands the lease over.
class keeper {
 public:
  keeper(lease& l, std::int64_t epoch, std::function<void(const std::string& why)> lost);
  ~keeper();
  keeper(const keeper&) = delete;
  keeper& operator=(const keeper&) = delete;

  std::int64_t epoch() const { return epoch_; }
  /// Stops renewing and releases the lease (clean shutdown).
  void release();

 private:
  using steady = std::chrono::steady_clock;
  void renew_loop();
  void watch_loop();
  void fire(const std::string& why);
  void stop();
  lease& lease_;
  std::int64_t epoch_;
  std::function<void(const std::string&)> lost_;
  std::atomic<bool> fired_{false};
  std::atomic<steady::rep> certain_until_;  ///< steady ticks; the lease is ours until then
  std::string last_error_;                  ///< guarded by mutex_
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread renewer_, watcher_;
};

/// The margin by which the holder steps down before its lease could expire.
inline duration step_down_margin(duration ttl) {
  return std::max(duration{500}, ttl / 3);
}

}  // namespace hearth::ha
