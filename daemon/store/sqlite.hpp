// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A thin RAII layer over the SQLite C API. One `connection` belongs to one thread at a
/// time. Errors from SQLite become `store_error` exceptions here and are caught at the
/// store's public boundary, where they turn into values and a health state.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hearth::store {

struct store_error : std::runtime_error {
  int code;
  store_error(int c, const std::string& what) : std::runtime_error(what), code(c) {}
};

class statement {
 public:
  statement(sqlite3* db, std::string_view sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view v);
  statement& bind_blob(int i, std::string_view v);
  statement& bind_null(int i);
  /// Binds an optional text: empty strings become NULL.
  statement& bind_text_or_null(int i, std::string_view v) {
    return v.empty() ? bind_null(i) : bind(i, v);
  }

  /// Steps once. Returns true while a row is available.
  bool step();
  /// Steps to completion (for writes) and resets for reuse.
  void run();
  void reset();

  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  double real(int col) const { return sqlite3_column_double(s_, col); }
  std::string text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int columns() const { return sqlite3_column_count(s_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

class connection {
 public:
  /// Opens (creating if needed) and applies WAL, synchronous=NORMAL, busy_timeout and
  /// foreign keys. ":memory:" is allowed.
  explicit connection(const std::string& path);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(std::string_view sql);
  statement prepare(std::string_view sql) { return statement(db_, sql); }
  sqlite3* raw() const { return db_; }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  const std::string& path() const { return path_; }
  void set_busy_timeout(int ms) { sqlite3_busy_timeout(db_, ms); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// Commits on `commit()`, rolls back when destroyed without it. BEGIN IMMEDIATE, so that
/// a writer waits for the lock at the start rather than failing at commit.
class transaction {
 public:
  explicit transaction(connection& c) : c_(c) { c_.exec("BEGIN IMMEDIATE"); }
  ~transaction() {
    if (!done_) {
      try {
        c_.exec("ROLLBACK");
      } catch (...) {
      }
    }
  }
  void commit() {
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  connection& c_;
  bool done_ = false;
};

}  // namespace hearth::store
