// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The SQLite backend of `connection`: a thin RAII layer over the SQLite C API, one file in
/// WAL mode. SQLite's result codes become `store_error` with the same `errc` number.
///
/// Compiled statements are kept for reuse: a `statement` that is destroyed is reset and
/// kept, by its SQL, and `prepare` of the same SQL takes it back instead of compiling the
/// text again (what the SQLite documentation advises for statements that run repeatedly).
/// At most `k_kept_statements` are kept, the least recently used going first, so SQL built
/// per call (an `IN` list of some length) cannot grow the cache.

#include <sqlite3.h>

#include <memory>
#include <string>

#include "store/sql.hpp"

namespace hearth::store {

class statement_cache;

class sqlite_connection final : public connection {
 public:
  /// The most compiled statements kept for reuse.
  static constexpr std::size_t k_kept_statements = 64;

  /// Opens (creating if needed) and applies WAL, synchronous=NORMAL, busy_timeout and
  /// foreign keys. ":memory:" is allowed.
  explicit sqlite_connection(const std::string& path);
  ~sqlite_connection() override;

  hearth::store::dialect dialect() const override { return dialect::sqlite; }
  void exec(std::string_view sql) override;
  statement prepare(std::string_view sql) override;
  std::int64_t changes() override { return sqlite3_changes64(db_); }
  const std::string& name() const override { return path_; }

  sqlite3* raw() const { return db_; }
  void set_busy_timeout(int ms) { sqlite3_busy_timeout(db_, ms); }
  /// Statements compiled, and statements taken back from the cache, since opening.
  std::size_t compiled() const;
  std::size_t reused() const;

 protected:
  void begin_transaction() override { exec("BEGIN IMMEDIATE"); }
  void commit_transaction() override { exec("COMMIT"); }
  void rollback_transaction() override { exec("ROLLBACK"); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  /// Shared with the statements it hands out, which outlive it only as plain statements.
  std::shared_ptr<statement_cache> cache_;
};

/// `rc` as a store error kind.
inline errc sqlite_errc(int rc) {
  return static_cast<errc>(rc & 0xff);
}

}  // namespace hearth::store
