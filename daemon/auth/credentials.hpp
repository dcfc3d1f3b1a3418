// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Credentials (issue 6): slow salted password hashes and random tokens, through OpenSSL
/// libcrypto. Pure functions apart from the random source; no I/O, no logging.
///
/// - Passwords: PBKDF2-HMAC-SHA256, `k_pbkdf2_iterations` rounds, a 16-byte random salt per
///   user, stored as "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>". The iteration count
///   travels with the hash, so it can be raised later without breaking stored users.
/// - Tokens (API tokens and console sessions): 32 random bytes, base64url; only their
///   SHA-256 (hex) is stored, so a copy of the database does not let anyone in.
///
/// These calls are CPU-heavy by design (`hash_password`, `verify_password`): the daemon
/// runs them off the domain thread.

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hearth::auth {

/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256 is 600,000.
inline constexpr int k_pbkdf2_iterations = 600'000;

/// A new hash for `password` with a fresh salt.
std::string hash_password(std::string_view password, int iterations = k_pbkdf2_iterations);
/// True when `password` matches `stored` (constant-time comparison). A malformed `stored`
/// (or an empty one: a user without a console password) never matches.
bool verify_password(std::string_view password, std::string_view stored);

/// 32 random bytes, base64url without padding (43 characters).
std::string new_token();
/// Lower-case hex SHA-256 of a token: what is stored and looked up.
std::string token_hash(std::string_view token);

}  // namespace hearth::auth
