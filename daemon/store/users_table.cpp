// SPDX-License-Identifier: Apache-2.0
// Users and their tokens: password and token hashes only, never plain text.
#include <fmt/format.h>

#include <functional>

#include "store/store.hpp"

namespace hearth::store {

namespace {
/// The caseload column: entries one per line (an entry never holds a line break).
std::string join_lines(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries)
    out += (out.empty() ? "" : "\n") + e;
  return out;
}
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl != 0) out.emplace_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

user_row read_user(const statement& st, bool with_hash) {
  user_row u{st.text(0), st.text(1), with_hash ? st.text(2) : std::string(), from_ms(st.int64(3))};
  if (!st.is_null(4)) u.disabled_at = from_ms(st.int64(4));
  u.caseload = split_lines(st.text(5));
  if (!with_hash && !st.text(2).empty()) u.password_hash = "set";  // only whether there is one
  return u;
}

constexpr std::string_view k_user_select =
    "SELECT name, role, password_hash, created_at, disabled_at, caseload FROM users";
}  // namespace

bool store::add_user(const user_row& u) {
  transaction tx(*db_);
  if (find_user(u.name)) return false;
  db_->prepare(
         "INSERT INTO users (name, role, password_hash, created_at, caseload) VALUES "
         "(?1,?2,?3,?4,?5)")
      .bind(1, u.name)
      .bind(2, u.role)
      .bind(3, u.password_hash)
      .bind(4, to_ms(u.created_at))
      .bind(5, join_lines(u.caseload))
      .run();
  tx.commit();
  return true;
}

std::optional<user_row> store::find_user(std::string_view name) {
  auto st = db_->prepare(fmt::format("{} WHERE name=?1", k_user_select));
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_user(st, true);
}

std::vector<user_row> store::list_users() {
  std::vector<user_row> out;
  auto st = db_->prepare(fmt::format("{} ORDER BY name", k_user_select));
  while (st.step())
    out.push_back(read_user(st, false));
  return out;
}

std::vector<token_row> store::tokens_of(std::string_view user) {
  auto st = db_->prepare(
      "SELECT hash, \"user\", kind, created_at, expires_at FROM tokens WHERE \"user\"=?1 "
      "ORDER BY created_at, hash");
  st.bind(1, user);
  std::vector<token_row> out;
  while (st.step()) {
    token_row t{st.text(0), st.text(1), st.text(2), from_ms(st.int64(3)), std::nullopt};
    if (!st.is_null(4)) t.expires_at = from_ms(st.int64(4));
    out.push_back(std::move(t));
  }
  return out;
}

std::int64_t store::delete_tokens(std::string_view user, std::optional<std::string_view> kind) {
  transaction tx(*db_);
  if (kind)
    db_->prepare("DELETE FROM tokens WHERE \"user\"=?1 AND kind=?2")
        .bind(1, user)
        .bind(2, *kind)
        .run();
  else
    db_->prepare("DELETE FROM tokens WHERE \"user\"=?1").bind(1, user).run();
  const auto n = db_->changes();
  tx.commit();
  return n;
}

bool store::remove_user(std::string_view name) {
  transaction tx(*db_);
  db_->prepare("DELETE FROM tokens WHERE \"user\"=?1").bind(1, name).run();
  db_->prepare("DELETE FROM users WHERE name=?1").bind(1, name).run();
  const bool done = db_->changes() > 0;
  tx.commit();
  return done;
}

namespace {
/// Runs one UPDATE of a user row in its own (or the caller's) transaction.
bool update_user(connection& db, std::string_view sql, std::string_view name,
                 const std::function<void(statement&)>& bind) {
  transaction tx(db);
  auto st = db.prepare(sql);
  st.bind(1, name);
  bind(st);
  st.run();
  const bool done = db.changes() > 0;
  tx.commit();
  return done;
}
}  // namespace

bool store::set_password_hash(std::string_view name, std::string_view hash) {
  return update_user(*db_, "UPDATE users SET password_hash=?2 WHERE name=?1", name,
                     [&](statement& st) { st.bind(2, hash); });
}

bool store::set_role(std::string_view name, std::string_view role) {
  return update_user(*db_, "UPDATE users SET role=?2 WHERE name=?1", name,
                     [&](statement& st) { st.bind(2, role); });
}

bool store::set_caseload(std::string_view name, const std::vector<std::string>& entries) {
  return update_user(*db_, "UPDATE users SET caseload=?2 WHERE name=?1", name,
                     [&](statement& st) { st.bind(2, join_lines(entries)); });
}

bool store::set_disabled(std::string_view name, std::optional<time_point> at) {
  transaction tx(*db_);
  const bool done =
      update_user(*db_, "UPDATE users SET disabled_at=?2 WHERE name=?1", name, [&](statement& st) {
        if (at)
          st.bind(2, to_ms(*at));
        else
          st.bind_null(2);
      });
  if (done && at) delete_tokens(name, "session");
  tx.commit();
  return done;
}

void store::add_token(const token_row& t) {
  transaction tx(*db_);
  auto st = db_->prepare(
      "INSERT INTO tokens (hash, \"user\", kind, created_at, expires_at) VALUES "
      "(?1,?2,?3,?4,?5)");
  st.bind(1, t.hash).bind(2, t.user).bind(3, t.kind).bind(4, to_ms(t.created_at));
  if (t.expires_at)
    st.bind(5, to_ms(*t.expires_at));
  else
    st.bind_null(5);
  st.run();
  tx.commit();
}

std::optional<token_row> store::find_token(std::string_view hash, time_point now) {
  auto st = db_->prepare(
      "SELECT hash, \"user\", kind, created_at, expires_at FROM tokens WHERE hash=?1 AND "
      "(expires_at IS NULL OR expires_at > ?2)");
  st.bind(1, hash).bind(2, to_ms(now));
  if (!st.step()) return std::nullopt;
  token_row t{st.text(0), st.text(1), st.text(2), from_ms(st.int64(3)), std::nullopt};
  if (!st.is_null(4)) t.expires_at = from_ms(st.int64(4));
  return t;
}

void store::delete_token(std::string_view hash) {
  transaction tx(*db_);
  db_->prepare("DELETE FROM tokens WHERE hash=?1").bind(1, hash).run();
  tx.commit();
}

std::int64_t store::delete_expired_tokens(time_point now) {
  transaction tx(*db_);
  db_->prepare("DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?1")
      .bind(1, to_ms(now))
      .run();
  const auto n = db_->changes();
  tx.commit();
  return n;
}

}  // namespace hearth::store
