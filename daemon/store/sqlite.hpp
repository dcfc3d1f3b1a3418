// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The SQLite backend of `connection`: a thin RAII layer over the SQLite C API, one file in
/// WAL mode. SQLite's result codes become `store_error` with the same `errc` number.

#include <sqlite3.h>

#include <string>

#include "store/sql.hpp"

namespace hearth::store {

class sqlite_connection final : public connection {
 public:
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

 protected:
  void begin_transaction() override { exec("BEGIN IMMEDIATE"); }
  void commit_transaction() override { exec("COMMIT"); }
  void rollback_transaction() override { exec("ROLLBACK"); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// `rc` as a store error kind.
inline errc sqlite_errc(int rc) {
  return static_cast<errc>(rc & 0xff);
}

}  // namespace hearth::store
