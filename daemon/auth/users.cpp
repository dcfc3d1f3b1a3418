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
std::optional<user> from_row(store::user_row row) {
  auto r = role_from_name(row.role);
  if (!r) return std::nullopt;  // a role this hearthd does not know grants nothing
  std::vector<std::string> caseload;
  for (auto& e : row.caseload)
    if (valid_caseload_entry(e)) caseload.push_back(std::move(e));
  return user{
      std::move(row.name), *r, std::move(row.password_hash), row.created_at, row.disabled_at,
      std::move(caseload)};
}

status found(bool done, std::string_view name) {
  if (done) return ok();
  return make_error("not-found", "no user " + std::string(name.substr(0, 64)));
}
}  // namespace

status add_user(store::store& st, const user& u) {
  if (!st.add_user({u.name, std::string(role_name(u.role)), u.password_hash, u.created_at,
                    u.disabled_at, u.caseload}))
    return make_error("conflict", "a user with this name exists");
  return ok();
}

std::optional<user> find_user(store::store& st, std::string_view name) {
  auto row = st.find_user(name);
  if (!row) return std::nullopt;
  return from_row(std::move(*row));
}

std::vector<user> list_users(store::store& st) {
  std::vector<user> out;
  for (auto& row : st.list_users())
    if (auto u = from_row(std::move(row))) out.push_back(std::move(*u));
  return out;
}

std::vector<token> tokens_of(store::store& st, std::string_view user) {
  return st.tokens_of(user);
}

int delete_tokens(store::store& st, std::string_view user, std::optional<std::string_view> kind) {
  return static_cast<int>(st.delete_tokens(user, kind));
}

status remove_user(store::store& st, std::string_view name) {
  return found(st.remove_user(name), name);
}

status set_password_hash(store::store& st, std::string_view name, std::string_view hash) {
  return found(st.set_password_hash(name, hash), name);
}

status set_role(store::store& st, std::string_view name, role r) {
  return found(st.set_role(name, role_name(r)), name);
}

status set_caseload(store::store& st, std::string_view name,
                    const std::vector<std::string>& entries) {
  for (const auto& e : entries)
    if (!valid_caseload_entry(e))
      return make_error("bad-request", "a caseload entry is resident:<id> or worker:<name>, not '" +
                                           e.substr(0, 64) + "'");
  return found(st.set_caseload(name, entries), name);
}

status set_disabled(store::store& st, std::string_view name, std::optional<time_point> at) {
  return found(st.set_disabled(name, at), name);
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
