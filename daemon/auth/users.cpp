// SPDX-License-Identifier: Apache-2.0
#include "auth/users.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::auth {
namespace {
constexpr std::string_view k_roles[] = {"operator", "supervisor", "social_worker", "integrator",
                                        "admin"};

std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}
}  // namespace

std::string_view role_name(role r) {
  return k_roles[static_cast<std::size_t>(r)];
}

std::optional<role> role_from_name(std::string_view s) {
  for (std::size_t i = 0; i < std::size(k_roles); ++i)
    if (k_roles[i] == s) return static_cast<role>(i);
  return std::nullopt;
}

bool valid_user_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '@';
  });
}

status add_user(store::connection& c, const user& u) {
  if (find_user(c, u.name)) return make_error("conflict", "a user with this name exists");
  c.prepare("INSERT INTO users (name, role, password_hash, created_at) VALUES (?1,?2,?3,?4)")
      .bind(1, u.name)
      .bind(2, role_name(u.role))
      .bind(3, u.password_hash)
      .bind(4, ms(u.created_at))
      .run();
  return ok();
}

std::optional<user> find_user(store::connection& c, std::string_view name) {
  auto st = c.prepare("SELECT name, role, password_hash, created_at FROM users WHERE name=?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  auto r = role_from_name(st.text(1));
  if (!r) return std::nullopt;  // a role this hearthd does not know grants nothing
  return user{st.text(0), *r, st.text(2), at_ms(st.int64(3))};
}

std::vector<user> list_users(store::connection& c) {
  std::vector<user> out;
  auto st = c.prepare("SELECT name, role, created_at FROM users ORDER BY name");
  while (st.step())
    if (auto r = role_from_name(st.text(1)))
      out.push_back({st.text(0), *r, {}, at_ms(st.int64(2))});
  return out;
}

void add_token(store::connection& c, const token& t) {
  auto st = c.prepare(
      "INSERT INTO tokens (hash, user, kind, created_at, expires_at) VALUES (?1,?2,?3,?4,?5)");
  st.bind(1, t.hash).bind(2, t.user).bind(3, t.kind).bind(4, ms(t.created_at));
  if (t.expires_at)
    st.bind(5, ms(*t.expires_at));
  else
    st.bind_null(5);
  st.run();
}

std::optional<token> find_token(store::connection& c, std::string_view hash, time_point now) {
  auto st = c.prepare(
      "SELECT hash, user, kind, created_at, expires_at FROM tokens WHERE hash=?1 AND "
      "(expires_at IS NULL OR expires_at > ?2)");
  st.bind(1, hash).bind(2, ms(now));
  if (!st.step()) return std::nullopt;
  token t{st.text(0), st.text(1), st.text(2), at_ms(st.int64(3)), std::nullopt};
  if (!st.is_null(4)) t.expires_at = at_ms(st.int64(4));
  return t;
}

void delete_token(store::connection& c, std::string_view hash) {
  c.prepare("DELETE FROM tokens WHERE hash=?1").bind(1, hash).run();
}

int delete_expired_tokens(store::connection& c, time_point now) {
  c.prepare("DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?1")
      .bind(1, ms(now))
      .run();
  return sqlite3_changes(c.raw());
}

}  // namespace hearth::auth
