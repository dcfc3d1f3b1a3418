// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Alert ids from the shared database's sequence (PostgreSQL), so that no id is handed out
/// twice across a failover. A few are reserved ahead: opening an alert never waits for a
/// round trip, and an SOS can still be opened and published while the database is briefly
/// away. Ids reserved by a node that then dies are skipped, never reused.
///
/// Threading: the domain thread.

#include <cstdint>
#include <deque>

#include "store/store.hpp"

namespace hearth::app {

class alert_ids {
 public:
  /// `last_known`: the highest id in the database (the fallback counts on from it).
  alert_ids(store::store& st, std::uint64_t last_known, std::size_t ahead = 32)
      : store_(st), ahead_(ahead), last_(last_known) {}

  /// The next id. When the reserve is empty it asks the database at once; when that fails
  /// too, one more than the last id handed out (the node is then about to step down, since
  /// it cannot reach the database, and that alert cannot be stored anyway).
  std::uint64_t next();
  /// Tops the reserve up to `ahead` (the daemon's 1-second tick); a store error waits for
  /// the next tick.
  void refill();

 private:
  store::store& store_;
  std::size_t ahead_;
  std::deque<std::uint64_t> reserve_;
  std::uint64_t last_;
};

}  // namespace hearth::app
