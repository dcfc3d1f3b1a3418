// SPDX-License-Identifier: Apache-2.0
#include "auth/users.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::auth {
namespace {
constexpr std::string_view k_roles[] = {"operator", "supervisor", "social_worker", "integrator",
                                        "admin"};
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

status add_user(store::store& st, const user& u) {
  if (!st.add_user({u.name, std::string(role_name(u.role)), u.password_hash, u.created_at}))
    return make_error("conflict", "a user with this name exists");
  return ok();
}

std::optional<user> find_user(store::store& st, std::string_view name) {
  auto row = st.find_user(name);
  if (!row) return std::nullopt;
  auto r = role_from_name(row->role);
  if (!r) return std::nullopt;  // a role this hearthd does not know grants nothing
  return user{std::move(row->name), *r, std::move(row->password_hash), row->created_at};
}

std::vector<user> list_users(store::store& st) {
  std::vector<user> out;
  for (auto& row : st.list_users())
    if (auto r = role_from_name(row.role))
      out.push_back({std::move(row.name), *r, {}, row.created_at});
  return out;
}

void add_token(store::store& st, const token& t) {
  st.add_token(t);
}

std::optional<token> find_token(store::store& st, std::string_view hash, time_point now) {
  return st.find_token(hash, now);
}

void delete_token(store::store& st, std::string_view hash) {
  st.delete_token(hash);
}

int delete_expired_tokens(store::store& st, time_point now) {
  return static_cast<int>(st.delete_expired_tokens(now));
}

}  // namespace hearth::auth
