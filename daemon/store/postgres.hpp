// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The PostgreSQL backend of `connection`, over libpq (Debian's libpq-dev).
///
/// - A statement runs as one extended-protocol round trip (PQsendQueryParams): parameters
///   `?N` become `$N`; integers are sent as int8, reals as float8, texts untyped (the server
///   infers the column's type), blobs as binary bytea. Results come back as text and are
///   converted on access; a bytea column is decoded from its hex form.
/// - Texts that are not valid UTF-8 (or hold NUL bytes, which PostgreSQL refuses) are
///   repaired with U+FFFD when bound, so that one bad message can never fail a batch.
/// - Every wait for the server is bounded (`connection_options::query_timeout`). A lost or
///   timed-out connection fails the statement with errc::unavailable and is opened again
///   by the next statement outside a transaction, so the daemon recovers by itself after
///   a PostgreSQL restart.
/// - `connection_options::fence_epoch` fences every transaction by the lease epoch.
/// - Inside a transaction the connection is in libpq's pipeline mode: BEGIN (with its
///   fence), and every statement whose rows nobody reads (`statement::run`), are sent
///   without waiting; the next statement that reads rows, `changes()` or COMMIT sends a
///   sync and collects every outcome in order. A transaction of writes is then one round
///   trip. A statement whose rows are read later (`statement::send`) is sent the same way
///   and given its result at that sync, so that an alert's transaction is two round trips
///   (its reads, then its writes and the commit) instead of eight. An error in a statement
///   sent ahead is thrown there, and the transaction rolls back as it would have.
///
/// Threading: one thread at a time, like every connection.

#include <libpq-fe.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "store/sql.hpp"

namespace hearth::store {

class pg_connection final : public connection {
 public:
  /// Connects (throws store_error errc::unavailable/cantopen when it cannot).
  pg_connection(const std::string& uri, connection_options o = {});
  ~pg_connection() override;

  hearth::store::dialect dialect() const override { return dialect::postgresql; }
  void exec(std::string_view sql) override;
  statement prepare(std::string_view sql) override;
  std::int64_t changes() override;
  const std::string& name() const override { return name_; }

  /// Runs a prepared statement's SQL with its parameters; the result is the caller's.
  /// Used by the statements of this backend.
  PGresult* run(const std::string& sql, int n, const char* const* values, const int* lengths,
                const int* formats, const unsigned* types);
  /// The same, when nobody reads its rows: inside a transaction it is only sent, and its
  /// outcome is collected at the next sync.
  void run_unread(const std::string& sql, int n, const char* const* values, const int* lengths,
                  const int* formats, const unsigned* types);
  /// Where a statement sent ahead (`statement::send`) is given its result at the sync.
  class result_slot {
   public:
    virtual void take(PGresult* r) = 0;  ///< the caller's to clear; nullptr when it failed

   protected:
    ~result_slot() = default;
  };
  /// The same, when its rows are read later: inside a transaction it is only sent, and
  /// `into` takes its result at the next sync (`read_sent`). Outside one it runs now.
  void run_for(result_slot& into, const std::string& sql, int n, const char* const* values,
               const int* lengths, const int* formats, const unsigned* types);
  /// Sends the sync that gives every statement sent ahead its result; throws as a sync does.
  /// A slot still waiting afterwards was dropped with the connection (errc::unavailable).
  void read_sent(const result_slot& s);
  /// A slot that no longer wants its result (its statement was reset or destroyed).
  void forget(const result_slot& s) noexcept;
  /// Round trips to the server so far (each waits for it): for tests and benches.
  std::uint64_t round_trips() const { return round_trips_; }
  /// Changes the epoch that fences this connection's transactions (none: unfenced).
  void set_fence(std::optional<std::int64_t> epoch) { options_.fence_epoch = epoch; }

 protected:
  void begin_transaction() override;
  void commit_transaction() override;
  void rollback_transaction() override;

 private:
  void connect();
  /// The live connection, opened again if it was lost (only outside a transaction).
  PGconn* live();
  /// Sends what was queued and collects every result; throws on the first error.
  PGresult* finish(const char* what);
  void drop();

  /// A statement sent in pipeline mode whose outcome is not collected yet.
  struct pending {
    std::string what;             ///< for messages: the start of its SQL
    bool fence = false;           ///< the lease check: exactly one row, or the write is refused
    result_slot* into = nullptr;  ///< a statement sent ahead, given its result at the sync
  };
  void enter_pipeline();
  void send(const std::string& sql, int n, const char* const* values, const int* lengths,
            const int* formats, const unsigned* types, pending p);
  /// Sends a sync and collects the outcome of everything pending, in order; the last
  /// statement's result is returned (the caller's) when `keep_last`. Throws the first
  /// error once all of it is read, so the connection stays usable.
  PGresult* sync(bool keep_last);
  /// Collects what is pending and leaves pipeline mode (for a plain query).
  void leave_pipeline();
  /// Reads one statement's results to their end, waiting up to `deadline`: its last
  /// successful result when `keep` (the caller's), else nullptr. Counts its rows in
  /// `changes_`, and records the first error in `first` (a statement a pipeline skipped
  /// after an error is none).
  PGresult* collect(std::chrono::steady_clock::time_point deadline, const char* what, bool keep,
                    std::optional<store_error>& first);
  /// The next result, waiting for it up to `deadline`; nullptr at the end of a statement's.
  PGresult* next_result(std::chrono::steady_clock::time_point deadline, const char* what);

  std::string uri_, name_;
  connection_options options_;
  PGconn* conn_ = nullptr;
  std::int64_t changes_ = 0;
  std::uint64_t round_trips_ = 0;
  bool piped_ = false;  ///< in pipeline mode (inside a transaction)
  std::vector<pending> pending_;
};

/// `uri` with any password removed (for messages and logs).
std::string redact_uri(const std::string& uri);

/// `?N` placeholders as `$N`, outside quoted literals and identifiers.
std::string pg_placeholders(std::string_view sql);

}  // namespace hearth::store
