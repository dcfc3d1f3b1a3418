// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The store's view of a database, the same for both backends (SQLite in one file,
/// PostgreSQL over libpq): a `connection` runs SQL, a `statement` binds parameters and steps
/// through rows, a `transaction` commits or rolls back.
///
/// SQL is written once for both where the dialects agree, and they agree on most of what
/// hearth needs:
///  - parameters are `?1`, `?2`, ... (the PostgreSQL backend numbers them `$1`, `$2`, ...);
///  - upserts are `INSERT ... ON CONFLICT (key) DO UPDATE SET x = excluded.x`, and
///    "insert if absent" is `ON CONFLICT DO NOTHING`;
///  - identifiers that are keywords in either dialect are double-quoted (`"user"`);
///  - times are integer milliseconds since the epoch (BIGINT on PostgreSQL).
/// Where they differ (a function name, the readings table, the schema), the table module
/// asks `dialect()`.
///
/// Threading: one `connection` belongs to one thread at a time. Errors from the backend
/// become `store_error` exceptions here and are caught at the store's public boundary
/// (pipeline, writer, API, CLI), where they become values and a health state.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hearth::store {

enum class dialect { sqlite, postgresql };

class store;

/// What went wrong, by kind. The numbers are SQLite's primary result codes, so that the
/// SQLite backend passes its codes through; PostgreSQL errors map onto the same kinds.
enum class errc : int {
  error = 1,
  busy = 5,           ///< a lock held by another connection
  corrupt = 11,       ///< the database file is damaged
  full = 13,          ///< disk (or database) full
  cantopen = 14,      ///< cannot open or reach the database
  constraint = 19,    ///< a row breaks a constraint (duplicate key, append-only table)
  notadb = 26,        ///< the file is not a database
  unavailable = 101,  ///< the database server is unreachable or restarting
  fenced = 102,       ///< this node's lease epoch is no longer current: the write is refused
};

struct store_error : std::runtime_error {
  errc code;
  store_error(errc c, const std::string& what) : std::runtime_error(what), code(c) {}
};

/// How a connection is opened. SQLite has no use for these (it is one file on one node).
struct connection_options {
  /// High availability: every transaction of this connection begins by checking that the
  /// lease row still carries this epoch, and fails with errc::fenced when another node has
  /// taken the lease since. The check holds a key-share lock on the lease row until the
  /// transaction ends, so a takeover waits for a write in progress and no write of an old
  /// epoch commits after it.
  std::optional<std::int64_t> fence_epoch;
  /// The longest one statement may wait for the server; past it the connection is dropped
  /// (errc::unavailable) and opened again on next use.
  std::chrono::milliseconds query_timeout{10'000};
  /// Shown in pg_stat_activity.
  std::string application_name = "hearthd";
  /// Run after every (re)connect (session settings).
  std::string session_sql;
};

/// One backend's prepared statement. See `statement`.
class statement_impl {
 public:
  virtual ~statement_impl() = default;
  virtual void bind_int64(int i, std::int64_t v) = 0;
  virtual void bind_double(int i, double v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_blob(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  virtual bool step() = 0;
  virtual void reset() = 0;
  /// Runs to completion, rows unread, and resets. A backend may send it and collect its
  /// outcome later, inside a transaction (PostgreSQL's pipeline): an error then fails the
  /// transaction at its next statement that reads, at `changes()` or at commit.
  virtual void run() {
    while (step()) {
    }
    reset();
  }
  /// Sends the statement now; its first `step()` reads the first row. A backend with a
  /// pipeline (PostgreSQL in a transaction) does not wait: statements sent one after another
  /// cost one round trip, taken by the first `step()` among them. Others run it here.
  virtual void send() = 0;
  virtual std::int64_t int64(int col) const = 0;
  virtual double real(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual std::string_view text_view(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  virtual int columns() const = 0;
};

/// A statement with its parameters (numbered from 1) and, after `step()`, the current row
/// (columns numbered from 0). Reusable: `run()` and `reset()` clear the bindings.
class statement {
 public:
  explicit statement(std::unique_ptr<statement_impl> p) : p_(std::move(p)) {}

  statement& bind(int i, std::int64_t v) {
    p_->bind_int64(i, v);
    return *this;
  }
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, double v) {
    p_->bind_double(i, v);
    return *this;
  }
  statement& bind(int i, std::string_view v) {
    p_->bind_text(i, v);
    return *this;
  }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind_blob(int i, std::string_view v) {
    p_->bind_blob(i, v);
    return *this;
  }
  statement& bind_null(int i) {
    p_->bind_null(i);
    return *this;
  }
  /// Binds an optional text: empty strings become NULL.
  statement& bind_text_or_null(int i, std::string_view v) {
    return v.empty() ? bind_null(i) : bind(i, v);
  }

  /// Runs the statement on the first call; true while a row is available.
  bool step() { return p_->step(); }
  /// Runs to completion (for writes) and resets for reuse. Inside a transaction on
  /// PostgreSQL it is sent without waiting for its outcome (statement_impl::run).
  void run() { p_->run(); }
  void reset() { p_->reset(); }
  /// Runs it now and reads its rows later (statement_impl::send): for a statement whose rows
  /// are needed only after others have been sent.
  void send() { p_->send(); }

  std::int64_t int64(int col) const { return p_->int64(col); }
  double real(int col) const { return p_->real(col); }
  std::string text(int col) const { return p_->text(col); }
  /// A text column without copying it: valid until the next step() or reset(). Not for
  /// blobs (PostgreSQL sends those hex-encoded; `text()` decodes them).
  std::string_view text_view(int col) const { return p_->text_view(col); }
  bool is_null(int col) const { return p_->is_null(col); }
  int columns() const { return p_->columns(); }

 private:
  std::unique_ptr<statement_impl> p_;
};

/// A connection to the database, SQLite or PostgreSQL.
class connection {
 public:
  virtual ~connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  virtual hearth::store::dialect dialect() const = 0;
  /// Runs SQL without parameters (several statements separated by ';' are allowed).
  virtual void exec(std::string_view sql) = 0;
  virtual statement prepare(std::string_view sql) = 0;
  /// Rows inserted, updated or deleted by the last statement that ran to completion.
  virtual std::int64_t changes() = 0;
  /// What the connection is to (a file path, or a URI without its password): for messages.
  virtual const std::string& name() const = 0;

  /// Transactions (see `transaction`): depth 0 means none is open.
  void begin();
  void commit();
  void rollback() noexcept;
  int transaction_depth() const { return depth_; }
  /// Which transaction is open: a number that changes with each outermost `begin`, so that
  /// what was learned inside one (the audit chain's last row, under its lock) is not
  /// trusted in the next.
  std::uint64_t transaction_serial() const { return serial_; }

 protected:
  connection() = default;
  /// SQLite: BEGIN IMMEDIATE (a writer waits for the lock at the start, not at commit).
  /// PostgreSQL: BEGIN, and the lease check when the connection is fenced.
  virtual void begin_transaction() = 0;
  virtual void commit_transaction() = 0;
  virtual void rollback_transaction() = 0;

 private:
  int depth_ = 0;
  std::uint64_t serial_ = 0;
  bool doomed_ = false;  ///< a joined transaction rolled back: the outer one cannot commit
};

/// Commits on `commit()`, rolls back when destroyed without it. A transaction opened while
/// another is open on the same connection joins it: it commits with the outer one (and an
/// exception that leaves it rolls the outer one back when that one is left too).
class transaction {
 public:
  explicit transaction(connection& c) : c_(c) { c_.begin(); }
  /// On the store's own connection (store.cpp).
  explicit transaction(store& s);
  ~transaction() {
    if (!done_) c_.rollback();
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit() {
    c_.commit();
    done_ = true;
  }

 private:
  connection& c_;
  bool done_ = false;
};

}  // namespace hearth::store
