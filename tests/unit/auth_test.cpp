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

TEST_CASE("five failures lock one user from one client, not the user elsewhere nor others there",
          "[auth]") {
  // Issue 18: behind nginx every client was 127.0.0.1, and five typos locked the name and
  // the address: the whole night shift. Now only the pair is locked.
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  for (int i = 0; i < 4; ++i) {
    guard.failed("op-li", "10.0.0.5", clock.now());
    CHECK(!guard.locked_until("op-li", "10.0.0.5", clock.now()));
  }
  guard.failed("op-li", "10.0.0.5", clock.now());
  CHECK(guard.locked_until("op-li", "10.0.0.5", clock.now()));
  CHECK(!guard.locked_until("op-li", "10.0.0.9", clock.now()));    // the user, elsewhere
  CHECK(!guard.locked_until("op-wang", "10.0.0.5", clock.now()));  // another user, there
  clock.advance(59s);
  CHECK(guard.locked_until("op-li", "10.0.0.5", clock.now()));
  clock.advance(1s);
  CHECK(!guard.locked_until("op-li", "10.0.0.5", clock.now()));
}

TEST_CASE("each further lock of the same pair lasts twice as long, up to an hour", "[auth]") {
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  std::vector<long long> locks;  // seconds
  for (int round = 0; round < 9; ++round) {
    for (int i = 0; i < 5; ++i)
      guard.failed("op-li", "10.0.0.5", clock.now());
    auto until = guard.locked_until("op-li", "10.0.0.5", clock.now());
    REQUIRE(until);
    locks.push_back(std::chrono::duration_cast<std::chrono::seconds>(*until - clock.now()).count());
    clock.set(*until);
  }
  CHECK(locks == std::vector<long long>{60, 120, 240, 480, 960, 1920, 3600, 3600, 3600});
  // A success starts the pair afresh: the next lock is one minute again.
  guard.succeeded("op-li", "10.0.0.5");
  for (int i = 0; i < 5; ++i)
    guard.failed("op-li", "10.0.0.5", clock.now());
  CHECK(*guard.locked_until("op-li", "10.0.0.5", clock.now()) == clock.now() + 60s);
}

TEST_CASE("a success clears the pair's failures; failures outside the window are forgotten",
          "[auth]") {
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  for (int i = 0; i < 4; ++i)
    guard.failed("op-li", "10.0.0.5", clock.now());
  guard.succeeded("op-li", "10.0.0.5");
  guard.failed("op-li", "10.0.0.5", clock.now());
  CHECK(!guard.locked_until("op-li", "10.0.0.5", clock.now()));
  clock.advance(16min);
  for (int i = 0; i < 4; ++i)
    guard.failed("op-zhou", "10.0.0.7", clock.now());
  clock.advance(16min);
  guard.failed("op-zhou", "10.0.0.7", clock.now());
  CHECK(!guard.locked_until("op-zhou", "10.0.0.7", clock.now()));
}

TEST_CASE("the guard's memory is bounded, and a lock in force outlives the churn", "[auth]") {
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  auth::login_guard guard;
  for (int i = 0; i < 5; ++i)
    guard.failed("op-li", "10.0.0.5", clock.now());
  for (std::size_t i = 0; i < auth::login_guard::k_max_entries + 1000; ++i)
    guard.failed("guess-" + std::to_string(i), "10.9.0.1", clock.now());
  CHECK(guard.size() <= auth::login_guard::k_max_entries);
  CHECK(guard.locked_until("op-li", "10.0.0.5", clock.now()));
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
