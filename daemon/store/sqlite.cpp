// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <list>
#include <unordered_map>

namespace hearth::store {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw store_error(sqlite_errc(rc),
                    fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

/// A compiled statement and the SQL it was compiled from.
struct compiled_statement {
  std::string sql;
  sqlite3_stmt* stmt = nullptr;
};

/// Compiled statements kept by their SQL, most recently given back first. One is kept for
/// each SQL text (a second, from a nested use of the same SQL, is finalized).
class statement_cache {
 public:
  explicit statement_cache(std::size_t capacity) : capacity_(capacity) {}
  ~statement_cache() { clear(); }
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  /// The statement kept for `sql`, now the caller's, or `sql` compiled on `db`.
  compiled_statement acquire(sqlite3* db, std::string_view sql) {
    if (const auto it = index_.find(sql); it != index_.end()) {
      const auto at = it->second;
      index_.erase(it);
      compiled_statement out = std::move(*at);
      kept_.erase(at);
      ++reused_;
      return out;
    }
    compiled_statement out{std::string(sql)};
    const int rc =
        sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &out.stmt, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "prepare");
    ++compiled_;
    return out;
  }
  /// Keeps `c`, already reset; the least recently kept goes when full. Noexcept: a
  /// statement that cannot be kept is finalized.
  void keep(compiled_statement&& c) noexcept {
    try {
      if (index_.count(c.sql) != 0) {
        sqlite3_finalize(c.stmt);
        return;
      }
      kept_.push_front(std::move(c));
      index_.emplace(kept_.front().sql, kept_.begin());
    } catch (...) {
      sqlite3_finalize(c.stmt);
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
  std::size_t compiled() const { return compiled_; }
  std::size_t reused() const { return reused_; }

 private:
  std::size_t capacity_;
  std::list<compiled_statement> kept_;
  /// Keys view the SQL in `kept_`'s nodes, which never move.
  std::unordered_map<std::string_view, std::list<compiled_statement>::iterator> index_;
  std::size_t compiled_ = 0, reused_ = 0;
};

namespace {

class sqlite_statement final : public statement_impl {
 public:
  /// Takes `sql`'s statement from `cache`, or compiles it.
  sqlite_statement(sqlite3* db, std::string_view sql, const std::shared_ptr<statement_cache>& cache)
      : db_(db), c_(cache->acquire(db, sql)), cache_(cache) {}
  /// Reset (so that it holds no lock and no bindings) and kept for the next `prepare` of
  /// its SQL; finalized if the connection is gone.
  ~sqlite_statement() override {
    if (const auto cache = cache_.lock()) {
      sqlite3_reset(c_.stmt);
      sqlite3_clear_bindings(c_.stmt);
      cache->keep(std::move(c_));
    } else {
      sqlite3_finalize(c_.stmt);
    }
  }
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;

  void bind_int64(int i, std::int64_t v) override { check(sqlite3_bind_int64(c_.stmt, i, v)); }
  void bind_double(int i, double v) override { check(sqlite3_bind_double(c_.stmt, i, v)); }
  void bind_text(int i, std::string_view v) override {
    check(sqlite3_bind_text(c_.stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_blob(int i, std::string_view v) override {
    check(sqlite3_bind_blob(c_.stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(c_.stmt, i)); }

  bool step() override {
    if (sent_ != sent::no) {  // send() stepped to the first row, or found none
      const bool row = sent_ == sent::row;
      if (row) sent_ = sent::no;
      return row;
    }
    const int rc = sqlite3_step(c_.stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(c_.stmt);
    fail(db_, rc, "step");
  }
  void send() override { sent_ = step() ? sent::row : sent::done; }
  void reset() override {
    sent_ = sent::no;
    sqlite3_reset(c_.stmt);
    sqlite3_clear_bindings(c_.stmt);
  }

  std::int64_t int64(int col) const override { return sqlite3_column_int64(c_.stmt, col); }
  double real(int col) const override { return sqlite3_column_double(c_.stmt, col); }
  std::string text(int col) const override { return std::string(text_view(col)); }
  std::string_view text_view(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(c_.stmt, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(c_.stmt, col)))
             : std::string_view();
  }
  bool is_null(int col) const override { return sqlite3_column_type(c_.stmt, col) == SQLITE_NULL; }
  int columns() const override { return sqlite3_column_count(c_.stmt); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }
  sqlite3* db_;
  compiled_statement c_;
  /// What send() found, for the next step(): a row, or the end (a DONE statement stepped
  /// again would run again).
  enum class sent { no, row, done } sent_ = sent::no;
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
  return cache_->compiled();
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
