// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite.hpp"

#include <fmt/format.h>

namespace hearth::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw store_error(sqlite_errc(rc),
                    fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class sqlite_statement final : public statement_impl {
 public:
  sqlite_statement(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "prepare");
  }
  ~sqlite_statement() override { sqlite3_finalize(s_); }

  void bind_int64(int i, std::int64_t v) override { check(sqlite3_bind_int64(s_, i, v)); }
  void bind_double(int i, double v) override { check(sqlite3_bind_double(s_, i, v)); }
  void bind_text(int i, std::string_view v) override {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_blob(int i, std::string_view v) override {
    check(sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(s_, i)); }

  bool step() override {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(s_);
    fail(db_, rc, "step");
  }
  void reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::int64_t int64(int col) const override { return sqlite3_column_int64(s_, col); }
  double real(int col) const override { return sqlite3_column_double(s_, col); }
  std::string text(int col) const override { return std::string(text_view(col)); }
  std::string_view text_view(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int columns() const override { return sqlite3_column_count(s_); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace

sqlite_connection::sqlite_connection(const std::string& path) : path_(path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw store_error(sqlite_errc(rc), fmt::format("cannot open database {}: {}", path, msg));
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA foreign_keys=ON");
  if (path != ":memory:") {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
  }
}

sqlite_connection::~sqlite_connection() {
  sqlite3_close_v2(db_);
}

statement sqlite_connection::prepare(std::string_view sql) {
  return statement(std::make_unique<sqlite_statement>(db_, sql));
}

void sqlite_connection::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw store_error(sqlite_errc(rc), fmt::format("{}: {}", s.substr(0, 60), msg));
  }
}

}  // namespace hearth::store
