// SPDX-License-Identifier: Apache-2.0
// The desk's users and away periods over the API (issue 16), against a real SQLite file on
// a manual clock: an API token with an expiry stops working at it; disabling a user ends its
// sessions at once and refuses its tokens and logins until it is enabled; who may manage
// whom; a caseload change is what the social worker then sees; every change is an audit row
// without the secret; an away ended early is ended for good (and after a restart).
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/routes.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "support/auth_support.hpp"
#include "support/harness.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace json = boost::json;

struct desk {
  test::temp_dir dir;
  manual_clock clock{*parse_rfc3339("2026-11-20T00:00:00Z")};
  telemetry tel;
  store::store st{(dir / "hearth.db").string()};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{true, true, {}, {}}; }};
  std::map<std::string, std::string> tokens;

  desk() {
    pipe.set_registry(std::make_shared<registry::registry>(test::test_registry()));
    tokens["admin-1"] = test::issue_token(st, "admin-1", auth::role::admin);
    tokens["sup-wang"] = test::issue_token(st, "sup-wang", auth::role::supervisor);
  }
  api::response call_with(const std::string& token, const std::string& method,
                          const std::string& path, const std::string& body = {}) {
    api::request r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.headers["authorization"] = "Bearer " + token;
    return routes.handle(r);
  }
  api::response call(const std::string& who, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    return call_with(tokens.at(who), method, path, body);
  }
  api::response login(const std::string& user, const std::string& password) {
    api::request r;
    r.method = "POST";
    r.path = "/api/v1/login";
    r.body = json::serialize(json::object{{"user", user}, {"password", password}});
    return routes.handle(r);
  }
  /// Adds a user over the API as `by`; returns its API token.
  std::string add(const std::string& by, const std::string& body) {
    const auto r = call(by, "POST", "/api/v1/users", body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return std::string(json::parse(r.body).at("token").as_string());
  }
  std::size_t audited(const std::string& action, const std::string& subject) {
    std::size_t n = 0;
    for (const auto& row : st.audit_rows())
      if (row.entry.action == action && row.entry.subject == subject) ++n;
    return n;
  }
};

json::object body(const api::response& r) {
  return json::parse(r.body).as_object();
}
}  // namespace

TEST_CASE("an API token with an expiry works until it and not at it", "[api][auth]") {
  desk d;
  const auto token = d.add("sup-wang", R"({"name":"op-li","role":"operator","expires_in":"1h"})");
  CHECK(d.call_with(token, "GET", "/api/v1/me").status == 200);
  const auto listed = body(d.call("sup-wang", "GET", "/api/v1/users"));
  bool seen = false;
  for (const auto& u : listed.at("users").as_array())
    if (u.at("name") == "op-li") {
      seen = true;
      REQUIRE(u.at("api_tokens").as_array().size() == 1);
      CHECK(u.at("api_tokens").as_array()[0].at("expires_at") == "2026-11-20T01:00:00Z");
    }
  CHECK(seen);
  d.clock.advance(59min);
  CHECK(d.call_with(token, "GET", "/api/v1/me").status == 200);
  d.clock.advance(1min);
  const auto expired = d.call_with(token, "GET", "/api/v1/me");
  CHECK(expired.status == 401);
  CHECK(body(expired).at("error") == "unauthenticated");

  // A rotated token with a lifetime; the rotation is audited, the token is not.
  const auto rotated =
      d.call("sup-wang", "POST", "/api/v1/users/op-li/token", R"({"expires_in":"90d"})");
  REQUIRE(rotated.status == 200);
  const auto r = body(rotated);
  CHECK(r.at("expires_at") == "2027-02-18T01:00:00Z");
  const std::string fresh(r.at("token").as_string());
  CHECK(d.call_with(fresh, "GET", "/api/v1/me").status == 200);
  CHECK(d.audited("token-rotated", "user:op-li") == 1);
  for (const auto& row : d.st.audit_rows())
    CHECK(row.entry.note.find(fresh) == std::string::npos);
  CHECK(
      d.call("sup-wang", "POST", "/api/v1/users/op-li/token", R"({"expires_in":"10min"})").status ==
      400);
}

TEST_CASE("disabling a user ends its sessions at once; enabled, its API token works again",
          "[api][auth]") {
  desk d;
  const auto api_token = d.add(
      "sup-wang", R"({"name":"op-li","role":"operator","password":"a long enough password"})");
  const auto logged_in = d.login("op-li", "a long enough password");
  REQUIRE(logged_in.status == 200);
  const std::string session(body(logged_in).at("token").as_string());
  CHECK(d.call_with(session, "GET", "/api/v1/me").status == 200);

  const auto disabled = d.call("sup-wang", "POST", "/api/v1/users/op-li/disable");
  REQUIRE(disabled.status == 200);
  CHECK(body(disabled).at("disabled") == true);
  CHECK(body(disabled).at("sessions") == 0);
  CHECK(d.call_with(session, "GET", "/api/v1/me").status == 401);
  CHECK(d.call_with(api_token, "GET", "/api/v1/alerts").status == 401);
  const auto refused = d.login("op-li", "a long enough password");
  CHECK(refused.status == 403);
  CHECK(body(refused).at("error") == "disabled");
  CHECK(d.audited("user-disabled", "user:op-li") == 1);

  REQUIRE(d.call("sup-wang", "POST", "/api/v1/users/op-li/enable").status == 200);
  CHECK(d.call_with(api_token, "GET", "/api/v1/me").status == 200);
  CHECK(d.call_with(session, "GET", "/api/v1/me").status == 401);  // ended, not paused
  CHECK(d.audited("user-enabled", "user:op-li") == 1);

  // A reset password: generated once, the old one stops working, sessions end.
  const auto second = d.login("op-li", "a long enough password");
  REQUIRE(second.status == 200);
  const std::string session2(body(second).at("token").as_string());
  const auto reset = d.call("sup-wang", "POST", "/api/v1/users/op-li/password");
  REQUIRE(reset.status == 200);
  const std::string generated(body(reset).at("password").as_string());
  CHECK(generated.size() >= 12);
  CHECK(d.call_with(session2, "GET", "/api/v1/me").status == 401);
  CHECK(d.login("op-li", "a long enough password").status == 401);
  CHECK(d.login("op-li", generated).status == 200);
  for (const auto& row : d.st.audit_rows())
    CHECK(row.entry.note.find(generated) == std::string::npos);
}

TEST_CASE(
    "a supervisor manages operators and social workers, not admins or supervisors; "
    "nobody disables or removes their own user",
    "[api][auth]") {
  desk d;
  CHECK(d.call("sup-wang", "POST", "/api/v1/users", R"({"name":"a2","role":"admin"})").status ==
        403);
  CHECK(
      d.call("sup-wang", "POST", "/api/v1/users", R"({"name":"s2","role":"supervisor"})").status ==
      403);
  CHECK(d.call("sup-wang", "POST", "/api/v1/users/admin-1/disable").status == 403);
  CHECK(d.call("sup-wang", "DELETE", "/api/v1/users/admin-1").status == 403);
  CHECK(d.call("sup-wang", "POST", "/api/v1/users/admin-1/password", R"({"password":"12345678"})")
            .status == 403);
  CHECK(d.call("admin-1", "POST", "/api/v1/users/admin-1/disable").status == 403);
  CHECK(d.call("admin-1", "DELETE", "/api/v1/users/admin-1").status == 403);
  CHECK(d.call("admin-1", "PATCH", "/api/v1/users/admin-1", R"({"role":"operator"})").status ==
        403);
  // An operator may set its own password, and no one else's.
  const auto op = d.add("sup-wang", R"({"name":"op-li","role":"operator"})");
  CHECK(d.call_with(op, "POST", "/api/v1/users/op-li/password", R"({"password":"my own pw 1"})")
            .status == 200);
  CHECK(d.call_with(op, "POST", "/api/v1/users/sup-wang/password", R"({"password":"12345678"})")
            .status == 403);
  CHECK(d.call_with(op, "GET", "/api/v1/users").status == 403);
  // The admin may make a supervisor; the supervisor may then not touch them.
  d.add("admin-1", R"({"name":"sup-li","role":"operator"})");
  REQUIRE(d.call("admin-1", "PATCH", "/api/v1/users/sup-li", R"({"role":"supervisor"})").status ==
          200);
  CHECK(d.call("sup-wang", "POST", "/api/v1/users/sup-li/disable").status == 403);
  CHECK(d.audited("role-changed", "user:sup-li") == 1);
  // Removing a user takes its tokens with it.
  REQUIRE(d.call("sup-wang", "DELETE", "/api/v1/users/op-li").status == 204);
  CHECK(d.call_with(op, "GET", "/api/v1/me").status == 401);
  CHECK(d.call("sup-wang", "DELETE", "/api/v1/users/op-li").status == 404);
}

TEST_CASE("a social worker's caseload change is what they see next", "[api][auth][privacy]") {
  desk d;
  // sw-lu's residents (registry): R-1001. R-1002 is sw-song's.
  const auto lu = d.add("sup-wang", R"({"name":"sw-lu","role":"social_worker"})");
  CHECK(d.call_with(lu, "GET", "/api/v1/residents/R-1002").status == 404);
  const auto changed =
      d.call("sup-wang", "PATCH", "/api/v1/users/sw-lu", R"({"caseload":["worker:sw-song"]})");
  REQUIRE(changed.status == 200);
  CHECK(body(changed).at("caseload") == json::parse(R"(["worker:sw-song"])"));
  CHECK(d.call_with(lu, "GET", "/api/v1/residents/R-1002").status == 200);
  CHECK(d.audited("caseload-changed", "user:sw-lu") == 1);
  REQUIRE(d.call("sup-wang", "PATCH", "/api/v1/users/sw-lu", R"({"caseload":[]})").status == 200);
  CHECK(d.call_with(lu, "GET", "/api/v1/residents/R-1002").status == 404);
  CHECK(d.call("sup-wang", "PATCH", "/api/v1/users/sw-lu", R"({"caseload":["R-1002"]})").status ==
        400);
}

TEST_CASE("an away ended early re-arms the resident now, and stays ended after a restart",
          "[api][privacy]") {
  desk d;
  const auto lu = d.add("sup-wang", R"({"name":"sw-lu","role":"social_worker"})");
  REQUIRE(d.call_with(lu, "POST", "/api/v1/residents/R-1001/away",
                      R"({"until":"2026-11-27T00:00:00Z","reason":"in hospital"})")
              .status == 200);
  CHECK(d.book.is_away("R-1001", d.clock.now()));
  // sw-lu may not end the away of a resident outside her caseload; a supervisor may.
  REQUIRE(d.call("sup-wang", "POST", "/api/v1/residents/R-1002/away",
                 R"({"until":"2026-11-27T00:00:00Z","reason":"with family"})")
              .status == 200);
  CHECK(d.call_with(lu, "DELETE", "/api/v1/residents/R-1002/away").status == 404);
  d.clock.advance(std::chrono::hours(30));
  CHECK(d.call_with(lu, "DELETE", "/api/v1/residents/R-1001/away").status == 204);
  CHECK_FALSE(d.book.is_away("R-1001", d.clock.now()));
  CHECK(d.call_with(lu, "DELETE", "/api/v1/residents/R-1001/away").status == 404);
  CHECK(d.call("sup-wang", "DELETE", "/api/v1/residents/R-1002/away").status == 204);
  CHECK(d.audited("away-ended", "resident:R-1001") == 1);
  for (const auto& row : d.st.audit_rows())
    CHECK(row.entry.note.find("hospital") == std::string::npos);  // health data stays out
  CHECK(d.st.load_aways(d.clock.now()).empty());                  // a restart restores no away
  const auto op = d.add("sup-wang", R"({"name":"op-li","role":"operator"})");
  CHECK(d.call_with(op, "DELETE", "/api/v1/residents/R-1001/away").status == 403);
}
