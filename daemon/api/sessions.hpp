// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Who is calling: bearer tokens and the console's session cookie, login and logout.
///
/// - `authenticate`: `Authorization: Bearer <token>` (API clients) or the `hearth_session`
///   cookie (HttpOnly, SameSite=Strict); an unknown, expired or malformed credential is
///   `unauthenticated`.
/// - `login` (POST /api/v1/login, before authentication): the password is checked off the
///   domain thread (api::offload);
///   failed attempts are rate-limited per user name and per remote address
///   (auth::login_guard). A wrong name takes as long as a wrong password.
/// - `routes`: POST logout (ends the credential and the streams opened with it) and
///   GET me.
///
/// Threading: domain thread, apart from the password check (see above).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "api/offload.hpp"
#include "api/route_table.hpp"
#include "api/stream.hpp"
#include "auth/login_guard.hpp"
#include "base/result.hpp"

namespace hearth::api {

class sessions {
 public:
  struct options {
    duration session_ttl = std::chrono::hours(12);
    auth::login_guard::options login_limits;
  };
  sessions(context& c, stream_hub& streams, offload& work, options o);

  result<auth::principal> authenticate(const request& r);
  response login(const request& r);
  std::vector<route> routes();

 private:
  response finish_login(const std::string& user, const std::string& remote, bool ok);
  response logout(const auth::principal& p);
  response me(const auth::principal& p);

  context& context_;
  stream_hub& streams_;
  offload& work_;
  options options_;
  auth::login_guard guard_;
};

}  // namespace hearth::api
