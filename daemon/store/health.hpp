// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Whether the database takes writes (/healthz, `hearth_store_healthy`). Faults (disk full,
/// a lock held by another process, I/O errors, a database server that is down) never end
/// the daemon: they are `store_error`s caught by the writer or the pipeline, reported here
/// once (a log line, `hearth_store_healthy 0`, /healthz `failing`), and retried.

#include <map>
#include <mutex>
#include <string>

#include "base/clock.hpp"
#include "base/telemetry.hpp"

namespace hearth::store {

/// Parts ("writer", "domain") fail and recover independently; the store is healthy when all
/// of them are. Thread-safe. A change of state is logged once, not every failed write.
class health {
 public:
  explicit health(telemetry& t);
  /// Reports that `part` could not write. `what` is the database's message (no personal data).
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

}  // namespace hearth::store
