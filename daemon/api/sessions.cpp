// SPDX-License-Identifier: Apache-2.0
#include "api/sessions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "api/reply.hpp"
#include "app/pipeline.hpp"
#include "auth/credentials.hpp"
#include "auth/users.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {
constexpr std::size_t k_max_login_body = 4 * 1024;
constexpr std::size_t k_max_password = 1024;
constexpr std::string_view k_cookie = "hearth_session";
/// The languages a user may pick for the console.
constexpr std::string_view k_locales[] = {"zh-CN", "en"};
/// Checked for an unknown user, so that a wrong name takes as long as a wrong password.
constexpr std::string_view k_dummy_hash =
    "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

std::string cookie_value(const request& r, std::string_view name) {
  auto it = r.headers.find("cookie");
  if (it == r.headers.end()) return {};
  std::string_view c = it->second;
  while (!c.empty()) {
    const auto semi = c.find(';');
    auto part = c.substr(0, semi);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    c = semi == std::string_view::npos ? std::string_view{} : c.substr(semi + 1);
  }
  return {};
}
}  // namespace

sessions::sessions(context& c, stream_hub& streams, offload& work, options o)
    : context_(c), streams_(streams), work_(work), options_(o), guard_(options_.login_limits) {}

std::vector<route> sessions::routes() {
  return {
      {"POST", "logout", std::nullopt, "", [this](const call& k) { return logout(k.who); }},
      {"GET", "me", std::nullopt, "", [this](const call& k) { return me(k.who); }},
      {"PATCH", "me", std::nullopt, "", [this](const call& k) { return set_me(k); }},
  };
}

result<auth::principal> sessions::authenticate(const request& r) {
  std::string token;
  if (auto it = r.headers.find("authorization"); it != r.headers.end()) {
    const std::string_view v = it->second;
    if (v.size() < 8 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer "))
      return make_error("unauthenticated", "use Authorization: Bearer <token>");
    token = std::string(v.substr(7));
  } else {
    token = cookie_value(r, k_cookie);
  }
  if (token.empty())
    return make_error("unauthenticated", "log in, or send Authorization: Bearer <token>");
  if (token.size() > 256) return make_error("unauthenticated", "the token is not valid");
  const auto now = context_.book.now();
  auto& db = context_.store;
  auto t = auth::find_token(db, auth::token_hash(token), now);
  if (!t) return make_error("unauthenticated", "the token is unknown or has expired; log in again");
  auto u = auth::find_user(db, t->user);
  if (!u) return make_error("unauthenticated", "the token's user no longer exists");
  if (u->disabled_at) return make_error("unauthenticated", "this user is disabled");
  return auth::principal{u->name, u->role, t->hash, t->kind, t->expires_at, u->caseload};
}

response sessions::login(const request& r) {
  if (r.body.size() > k_max_login_body)
    return json_error(413, "too-large", "the body is too large");
  auto body = parse_json_body(r.body, {"user", "password"}, {"user", "password"});
  if (!body) return error_response(body.err());
  const auto user = get(*body, "user");
  const auto password = get(*body, "password");
  if (!auth::valid_user_name(user) || password.empty() || password.size() > k_max_password)
    return json_error(401, "bad-credentials", "wrong user name or password");
  const auto now = context_.book.now();
  if (auto until = guard_.locked_until(user, r.remote, now)) {
    auto res =
        json_error(429, "too-many-attempts", "too many failed logins; wait a minute and try again");
    const auto secs = std::chrono::ceil<std::chrono::seconds>(*until - now).count();
    res.headers["Retry-After"] = std::to_string(std::max<long long>(1, secs));
    return res;
  }
  const auto u = auth::find_user(context_.store, user);
  std::string stored =
      u && !u->password_hash.empty() ? u->password_hash : std::string(k_dummy_hash);
  const bool has_password = u && !u->password_hash.empty();
  const auto remote = r.remote;
  return work_.run(
      [password, stored, has_password]() -> std::string {
        try {
          return auth::verify_password(password, stored) && has_password ? "ok" : "";
        } catch (const std::exception&) {
          return "";
        }
      },
      [this, user, remote](const std::string& ok) {
        return finish_login(user, remote, !ok.empty());
      });
}

response sessions::finish_login(const std::string& user, const std::string& remote, bool ok) {
  auto& book = context_.book;
  auto& db = context_.store;
  const auto now = book.now();
  if (!ok) {
    guard_.failed(user, remote, now);
    book.journal({now, user, "login-failed", "", "user:" + user, "", "api"});
    context_.pipeline.record({});
    return json_error(401, "bad-credentials", "wrong user name or password");
  }
  guard_.succeeded(user);
  const auto u = auth::find_user(db, user);
  if (!u) return json_error(401, "bad-credentials", "wrong user name or password");
  if (u->disabled_at) {
    book.journal({now, user, "login-refused", "", "user:" + user, "the user is disabled", "api"});
    context_.pipeline.record({});
    return json_error(403, "disabled", "this user is disabled; ask a supervisor");
  }
  auth::delete_expired_tokens(db, now);
  const auto token = auth::new_token();
  const auto expires = now + options_.session_ttl;
  auth::add_token(db, {auth::token_hash(token), user, "session", now, expires});
  book.journal({now, user, "login", "", "user:" + user, "", "api"});
  context_.pipeline.record({});
  json::object o;
  o["token"] = token;
  o["user"] = user;
  o["role"] = auth::role_name(u->role);
  o["expires_at"] = format_rfc3339(expires);
  o["locale"] = locale_of(user);
  o["timezone"] = options_.timezone;
  auto res = json_ok(o);
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(options_.session_ttl).count();
  res.headers["Set-Cookie"] =
      fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", k_cookie, token, max_age);
  return res;
}

response sessions::logout(const auth::principal& p) {
  auth::delete_token(context_.store, p.token_hash);
  streams_.close_token(p.token_hash);
  context_.book.journal({context_.book.now(), p.user, "logout", "", "user:" + p.user, "", "api"});
  context_.pipeline.record({});
  auto res = no_content();
  res.headers["Set-Cookie"] =
      fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", k_cookie);
  return res;
}

json::value sessions::locale_of(const std::string& user) {
  auto l = context_.store.user_locale(user);
  return l ? json::value(*l) : json::value(nullptr);
}

response sessions::me(const auth::principal& p) {
  json::object o;
  o["user"] = p.user;
  o["role"] = auth::role_name(p.role);
  o["expires_at"] = p.expires_at ? json::value(format_rfc3339(*p.expires_at)) : nullptr;
  o["locale"] = locale_of(p.user);
  o["timezone"] = options_.timezone;
  return json_ok(o);
}

response sessions::set_me(const call& k) {
  auto body = parse_json_body(k.req.body, {"locale"}, {"locale"});
  if (!body) return error_response(body.err());
  const auto locale = get(*body, "locale");
  if (!locale.empty() &&
      std::find(std::begin(k_locales), std::end(k_locales), locale) == std::end(k_locales))
    return json_error(400, "bad-request",
                      fmt::format("'locale' must be one of {}, or empty for the browser's language",
                                  fmt::join(k_locales, ", ")));
  if (!context_.store.set_user_locale(k.who.user,
                                      locale.empty() ? std::nullopt : std::optional(locale)))
    return json_error(404, "not-found", "the user no longer exists");
  return me(k.who);
}

}  // namespace hearth::api
