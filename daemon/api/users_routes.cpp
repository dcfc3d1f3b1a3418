// SPDX-License-Identifier: Apache-2.0
// Console and API users: add, change role and caseload, disable and enable, reset a
// password, rotate or revoke tokens, remove. An admin manages everyone; a supervisor
// operators and social workers (auth::may_manage_user). Nobody disables, removes or
// changes the role of their own user, and the last enabled admin stays. Every change is
// an audit row (subject `user:<name>`); passwords and tokens never are.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "api/offload.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "app/pipeline.hpp"
#include "auth/credentials.hpp"
#include "auth/lifetime.hpp"
#include "auth/users.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {
constexpr std::size_t k_min_password = 8, k_max_password = 1024;
constexpr std::size_t k_max_caseload = 500;

json::object user_json(store::store& db, const auth::user& u, time_point now) {
  json::object o;
  o["name"] = u.name;
  o["role"] = auth::role_name(u.role);
  o["created_at"] = format_rfc3339(u.created_at);
  o["disabled"] = u.disabled_at.has_value();
  o["disabled_at"] = u.disabled_at ? json::value(format_rfc3339(*u.disabled_at)) : nullptr;
  o["has_password"] = !u.password_hash.empty();
  json::array caseload;
  for (const auto& e : u.caseload)
    caseload.emplace_back(e);
  o["caseload"] = std::move(caseload);
  json::array tokens;
  int sessions = 0;
  for (const auto& t : auth::tokens_of(db, u.name)) {
    if (t.expires_at && *t.expires_at <= now) continue;
    if (t.kind == "session") {
      ++sessions;
      continue;
    }
    json::object x;
    x["created_at"] = format_rfc3339(t.created_at);
    x["expires_at"] = t.expires_at ? json::value(format_rfc3339(*t.expires_at)) : nullptr;
    tokens.push_back(std::move(x));
  }
  o["api_tokens"] = std::move(tokens);
  o["sessions"] = sessions;
  return o;
}

/// A users request body: strings, and `caseload` as a list of strings.
struct user_body {
  std::map<std::string, std::string> fields;
  std::optional<std::vector<std::string>> caseload;
  std::string get(const std::string& k) const { return api::get(fields, k); }
  bool has(const std::string& k) const { return fields.count(k) > 0; }
};

result<user_body> parse_user_body(std::string_view body,
                                  std::initializer_list<std::string_view> allowed) {
  if (body.size() > k_max_body) return make_error("too-large", "the body is too large");
  user_body out;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error("bad-request", "the body must be a JSON object");
  for (const auto& [k, x] : v.as_object()) {
    const std::string_view key = k;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return make_error("bad-request", fmt::format("unknown key '{}'", key.substr(0, 40)));
    if (key == "caseload") {
      if (!x.is_array() || x.as_array().size() > k_max_caseload)
        return make_error("bad-request", "'caseload' must be a list of at most 500 entries");
      std::vector<std::string> entries;
      for (const auto& e : x.as_array()) {
        if (!e.is_string() || !auth::valid_caseload_entry(e.get_string()))
          return make_error("bad-request",
                            "a caseload entry is \"resident:<id>\" or \"worker:<name>\"");
        entries.emplace_back(e.get_string());
      }
      out.caseload = std::move(entries);
      continue;
    }
    if (!x.is_string()) return make_error("bad-request", fmt::format("'{}' must be a string", key));
    out.fields[std::string(key)] = std::string(x.get_string());
  }
  return out;
}

/// The user `name`, when the caller may manage it; else the answer to give.
result<auth::user> managed(context& c, const std::string& name, const auth::principal& who) {
  auto u = auth::find_user(c.store, name);
  if (!u) return make_error("not-found", fmt::format("no user {}", name.substr(0, 64)));
  if (!auth::may_manage_user(who.role, u->role))
    return make_error("forbidden",
                      fmt::format("your role may not manage {} users", auth::role_name(u->role)));
  return *u;
}

/// Refuses a change that would leave no enabled admin.
bool last_admin(context& c, const auth::user& u) {
  if (u.role != auth::role::admin || u.disabled_at) return false;
  const auto all = auth::list_users(c.store);
  return std::count_if(all.begin(), all.end(), [](const auto& x) {
           return x.role == auth::role::admin && !x.disabled_at;
         }) <= 1;
}

void audit(context& c, const auth::principal& who, const std::string& action,
           const std::string& user, const std::string& note = {}) {
  c.book.journal({c.book.now(), who.user, action, "", "user:" + user, note, "api"});
  c.pipeline.record({});
}

/// When a token given `expires_in` (auth::token_lifetime) expires: none for no expiry.
result<std::optional<time_point>> expiry(const std::string& text, time_point now) {
  const auto d = auth::token_lifetime(text);
  if (!d) return make_error("bad-request", "'expires_in': " + d.err().message);
  if (!*d) return std::optional<time_point>{};
  return std::optional<time_point>{now + **d};
}

response users_list(context& c) {
  const auto now = c.book.now();
  json::array arr;
  for (const auto& u : auth::list_users(c.store))
    arr.push_back(user_json(c.store, u, now));
  json::object o;
  o["users"] = std::move(arr);
  return json_ok(o);
}

/// A new API token for `user` (the old API tokens are revoked when `rotate`).
std::pair<std::string, std::optional<time_point>> issue_token(context& c, const std::string& user,
                                                              std::optional<time_point> expires,
                                                              bool rotate) {
  auto& db = c.store;
  if (rotate) auth::delete_tokens(db, user, "api");
  const auto token = auth::new_token();
  auth::add_token(db, {auth::token_hash(token), user, "api", c.book.now(), expires});
  return {token, expires};
}

response user_add(context& c, const call& k) {
  auto body = parse_user_body(k.req.body, {"name", "role", "password", "caseload", "expires_in"});
  if (!body) return error_response(body.err());
  const auto name = body->get("name");
  if (!auth::valid_user_name(name))
    return json_error(400, "bad-request",
                      "a user name is 1-64 letters, digits, '-', '_', '.', '@'");
  const auto role = auth::role_from_name(body->get("role"));
  if (!role)
    return json_error(400, "bad-request",
                      "role must be operator, supervisor, social_worker, integrator or admin");
  if (!auth::may_manage_user(k.who.role, *role))
    return forbidden(fmt::format("add {} users", auth::role_name(*role)));
  const auto password = body->get("password");
  if (body->has("password") &&
      (password.size() < k_min_password || password.size() > k_max_password))
    return json_error(400, "bad-request", "a password has 8 to 1024 characters");
  const auto now = c.book.now();
  const auto lifetime = expiry(body->get("expires_in"), now);
  if (!lifetime) return error_response(lifetime.err());
  const auto expires = *lifetime;
  if (auth::find_user(c.store, name))
    return json_error(409, "conflict", fmt::format("user {} exists", name));
  auto finish = [&c, who = k.who, name, role = *role, caseload = body->caseload, expires,
                 now](const std::string& hash) -> response {
    auto& db = c.store;
    auth::user u{name, role, hash, now};
    u.caseload = caseload.value_or(std::vector<std::string>{});
    if (auto added = auth::add_user(db, u); !added) return error_response(added.err());
    const auto [token, until] = issue_token(c, name, expires, false);
    audit(c, who, "user-added", name, std::string(auth::role_name(role)));
    auto o = user_json(db, *auth::find_user(db, name), now);
    o["token"] = token;
    auto res = json_ok(o);
    res.status = 201;
    return res;
  };
  if (password.empty()) return finish("");
  return c.work->run([password] { return auth::hash_password(password); }, finish);
}

response user_change(context& c, const call& k) {
  auto u = managed(c, k.arg(), k.who);
  if (!u) return error_response(u.err());
  auto body = parse_user_body(k.req.body, {"role", "caseload"});
  if (!body) return error_response(body.err());
  auto& db = c.store;
  if (body->has("role")) {
    const auto role = auth::role_from_name(body->get("role"));
    if (!role)
      return json_error(400, "bad-request",
                        "role must be operator, supervisor, social_worker, integrator or admin");
    if (*role != u->role) {
      if (u->name == k.who.user) return forbidden("change its own role");
      if (!auth::may_manage_user(k.who.role, *role))
        return forbidden(fmt::format("make users {}", auth::role_name(*role)));
      if (last_admin(c, *u)) return json_error(409, "conflict", "the last admin stays an admin");
      (void)auth::set_role(db, u->name, *role);
      audit(c, k.who, "role-changed", u->name,
            fmt::format("{} to {}", auth::role_name(u->role), auth::role_name(*role)));
      c.close_streams(u->name);  // what the streams may carry changed
    }
  }
  if (body->caseload) {
    (void)auth::set_caseload(db, u->name, *body->caseload);
    std::string list;
    for (const auto& e : *body->caseload)
      list += (list.empty() ? "" : ", ") + e;
    audit(c, k.who, "caseload-changed", u->name, list.empty() ? "none" : list);
    c.close_streams(u->name);
  }
  return json_ok(user_json(db, *auth::find_user(db, u->name), c.book.now()));
}

response user_disable(context& c, const call& k, bool disable) {
  auto u = managed(c, k.arg(), k.who);
  if (!u) return error_response(u.err());
  if (disable) {
    if (u->name == k.who.user) return forbidden("disable its own user");
    if (last_admin(c, *u)) return json_error(409, "conflict", "the last admin cannot be disabled");
  }
  auto& db = c.store;
  const auto now = c.book.now();
  if (disable != u->disabled_at.has_value()) {
    (void)auth::set_disabled(db, u->name, disable ? std::optional(now) : std::nullopt);
    audit(c, k.who, disable ? "user-disabled" : "user-enabled", u->name);
    if (disable) c.close_streams(u->name);  // their sessions end at once
  }
  return json_ok(user_json(db, *auth::find_user(db, u->name), now));
}

response user_remove(context& c, const call& k) {
  auto u = managed(c, k.arg(), k.who);
  if (!u) return error_response(u.err());
  if (u->name == k.who.user) return forbidden("remove its own user");
  if (last_admin(c, *u)) return json_error(409, "conflict", "the last admin cannot be removed");
  (void)auth::remove_user(c.store, u->name);
  audit(c, k.who, "user-removed", u->name, std::string(auth::role_name(u->role)));
  c.close_streams(u->name);
  return no_content();
}

response user_password(context& c, const call& k) {
  auto u = managed(c, k.arg(), k.who);
  // Anyone may change their own password.
  if (!u && k.arg() == k.who.user) u = auth::find_user(c.store, k.who.user).value();
  if (!u) return error_response(u.err());
  auto body = parse_user_body(k.req.body, {"password"});
  if (!body) return error_response(body.err());
  auto password = body->get("password");
  const bool generated = !body->has("password");
  if (generated) password = auth::new_token().substr(0, 16);  // 96 random bits
  if (password.size() < k_min_password || password.size() > k_max_password)
    return json_error(400, "bad-request", "a password has 8 to 1024 characters");
  return c.work->run(
      [password] { return auth::hash_password(password); },
      [&c, who = k.who, name = u->name, password, generated](const std::string& hash) {
        auto& db = c.store;
        if (auto set = auth::set_password_hash(db, name, hash); !set)
          return error_response(set.err());
        // A reset password ends the sessions opened with the old one.
        auth::delete_tokens(db, name, "session");
        c.close_streams(name);
        audit(c, who, "password-reset", name, generated ? "a new password was generated" : "");
        json::object o;
        o["user"] = name;
        o["password"] = generated ? json::value(password) : nullptr;
        return json_ok(o);
      });
}

response user_token(context& c, const call& k) {
  auto u = managed(c, k.arg(), k.who);
  if (!u) return error_response(u.err());
  auto body = parse_user_body(k.req.body, {"expires_in"});
  if (!body) return error_response(body.err());
  const auto expires = expiry(body->get("expires_in"), c.book.now());
  if (!expires) return error_response(expires.err());
  const auto [token, until] = issue_token(c, u->name, *expires, true);
  audit(c, k.who, "token-rotated", u->name,
        until ? "expires " + format_rfc3339(*until) : "no expiry");
  json::object o;
  o["user"] = u->name;
  o["token"] = token;
  o["expires_at"] = until ? json::value(format_rfc3339(*until)) : nullptr;
  return json_ok(o);
}

response user_revoke(context& c, const call& k) {
  auto u = managed(c, k.arg(), k.who);
  if (!u) return error_response(u.err());
  const int n = auth::delete_tokens(c.store, u->name);
  audit(c, k.who, "tokens-revoked", u->name, fmt::format("{} tokens and sessions", n));
  c.close_streams(u->name);
  return no_content();
}

}  // namespace

std::vector<route> user_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view manage = "manage users";
  return {
      {"GET", "users", manage_users, "list users", [&c](const call&) { return users_list(c); }},
      {"POST", "users", manage_users, manage, [&c](const call& k) { return user_add(c, k); }},
      {"PATCH", "users/{}", manage_users, manage,
       [&c](const call& k) { return user_change(c, k); }},
      {"DELETE", "users/{}", manage_users, manage,
       [&c](const call& k) { return user_remove(c, k); }},
      {"POST", "users/{}/disable", manage_users, manage,
       [&c](const call& k) { return user_disable(c, k, true); }},
      {"POST", "users/{}/enable", manage_users, manage,
       [&c](const call& k) { return user_disable(c, k, false); }},
      // Anyone may set their own password; the handler checks whom.
      {"POST", "users/{}/password", std::nullopt, "",
       [&c](const call& k) { return user_password(c, k); }},
      {"POST", "users/{}/token", manage_users, manage,
       [&c](const call& k) { return user_token(c, k); }},
      {"DELETE", "users/{}/tokens", manage_users, manage,
       [&c](const call& k) { return user_revoke(c, k); }},
  };
}

}  // namespace hearth::api
