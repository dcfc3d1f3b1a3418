// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The schema, as numbered migrations for each backend. A version number means the same
/// tables on SQLite and on PostgreSQL, so that `hearthd migrate` can copy one into the
/// other table by table. Migrations are append-only: a released one is never edited.

#include <cstdint>

#include "store/sql.hpp"

namespace hearth::store {

/// Applies every migration newer than the database's version, one transaction each, and
/// returns the version reached. Refuses (store_error) a database newer than this hearthd.
int migrate(connection& c);
/// The version of the schema the database holds (0: empty).
int schema_version(connection& c);
/// The version this hearthd migrates to.
int latest_schema_version();

/// Width of a readings bucket on SQLite: rows are clustered on (hour, device, ts, metric),
/// so that inserts from thousands of interleaved devices land in the same few pages.
inline constexpr std::int64_t k_bucket_ms = 3'600'000;
inline std::int64_t bucket_of(std::int64_t ts_ms) {
  return ts_ms / k_bucket_ms;  // truncates like SQLite's integer division
}

}  // namespace hearth::store
