// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The backend half of `writer`: how one batch of high-volume rows becomes one transaction
/// on SQLite or on PostgreSQL, how old rows are pruned, and what the backend does between
/// transactions. The writer (writer.hpp) owns the queue, the memory bound, group commit,
/// holds and retries, the same for both.
///
/// Threading: the writer's thread only. Errors: `store_error`; a failed `write` commits
/// nothing (the writer keeps the batch and retries it).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/reading.hpp"
#include "base/telemetry.hpp"
#include "engine/signal.hpp"
#include "store/rows.hpp"
#include "store/sql.hpp"

namespace hearth::store {

struct writer_options;

/// A slice of the rule engine's changed state (engine::engine::take_changes), written off
/// the domain thread: on PostgreSQL its upsert was the longest thing an SOS waited behind.
struct engine_state_slice {
  std::vector<engine::state_row> rows;
};

/// What the writer stores: one message's readings, a quarantined message, a sighting of an
/// unregistered device, or a slice of rule state.
using row_item =
    std::variant<std::vector<reading>, quarantine_row, unknown_sighting, engine_state_slice>;

/// Upserts `rows` (an empty body deletes its key; the last row of a key wins) on `db`, in
/// the caller's transaction (engine_state.cpp): the domain connection's and the writer's.
void write_engine_state(connection& db, std::span<const engine::state_row> rows);

/// An item in the writer's queue.
struct queued_row {
  row_item it;
  bool life_safety = false;
  std::size_t bytes = 0;
  std::chrono::steady_clock::time_point at{};  ///< when it was pushed (commit lag)
};

class sink {
 public:
  virtual ~sink() = default;

  struct written {
    std::size_t items = 0;     ///< items of the batch committed (its first ones)
    std::size_t readings = 0;  ///< reading rows among them
    /// Unregistered devices forgotten (the oldest first) to keep within
    /// writer_options::max_unknown_devices.
    std::size_t unknown_forgotten = 0;
  };
  /// Writes `batch` in order in one transaction. After each item, stops early (and commits
  /// what it has) when `yield()` says that an alert write is waiting.
  virtual written write(std::span<const queued_row> batch, const std::function<bool()>& yield) = 0;

  struct pruned {
    std::int64_t readings = 0, quarantine = 0, unknown_devices = 0;
  };
  /// Removes some readings, quarantine rows and unregistered devices last seen before
  /// `cutoff`: at most `batch` of each in one short transaction (SQLite), or whole
  /// partitions (PostgreSQL).
  virtual pruned prune(time_point cutoff, std::size_t batch) = 0;

  /// Between transactions, with nothing else to do at once (SQLite: a WAL checkpoint).
  virtual void idle() {}

  /// True when the database takes one writer at a time (SQLite): then an alert write on
  /// the domain connection waits for the writer's transaction (`writer::hold`) instead of
  /// the busy handler. PostgreSQL writes side by side.
  virtual bool single_writer() const = 0;
};

/// The sink for `database` (a SQLite path, or a PostgreSQL URI), on a connection of its own
/// (backends.cpp). Throws store_error when it cannot connect.
std::unique_ptr<sink> make_sink(const std::string& database, telemetry& t, const writer_options& o);
std::unique_ptr<sink> make_sqlite_sink(const std::string& path, telemetry& t,
                                       const writer_options& o);
std::unique_ptr<sink> make_pg_sink(const std::string& uri, const writer_options& o);

}  // namespace hearth::store
