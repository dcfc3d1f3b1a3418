// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Credentials for in-process API tests (routes called without a network): a user of the
/// given role with an API token, written straight into the store like `hearthd users add`.

#include <string>

#include "auth/credentials.hpp"
#include "auth/users.hpp"

namespace hearth::test {

/// Makes `name` (role `role`, no console password) if needed and returns a fresh API token.
inline std::string issue_token(store::store& c, const std::string& name,
                               auth::role role = auth::role::operator_desk) {
  if (!auth::find_user(c, name)) (void)auth::add_user(c, {name, role, "", {}});
  auto token = auth::new_token();
  auth::add_token(c, {auth::token_hash(token), name, "api", {}, std::nullopt});
  return token;
}

}  // namespace hearth::test
