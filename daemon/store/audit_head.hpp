// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The audit chain's head, anchored outside the database (issue 18, defect 4).
///
/// A hash chain shows that no row in the middle was changed, but whoever holds the file can
/// cut rows off its end, or change a row and re-hash every row after it, and the chain
/// still verifies. So hearthd states where the chain ended: the head (how many rows, the
/// last row's hash, the highest alert id in the alerts table, when), signed with
/// HMAC-SHA256 under a key read from `audit.key_file`, a file the database does not hold.
/// It is published retained on MQTT `hearth/audit/head`, written beside a SQLite database
/// as `<database>.head`, and beside each backup as `<backup>.head`. `hearthd audit verify
/// --head H` checks the chain against such a head: fewer rows (truncation, deletion), or
/// another hash at that row (a rewrite), is a broken trail.
///
/// The head as JSON, keys in this order:
///   {"rows":N,"hash":"<hex>","last_alert_id":N,"at":"<RFC 3339>","hmac":"<hex>"|null}
/// The HMAC is over the same object without "hmac", serialized in that order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace hearth::store {

struct audit_head {
  std::int64_t rows = 0;            ///< rows in the chain (the last row's seq)
  std::string hash;                 ///< the last row's hash; the genesis hash when empty
  std::uint64_t last_alert_id = 0;  ///< the highest alert id the alerts table held
  time_point at{};                  ///< when it was taken
  std::string hmac;                 ///< lower-case hex; empty when unsigned
  bool operator==(const audit_head&) const = default;
};

/// What the HMAC covers: the head without its hmac, as JSON in a fixed key order.
std::string canonical_head(const audit_head& h);
/// hex(HMAC-SHA256(key, canonical_head(h))), through OpenSSL.
std::string head_hmac(const audit_head& h, std::string_view key);
/// `h` with its hmac set (left empty when `key` is empty).
audit_head signed_head(audit_head h, std::string_view key);
/// The head as JSON (see above): what is published, and what `--head` reads.
std::string head_json(const audit_head& h);
/// Reads a head; nullopt with `why` set when the text is not one.
std::optional<audit_head> parse_head(std::string_view text, std::string& why);

/// The shortest HMAC key accepted from `audit.key_file`, in bytes.
inline constexpr std::size_t k_min_head_key = 16;

/// Writes `text` to `path` through `<path>.tmp`, fsynced and renamed over (then the folder
/// fsynced), so that a reader sees the old file or the new, never half of one. Throws
/// store_error naming the file and the cause.
void replace_file_synced(const std::string& path, const std::string& text);

}  // namespace hearth::store
