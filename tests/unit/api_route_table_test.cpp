// SPDX-License-Identifier: Apache-2.0
// The route table: which route a path reaches, and the 404/405/403 it answers before any
// handler runs.
#include <catch2/catch.hpp>

#include "api/route_table.hpp"

namespace {
using namespace hearth;

api::request req(std::string method) {
  api::request r;
  r.method = std::move(method);
  return r;
}

/// A table whose handlers answer with their own name and the arguments they were given.
struct fixture {
  api::route_table table;
  int calls = 0;
  fixture() {
    auto named = [this](std::string name) {
      return [this, name](const api::call& k) {
        ++calls;
        api::response res;
        res.body = name;
        for (const auto& a : k.args)
          res.body += " " + a;
        return res;
      };
    };
    using enum auth::permission;
    table.add({
        {"GET", "alerts/{}", read_alerts, "see alerts", named("one")},
        {"GET", "alerts/export", read_alerts, "see alerts", named("export")},
        {"POST", "alerts/{}/claim", act_on_alerts, "act on alerts", named("claim")},
        {"GET", "silences", read_silences, "see silences", named("silences")},
        {"POST", "silences", manage_silences, "create silences", named("create")},
        {"DELETE", "residents/{}/away", set_away, "end an away", named("end-away")},
        {"POST", "residents/{}/away", set_away, "set a resident away", named("away")},
    });
  }
  api::response go(const std::string& method, std::string_view path,
                   auth::role role = auth::role::admin) {
    auth::principal who{"u", role, "h", "api", std::nullopt};
    return table.dispatch(req(method), who, path);
  }
};
}  // namespace

TEST_CASE("a path reaches its route with the segments it matched", "[api]") {
  fixture f;
  CHECK(f.go("GET", "alerts/17").body == "one 17");
  CHECK(f.go("POST", "alerts/17/claim").body == "claim 17");
  CHECK(f.go("POST", "residents/R-1001/away").body == "away R-1001");
  CHECK(f.go("DELETE", "residents/R-1001/away").body == "end-away R-1001");
}

TEST_CASE("a literal segment wins over a placeholder, whatever the order they were added in",
          "[api]") {
  fixture f;
  CHECK(f.go("GET", "alerts/export").body == "export");
  CHECK(f.go("GET", "alerts/exports").body == "one exports");
}

TEST_CASE("no route: 404; the path under another method: 405 naming the methods", "[api]") {
  fixture f;
  auto none = f.go("GET", "nothing/here");
  CHECK(none.status == 404);
  CHECK(none.body.find("not-found") != std::string::npos);
  CHECK(f.go("GET", "alerts/").status == 404);  // an empty segment is no id
  CHECK(f.go("GET", "alerts/1/claim/x").status == 404);
  auto wrong = f.go("PUT", "silences");
  CHECK(wrong.status == 405);
  CHECK(wrong.body.find("use GET or POST") != std::string::npos);
  CHECK(f.go("GET", "alerts/1/claim").status == 405);
  CHECK(f.calls == 0);
}

TEST_CASE("a role without the route's permission gets 403 and the handler never runs",
          "[api][auth]") {
  fixture f;
  auto refused = f.go("POST", "silences", auth::role::operator_desk);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("your role may not create silences") != std::string::npos);
  CHECK(f.go("POST", "alerts/1/claim", auth::role::integrator).status == 403);
  CHECK(f.calls == 0);
  CHECK(f.go("GET", "silences", auth::role::operator_desk).body == "silences");
  CHECK(f.calls == 1);
}
