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
///
/// Threading: one thread at a time, like every connection.

#include <libpq-fe.h>

#include <string>

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
  std::int64_t changes() override { return changes_; }
  const std::string& name() const override { return name_; }

  /// Runs a prepared statement's SQL with its parameters; the result is the caller's.
  /// Used by the statements of this backend.
  PGresult* run(const std::string& sql, int n, const char* const* values, const int* lengths,
                const int* formats, const unsigned* types);
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

  std::string uri_, name_;
  connection_options options_;
  PGconn* conn_ = nullptr;
  std::int64_t changes_ = 0;
};

/// `uri` with any password removed (for messages and logs).
std::string redact_uri(const std::string& uri);

/// `?N` placeholders as `$N`, outside quoted literals and identifiers.
std::string pg_placeholders(std::string_view sql);

}  // namespace hearth::store
