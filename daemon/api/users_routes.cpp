// SPDX-License-Identifier: Apache-2.0
// Console and API users (admins and supervisors).
#include <boost/json.hpp>

#include "api/page.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "auth/users.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

response users_list(context& c, const request& r) {
  if (auto bad = check_query(r, {"limit", "cursor"})) return *bad;
  auto pg = read_page(r, 1);
  if (!pg) return error_response(pg.err());
  const auto all = auth::list_users(c.store);  // by name
  const auto page = take_page<auth::user>(
      all, *pg, [](const auth::user& u, const auto& key) { return u.name > key[0]; },
      [](const auth::user& u) { return std::vector<std::string>{u.name}; });
  json::array arr;
  for (const auto* u : page.items) {
    json::object o;
    o["name"] = u->name;
    o["role"] = auth::role_name(u->role);
    o["created_at"] = format_rfc3339(u->created_at);
    arr.push_back(std::move(o));
  }
  json::object o;
  o["users"] = std::move(arr);
  set_next_cursor(o, page.next);
  return json_ok(o);
}

}  // namespace

std::vector<route> user_routes(context& c) {
  using enum auth::permission;
  return {
      {"GET", "users", manage_users, "list users",
       [&c](const call& k) { return users_list(c, k.req); }},
  };
}

}  // namespace hearth::api
