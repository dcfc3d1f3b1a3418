// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The audit trail: an append-only, hash-chained table (issue 5, "Audit"). Each row's hash
/// is SHA-256 over the previous row's hash and the row's canonical content, so editing,
/// deleting or reordering a row breaks the chain from that row on; `store::verify_audit`
/// finds the first row where it breaks. Triggers refuse UPDATE and DELETE as a guard
/// against accidents; the chain is what detects a deliberate edit. The hash covers the
/// content only, never how a backend stores it, so a chain copied from SQLite into
/// PostgreSQL (`hearthd migrate`) still verifies.
///
/// The chain covers the alerts table too (issue 18, defect 4): every time an alert row is
/// written (save_alert, erasure), a `recorded` row follows it in the same transaction with
/// the digest of the row as stored (subject `row:<sha256>`). `verify_audit` compares each
/// alert row with the chain's last record of it, so an outcome changed in the file, an
/// alert added or deleted, breaks the trail. Timelines leave `recorded` rows out.
/// Where the chain ends is anchored outside the database: see audit_head.hpp.
///
/// The table's reads and writes are `store` methods (store.hpp, audit.cpp); this header has
/// the row types and the pure functions of the chain.

#include <boost/json/array.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/book.hpp"
#include "store/sql.hpp"

namespace hearth::store {

struct audit_row {
  std::int64_t seq = 0;
  alerts::audit_entry entry;
  std::string prev_hash, hash;  ///< lower-case hex
};

/// The hash of the row before the first one.
inline constexpr std::string_view k_genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical content that is hashed: a JSON object with a fixed key order.
std::string canonical_audit_row(std::int64_t seq, const alerts::audit_entry& e);
/// hex(SHA-256(prev_hash "\n" canonical_audit_row)), through OpenSSL EVP.
std::string chain_hash(std::string_view prev_hash, std::int64_t seq, const alerts::audit_entry& e);

/// The action of the row that records an alert row's digest, and its subject's prefix.
inline constexpr std::string_view k_recorded_action = "recorded";
inline constexpr std::string_view k_recorded_prefix = "row:";
/// The alerts table's columns in the order that a `recorded` row's digest reads them.
inline constexpr std::string_view k_alert_row_columns =
    "id, key, rule, priority, state, opened_at, updated_at, body";

/// The `recorded` row for the alert row that `row` holds, its columns read in the order
/// of k_alert_row_columns.
alerts::audit_entry recorded_entry(const statement& row, time_point at);

/// `n` bytes as lower-case hex.
std::string lower_hex(const unsigned char* bytes, std::size_t n);
/// hex(SHA-256(data)), through OpenSSL EVP.
std::string sha256_hex(std::string_view data);

struct audit_verdict {
  std::int64_t rows = 0;    ///< rows checked
  std::int64_t alerts = 0;  ///< alert rows that match the chain's record of them
  /// Alert rows older than the chain's records of alert rows (written before hearthd kept
  /// them), which the chain cannot vouch for.
  std::int64_t unrecorded_alerts = 0;
  std::optional<std::int64_t> bad;  ///< seq of the first row that does not verify
  std::string problem;              ///< what is wrong with it
  bool ok() const { return !bad; }
};

/// Checks `rows` (in seq order) as the continuation of a chain whose last row had
/// `expected_seq - 1` and `prev`; advances both. Used a page at a time by verify_audit.
bool verify_audit_page(const std::vector<audit_row>& rows, std::string& prev,
                       std::int64_t& expected_seq, audit_verdict& v);

/// The alert's timeline as the API and `hearthd audit export` give it:
/// [{"at","actor","action","note","channel"}].
boost::json::array timeline_json(const std::vector<audit_row>& rows);

}  // namespace hearth::store
