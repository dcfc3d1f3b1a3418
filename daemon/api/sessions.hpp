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
/// - `routes`: POST logout (ends the credential and the streams opened with it), GET me
///   (who, role, expiry, the community's time zone and the language the user picked: null until
///   they pick one, when the console follows the browser) and PATCH me `{"locale"}` ("zh-CN", "en",
///   or "" to forget it): each user's language is kept with the user, on every node.
///
/// Threading: domain thread, apart from the password check (see above).

#include <boost/json/value.hpp>
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
    std::string timezone = "UTC";  ///< the community's (config `timezone`), for the console
  };
  sessions(context& c, stream_hub& streams, offload& work, options o);

  result<auth::principal> authenticate(const request& r);
  response login(const request& r);
  std::vector<route> routes();

 private:
  response finish_login(const std::string& user, const std::string& remote, bool ok);
  response logout(const auth::principal& p);
  response me(const auth::principal& p);
  response set_me(const call& k);
  /// The user's picked language, or null.
  boost::json::value locale_of(const std::string& user);

  context& context_;
  stream_hub& streams_;
  offload& work_;
  options options_;
  auth::login_guard guard_;
};

}  // namespace hearth::api
