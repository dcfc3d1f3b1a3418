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

bool valid_caseload_entry(std::string_view e) {
  if (e.starts_with("worker:")) return valid_user_name(e.substr(7));
  if (e.starts_with("resident:")) {
    const auto id = e.substr(9);
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    });
  }
  return false;
}

namespace {
/// The caseload column: entries separated by newlines (an entry never holds one).
std::string join_caseload(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries)
    out += (out.empty() ? "" : "\n") + e;
  return out;
}
std::vector<std::string> split_caseload(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (auto e = text.substr(0, nl); valid_caseload_entry(e)) out.emplace_back(e);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

constexpr std::string_view k_user_columns =
    "SELECT name, role, password_hash, created_at, disabled_at, caseload FROM users";

std::optional<user> user_row(store::statement& st) {
  auto r = role_from_name(st.text(1));
  if (!r) return std::nullopt;  // a role this hearthd does not know grants nothing
  user u{st.text(0), *r, st.text(2), at_ms(st.int64(3)), std::nullopt, split_caseload(st.text(5))};
  if (!st.is_null(4)) u.disabled_at = at_ms(st.int64(4));
  return u;
}

/// `not-found` unless the last statement changed a row.
status changed(store::connection& c, std::string_view name) {
  if (sqlite3_changes(c.raw()) > 0) return ok();
  return make_error("not-found", "no user " + std::string(name.substr(0, 64)));
}
}  // namespace

status add_user(store::connection& c, const user& u) {
  if (find_user(c, u.name)) return make_error("conflict", "a user with this name exists");
  c.prepare(
       "INSERT INTO users (name, role, password_hash, created_at, caseload) VALUES "
       "(?1,?2,?3,?4,?5)")
      .bind(1, u.name)
      .bind(2, role_name(u.role))
      .bind(3, u.password_hash)
      .bind(4, ms(u.created_at))
      .bind(5, join_caseload(u.caseload))
      .run();
  return ok();
}

std::optional<user> find_user(store::connection& c, std::string_view name) {
  auto st = c.prepare(std::string(k_user_columns) + " WHERE name=?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return user_row(st);
}

std::vector<user> list_users(store::connection& c) {
  std::vector<user> out;
  auto st = c.prepare(std::string(k_user_columns) + " ORDER BY name");
  while (st.step())
    if (auto u = user_row(st)) out.push_back(std::move(*u));
  return out;
}

status remove_user(store::connection& c, std::string_view name) {
  c.prepare("DELETE FROM tokens WHERE user=?1").bind(1, name).run();
  c.prepare("DELETE FROM users WHERE name=?1").bind(1, name).run();
  return changed(c, name);
}

status set_password_hash(store::connection& c, std::string_view name, std::string_view hash) {
  c.prepare("UPDATE users SET password_hash=?2 WHERE name=?1").bind(1, name).bind(2, hash).run();
  return changed(c, name);
}

status set_role(store::connection& c, std::string_view name, role r) {
  c.prepare("UPDATE users SET role=?2 WHERE name=?1").bind(1, name).bind(2, role_name(r)).run();
  return changed(c, name);
}

status set_caseload(store::connection& c, std::string_view name,
                    const std::vector<std::string>& entries) {
  for (const auto& e : entries)
    if (!valid_caseload_entry(e))
      return make_error("bad-request", "a caseload entry is resident:<id> or worker:<name>, not '" +
                                           e.substr(0, 64) + "'");
  c.prepare("UPDATE users SET caseload=?2 WHERE name=?1")
      .bind(1, name)
      .bind(2, join_caseload(entries))
      .run();
  return changed(c, name);
}

status set_disabled(store::connection& c, std::string_view name, std::optional<time_point> at) {
  auto st = c.prepare("UPDATE users SET disabled_at=?2 WHERE name=?1");
  st.bind(1, name);
  if (at)
    st.bind(2, ms(*at));
  else
    st.bind_null(2);
  st.run();
  auto done = changed(c, name);
  if (done && at) delete_tokens(c, name, "session");
  return done;
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

std::vector<token> tokens_of(store::connection& c, std::string_view user) {
  auto st = c.prepare(
      "SELECT hash, user, kind, created_at, expires_at FROM tokens WHERE user=?1 "
      "ORDER BY created_at, hash");
  st.bind(1, user);
  std::vector<token> out;
  while (st.step()) {
    token t{st.text(0), st.text(1), st.text(2), at_ms(st.int64(3)), std::nullopt};
    if (!st.is_null(4)) t.expires_at = at_ms(st.int64(4));
    out.push_back(std::move(t));
  }
  return out;
}

int delete_tokens(store::connection& c, std::string_view user,
                  std::optional<std::string_view> kind) {
  if (kind)
    c.prepare("DELETE FROM tokens WHERE user=?1 AND kind=?2").bind(1, user).bind(2, *kind).run();
  else
    c.prepare("DELETE FROM tokens WHERE user=?1").bind(1, user).run();
  return sqlite3_changes(c.raw());
}

int delete_expired_tokens(store::connection& c, time_point now) {
  c.prepare("DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?1")
      .bind(1, ms(now))
      .run();
  return sqlite3_changes(c.raw());
}

}  // namespace hearth::auth
