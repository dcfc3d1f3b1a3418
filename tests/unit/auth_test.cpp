// SPDX-License-Identifier: Apache-2.0
// Issue 6, pure parts: password hashes, token hashes, the login rate limit on an injected
// clock, and the role and caseload table.
#include <catch2/catch.hpp>

#include "auth/credentials.hpp"
#include "auth/login_guard.hpp"
#include "auth/scope.hpp"
#include "base/time.hpp"

using namespace hearth;
using namespace std::chrono_literals;

TEST_CASE("a password hash is salted, slow, and verifies only the right password", "[auth]") {
  const auto a = auth::hash_password("correct horse", 1000);
  const auto b = auth::hash_password("correct horse", 1000);
  CHECK(a != b);  // a fresh salt each time
  CHECK(a.starts_with("pbkdf2-sha256$1000$"));
  CHECK(a.find("correct horse") == std::string::npos);
  CHECK(auth::verify_password("correct horse", a));
  CHECK(!auth::verify_password("correct horsf", a));
  CHECK(!auth::verify_password("correct horse", ""));
  CHECK(!auth::verify_password("correct horse", "plain:correct horse"));
  CHECK(auth::k_pbkdf2_iterations >= 200'000);
}

TEST_CASE("tokens are random and stored as their SHA-256", "[auth]") {
  const auto t = auth::new_token();
  CHECK(t.size() == 43);
  CHECK(t != auth::new_token());
  CHECK(auth::token_hash("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("five failures lock a user name and an address for a minute", "[auth]") {
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  for (int i = 0; i < 4; ++i) {
    guard.failed("op-li", "10.0.0.5", clock.now());
    CHECK(!guard.locked_until("op-li", "10.0.0.5", clock.now()));
  }
  guard.failed("op-li", "10.0.0.5", clock.now());
  CHECK(guard.locked_until("op-li", "10.0.0.9", clock.now()));    // the name, from anywhere
  CHECK(guard.locked_until("op-wang", "10.0.0.5", clock.now()));  // the address, for anyone
  CHECK(!guard.locked_until("op-wang", "10.0.0.9", clock.now()));
  clock.advance(59s);
  CHECK(guard.locked_until("op-li", "10.0.0.9", clock.now()));
  clock.advance(1s);
  CHECK(!guard.locked_until("op-li", "10.0.0.9", clock.now()));
}

TEST_CASE("a success clears the user's failures; failures outside the window are forgotten",
          "[auth]") {
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  for (int i = 0; i < 4; ++i)
    guard.failed("op-li", "10.0.0.5", clock.now());
  guard.succeeded("op-li");
  guard.failed("op-li", "10.0.0.6", clock.now());
  CHECK(!guard.locked_until("op-li", "10.0.0.6", clock.now()));
  clock.advance(16min);
  for (int i = 0; i < 4; ++i)
    guard.failed("op-zhou", "10.0.0.7", clock.now());
  clock.advance(16min);
  guard.failed("op-zhou", "10.0.0.7", clock.now());
  CHECK(!guard.locked_until("op-zhou", "10.0.0.7", clock.now()));
}

TEST_CASE("roles: who may do what, and a social worker's caseload", "[auth]") {
  using auth::permission;
  using auth::role;
  CHECK(auth::allowed(role::operator_desk, permission::read_personal_data));
  CHECK(!auth::allowed(role::operator_desk, permission::manage_silences));
  CHECK(auth::allowed(role::supervisor, permission::manage_silences));
  CHECK(auth::allowed(role::supervisor, permission::manage_users));
  CHECK(!auth::allowed(role::integrator, permission::read_personal_data));
  CHECK(!auth::allowed(role::integrator, permission::act_on_alerts));
  CHECK(auth::allowed(role::integrator, permission::read_devices));
  CHECK(!auth::allowed(role::social_worker, permission::read_devices));
  CHECK(auth::allowed(role::admin, permission::read_metrics));

  registry::tables t;
  t.households = {{"H-1", "B1", "1", "Building 1 Unit 1"}, {"H-2", "B1", "2", "Building 1 Unit 2"}};
  t.residents = {{"R-1", "H-1", "A", 1940, true, "", "", "", "sw-lu"},
                 {"R-2", "H-2", "B", 1941, true, "", "", "", "sw-song"}};
  registry::registry reg(t);
  const auth::principal lu{"sw-lu", role::social_worker, "", "api", {}};
  const auth::principal op{"op-wang", role::operator_desk, "", "api", {}};
  alerts::alert mine, theirs, building;
  mine.subject = {"d1", "H-1", "B1", {"R-1"}};
  theirs.subject = {"d2", "H-2", "B1", {"R-2"}};
  building.subject = {"tilt", "", "B1", {}};
  CHECK(auth::alert_in_scope(lu, reg, mine));
  CHECK(!auth::alert_in_scope(lu, reg, theirs));
  CHECK(!auth::alert_in_scope(lu, reg, building));
  CHECK(auth::alert_in_scope(op, reg, theirs));
  CHECK(auth::household_in_scope(lu, reg, "H-1"));
  CHECK(!auth::household_in_scope(lu, reg, "H-2"));
  CHECK(auth::resident_in_scope(lu, *reg.find_resident("R-1")));
  CHECK(!auth::resident_in_scope(lu, *reg.find_resident("R-2")));
}
