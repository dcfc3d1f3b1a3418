// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rows the store keeps that have no type of their own elsewhere (alerts, silences, rule
/// state and the registry have theirs in alerts/, engine/ and registry/).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"

namespace hearth::store {

/// Times are stored as integer milliseconds since the epoch on both backends.
inline std::int64_t to_ms(time_point t) {
  return t.time_since_epoch().count();
}
inline time_point from_ms(std::int64_t v) {
  return time_point{duration{v}};
}

struct quarantine_row {
  time_point received_at;
  std::string topic;
  std::string reason;   ///< normalize::reason code
  std::string detail;   ///< plain words
  std::string payload;  ///< raw bytes, capped at 64 KiB
};

struct unknown_sighting {
  std::string external_id;
  std::string topic;
  time_point at;
};

struct unknown_device {
  std::string external_id, last_topic;
  time_point first_seen, last_seen;
  std::int64_t count = 0;
};

struct stored_reading {
  hearth::metric metric;
  double value;
  time_point ts;
};

/// What a device reported of one metric, in short (a resident's data export).
struct reading_summary {
  hearth::metric metric;
  std::int64_t count = 0;
  time_point first, last;
  double min = 0, max = 0;
};

/// A console/API user as stored; auth/ gives `role` its meaning.
struct user_row {
  std::string name;
  std::string role;           ///< "operator", "supervisor", ...
  std::string password_hash;  ///< empty: no console password (API token only)
  time_point created_at;
  std::optional<time_point> disabled_at = std::nullopt;  ///< set: the user is disabled
  std::vector<std::string> caseload = {};  ///< extra caseload entries (auth/users.hpp)
};

/// An API token (kind "api", optional expiry) or a console session (kind "session"). Only
/// the token's SHA-256 is stored.
struct token_row {
  std::string hash;  ///< hex SHA-256 of the token
  std::string user;
  std::string kind;  ///< "api" or "session"
  time_point created_at;
  std::optional<time_point> expires_at;  ///< none: an API token that does not expire
};

/// An acknowledged shift handover: the summary [from, to) that `by` took over at `at`.
struct handover_row {
  std::int64_t id = 0;
  time_point from, to;
  std::string by;
  time_point at;
  std::string note;
};

}  // namespace hearth::store
