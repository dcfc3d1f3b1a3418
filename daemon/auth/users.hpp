// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Users, roles, tokens and sessions (issue 6), kept in the store's `users` and `tokens`
/// tables (store/users_table.cpp); this part gives them meaning.
///
/// - A user has a name (for a social worker, the name used in the registry's
///   `social_worker` column, e.g. "sw-lu"), a role, and optionally a console password hash
///   (see credentials.hpp). Users are created with `hearthd users add`.
/// - A token row is either an API token (kind "api", printed once by `hearthd users add`
///   or `hearthd users token`, with an optional expiry) or a console session (kind
///   "session", from POST /api/v1/login, with an expiry). Only the token's SHA-256 is
///   stored.
/// - A disabled user keeps its rows but no credential of it is accepted; disabling deletes
///   its sessions. Removing a user deletes its tokens.
/// - A social worker's caseload is the residents whose registry `social_worker` is the
///   user's name, plus the user's `caseload` entries (issue 16): `resident:<id>` (one more
///   resident) or `worker:<name>` (every resident of another worker, e.g. cover for leave).
///
/// Threading: the caller's store (the domain thread's, or a CLI command's).
/// Database errors are `store_error` exceptions, as in store/; a duplicate user is the value
/// `conflict`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/store.hpp"

namespace hearth::auth {

enum class role { operator_desk, supervisor, social_worker, integrator, admin };
std::string_view role_name(role r);  ///< "operator", "supervisor", "social_worker", ...
std::optional<role> role_from_name(std::string_view s);

/// 1-64 of letters, digits, '-', '_', '.', '@'.
bool valid_user_name(std::string_view name);

struct user {
  std::string name;
  auth::role role = role::operator_desk;
  std::string password_hash;  ///< empty: no console password (API token only)
  time_point created_at;
  std::optional<time_point> disabled_at = std::nullopt;  ///< set: no credential is accepted
  std::vector<std::string> caseload = {};                ///< extra caseload entries (see above)
};

/// True for "resident:<id>" and "worker:<name>" with a valid id or name.
bool valid_caseload_entry(std::string_view e);

using token = store::token_row;

status add_user(store::store& st, const user& u);
std::optional<user> find_user(store::store& st, std::string_view name);
/// By name; `password_hash` is "set" or empty (whether the user has a console password).
std::vector<user> list_users(store::store& st);

void add_token(store::store& st, const token& t);
/// The token with this hash, if it exists and has not expired at `now`.
std::optional<token> find_token(store::store& st, std::string_view hash, time_point now);
void delete_token(store::store& st, std::string_view hash);
/// Removes sessions that expired before `now` (housekeeping; returns how many).
int delete_expired_tokens(store::store& st, time_point now);
/// The user's tokens (both kinds, expired ones too), oldest first.
std::vector<token> tokens_of(store::store& st, std::string_view user);
/// Deletes the user's tokens of `kind` ("api" or "session"), or all of them; returns how many.
int delete_tokens(store::store& st, std::string_view user,
                  std::optional<std::string_view> kind = std::nullopt);

// Changes to a user; `not-found` when there is no such user.
status remove_user(store::store& st, std::string_view name);
status set_password_hash(store::store& st, std::string_view name, std::string_view hash);
status set_role(store::store& st, std::string_view name, role r);
/// `bad-request` for an entry that is not valid_caseload_entry.
status set_caseload(store::store& st, std::string_view name,
                    const std::vector<std::string>& entries);
/// Disables (with the time) or enables (nullopt) a user. Disabling deletes its sessions.
status set_disabled(store::store& st, std::string_view name, std::optional<time_point> at);

}  // namespace hearth::auth
