// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The API's routes as data: each resource (alerts_routes.cpp, residents_routes.cpp, ...)
/// declares its routes, the router adds them to one table, and the table answers
/// 404 (no route has the path), 405 (the path exists under other methods) and 403 (the
/// caller's role lacks the route's permission) in one place before a handler runs.
///
/// A path is relative to /api/v1/ and split at '/'; a segment "{}" matches any one
/// non-empty segment and hands it to the handler in `call::args`. When several routes
/// match, a literal segment wins over "{}" at the first place they differ, so
/// "alerts/export" is not read as the alert with id "export".
///
/// Threading: the domain thread (handlers read the book and the store directly).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.hpp"
#include "auth/scope.hpp"

namespace hearth::api {

/// One authenticated request, as a handler sees it.
struct call {
  const request& req;
  const auth::principal& who;
  std::vector<std::string> args;  ///< the segments matched by "{}", in order
  const std::string& arg(std::size_t i = 0) const { return args.at(i); }
};

struct route {
  std::string_view method;  ///< "GET", "POST", "DELETE", ...
  std::string_view path;    ///< e.g. "alerts/{}/claim"
  /// Checked before the handler; none: any authenticated caller.
  std::optional<auth::permission> needs;
  /// What the 403 says the role may not do: "create silences".
  std::string_view refusal;
  std::function<response(const call&)> handle;
};

class route_table {
 public:
  void add(std::vector<route> rs);
  /// Finds the route for `r` at `path` (relative to /api/v1/), checks its permission and
  /// runs it.
  response dispatch(const request& r, const auth::principal& who, std::string_view path) const;
  /// Every route, in the order added (docs and the OpenAPI test walk them).
  const std::vector<route>& all() const { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace hearth::api
