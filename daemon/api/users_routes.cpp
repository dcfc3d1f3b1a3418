// SPDX-License-Identifier: Apache-2.0
// Console and API users (admins and supervisors).
#include <boost/json.hpp>

#include "api/reply.hpp"
#include "api/resources.hpp"
#include "auth/users.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

response users_list(context& c) {
  json::array arr;
  for (const auto& u : auth::list_users(c.store)) {
    json::object o;
    o["name"] = u.name;
    o["role"] = auth::role_name(u.role);
    o["created_at"] = format_rfc3339(u.created_at);
    arr.push_back(std::move(o));
  }
  json::object o;
  o["users"] = std::move(arr);
  return json_ok(o);
}

}  // namespace

std::vector<route> user_routes(context& c) {
  using enum auth::permission;
  return {
      {"GET", "users", manage_users, "list users", [&c](const call&) { return users_list(c); }},
  };
}

}  // namespace hearth::api
