// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The audit trail: an append-only, hash-chained table (issue 5, "Audit"). Each row's hash
/// is SHA-256 over the previous row's hash and the row's canonical content, so editing,
/// deleting or reordering a row breaks the chain from that row on; `verify_audit` finds
/// the first row where it breaks. Triggers refuse UPDATE and DELETE as a guard against
/// accidents; the chain is what detects a deliberate edit.
///
/// Also: silences and "away" records, which the alert book keeps in memory and the store
/// keeps across restarts.
///
/// Threading: the caller's connection (the domain thread's `store`, or a CLI command).
/// SQLite errors are `store_error` exceptions, as in the rest of store/.

#include <boost/json/array.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/book.hpp"
#include "store/sqlite.hpp"

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

/// Appends rows in order, chaining each to the last. Call inside the caller's transaction
/// so that rows and the state they describe commit together.
void append_audit(connection& c, const std::vector<alerts::audit_entry>& rows);

/// Rows about one alert, oldest first.
std::vector<audit_row> audit_for_alert(connection& c, const std::string& alert_id);
/// Every row, oldest first (export, tests).
std::vector<audit_row> audit_rows(connection& c, std::int64_t after_seq = 0,
                                  std::size_t limit = 100'000);

struct audit_verdict {
  std::int64_t rows = 0;            ///< rows checked
  std::optional<std::int64_t> bad;  ///< seq of the first row that does not verify
  std::string problem;              ///< what is wrong with it
  bool ok() const { return !bad; }
};
/// Walks the whole chain. Streams rows: memory does not grow with the table.
audit_verdict verify_audit(connection& c);

/// The alert's timeline as the API and `hearthd audit export` give it:
/// [{"at","actor","action","note","channel"}].
boost::json::array timeline_json(const std::vector<audit_row>& rows);

// --- silences and away -------------------------------------------------------------------

void save_silence(connection& c, const alerts::silence& s);
/// Marks a silence deleted (it stays in the table for the record).
void delete_silence(connection& c, const std::string& id, const std::string& actor, time_point at);
/// Silences not deleted and not yet expired at `now`.
std::vector<alerts::silence> load_silences(connection& c, time_point now);
std::uint64_t max_silence_id(connection& c);

void save_away(connection& c, const alerts::away& a);
std::vector<alerts::away> load_aways(connection& c, time_point now);

/// One alert by id, in any state (with its lifecycle fields), or nullopt.
std::optional<alerts::alert> load_alert(connection& c, const std::string& id);

}  // namespace hearth::store
