// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <list>
#include <unordered_map>

namespace hearth::store {

/// Compiled statements kept by their SQL, least recently kept last. One is kept for each
/// SQL text (a second, from a nested use of the same SQL, is finalized).
class statement_cache {
 public:
  explicit statement_cache(std::size_t capacity) : capacity_(capacity) {}
  ~statement_cache() { clear(); }
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  /// The statement kept for `sql`, now the caller's; nullptr when none is kept.
  sqlite3_stmt* take(std::string_view sql) {
    const auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    sqlite3_stmt* s = it->second->stmt;
    const auto at = it->second;
    index_.erase(it);
    kept_.erase(at);
    ++reused_;
    return s;
  }
  /// Keeps `s`, already reset, for `sql`. Noexcept: a statement that cannot be kept is
  /// finalized.
  void keep(std::string&& sql, sqlite3_stmt* s) noexcept {
    try {
      if (capacity_ == 0 || index_.count(sql) != 0) {
        sqlite3_finalize(s);
        return;
      }
      kept_.push_front({std::move(sql), s});
      index_.emplace(kept_.front().sql, kept_.begin());
    } catch (...) {
      sqlite3_finalize(s);
      return;
    }
    if (kept_.size() > capacity_) {
      index_.erase(kept_.back().sql);
      sqlite3_finalize(kept_.back().stmt);
      kept_.pop_back();
    }
  }
  void clear() noexcept {
    index_.clear();
    for (auto& k : kept_)
      sqlite3_finalize(k.stmt);
    kept_.clear();
  }
  std::size_t reused() const { return reused_; }
  std::size_t compiled = 0;

 private:
  struct entry {
    std::string sql;
    sqlite3_stmt* stmt;
  };
  std::size_t capacity_;
  std::list<entry> kept_;  ///< most recently kept first
  /// Keys view the SQL in `kept_`'s nodes, which never move.
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;
  std::size_t reused_ = 0;
};

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw store_error(sqlite_errc(rc),
                    fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class sqlite_statement final : public statement_impl {
 public:
  /// Takes `sql`'s statement from `cache`, or compiles it.
  sqlite_statement(sqlite3* db, std::string_view sql, const std::shared_ptr<statement_cache>& cache)
      : db_(db), sql_(sql), cache_(cache) {
    s_ = cache->take(sql);
    if (!s_) {
      const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
      if (rc != SQLITE_OK) fail(db, rc, "prepare");
      ++cache->compiled;
    }
  }
  /// Reset (so that it holds no lock and no bindings) and kept for the next `prepare` of
  /// its SQL; finalized if the connection is gone.
  ~sqlite_statement() override {
    if (const auto cache = cache_.lock()) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
      cache->keep(std::move(sql_), s_);
    } else {
      sqlite3_finalize(s_);
    }
  }
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;

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
  std::string sql_;
  std::weak_ptr<statement_cache> cache_;
};

}  // namespace

sqlite_connection::sqlite_connection(const std::string& path)
    : path_(path), cache_(std::make_shared<statement_cache>(k_kept_statements)) {
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
  // Statements still held elsewhere finalize themselves; sqlite3_close_v2 waits for them.
  cache_.reset();
  sqlite3_close_v2(db_);
}

statement sqlite_connection::prepare(std::string_view sql) {
  return statement(std::make_unique<sqlite_statement>(db_, sql, cache_));
}

std::size_t sqlite_connection::compiled() const {
  return cache_->compiled;
}

std::size_t sqlite_connection::reused() const {
  return cache_->reused();
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
