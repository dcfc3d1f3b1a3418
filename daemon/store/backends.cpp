// SPDX-License-Identifier: Apache-2.0
// Which backend a `database:` setting names, and its connections and writer sink.
#include "store/postgres.hpp"
#include "store/sink.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace hearth::store {

bool is_postgresql(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

std::unique_ptr<connection> open_connection(const std::string& database,
                                            const connection_options& o) {
  if (is_postgresql(database)) return std::make_unique<pg_connection>(database, o);
  return std::make_unique<sqlite_connection>(database);
}

std::unique_ptr<sink> make_sink(const std::string& database, telemetry& t,
                                const writer_options& o) {
  if (is_postgresql(database)) return make_pg_sink(database, o);
  return make_sqlite_sink(database, t, o);
}

}  // namespace hearth::store
