// SPDX-License-Identifier: Apache-2.0
// Users and their tokens: password and token hashes only, never plain text.
#include "store/store.hpp"

namespace hearth::store {

bool store::add_user(const user_row& u) {
  transaction tx(*db_);
  if (find_user(u.name)) return false;
  db_->prepare("INSERT INTO users (name, role, password_hash, created_at) VALUES (?1,?2,?3,?4)")
      .bind(1, u.name)
      .bind(2, u.role)
      .bind(3, u.password_hash)
      .bind(4, to_ms(u.created_at))
      .run();
  tx.commit();
  return true;
}

std::optional<user_row> store::find_user(std::string_view name) {
  auto st = db_->prepare("SELECT name, role, password_hash, created_at FROM users WHERE name=?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return user_row{st.text(0), st.text(1), st.text(2), from_ms(st.int64(3))};
}

std::vector<user_row> store::list_users() {
  std::vector<user_row> out;
  auto st = db_->prepare("SELECT name, role, created_at FROM users ORDER BY name");
  while (st.step())
    out.push_back({st.text(0), st.text(1), {}, from_ms(st.int64(2))});
  return out;
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
