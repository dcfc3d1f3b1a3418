// SPDX-License-Identifier: Apache-2.0
// `hearthd users remove|passwd|token` (issue 16) against a real SQLite file: a rotated token
// replaces the old one, an expiry is kept, a new password ends the console sessions,
// --revoke ends everything, remove takes the user and its tokens, each change is an audit
// row, and a user that does not exist is an error.
#include <catch2/catch.hpp>

#include "auth/credentials.hpp"
#include "auth/users.hpp"
#include "base/clock.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace hearth::test;

struct cli {
  temp_dir dir;
  std::string db = (dir / "hearth.db").string();
  std::string cfg = (dir / "hearth.yaml").string();
  cli() {
    write_file(cfg, "database: " + db +
                        "\ndevices_dir: " HEARTH_SOURCE_DIR
                        "/devices\nrules_dir: " HEARTH_SOURCE_DIR "/rules\n");
  }
  command_result run(std::vector<std::string> args) {
    std::vector<std::string> argv{HEARTHD_BINARY, "users"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", cfg});
    return run_command(argv, dir);
  }
  std::string password_file(const std::string& name, const std::string& pw) {
    const auto p = dir / name;
    write_file(p, pw + "\n");
    return p.string();
  }
  /// The token a command printed last (its last line).
  static std::string token_of(const command_result& r) {
    auto text = r.output;
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return text.substr(text.rfind('\n') + 1);
  }
};

bool works(store::store& st, const std::string& token) {
  return auth::find_token(st, auth::token_hash(token), wall_clock{}.now()).has_value();
}
}  // namespace

TEST_CASE("users token, passwd and remove change one user, each with an audit row", "[cli]") {
  cli c;
  auto added = c.run({"add", "op-li", "--role", "operator", "--password-file",
                      c.password_file("pw1", "first password")});
  INFO(added.output);
  REQUIRE(added.status == 0);
  const auto first = cli::token_of(added);
  {
    store::store st(c.db);
    CHECK(works(st, first));
    // A console session, as a login makes one.
    auth::add_token(st, {auth::token_hash("session-token-of-op-li"), "op-li", "session",
                         wall_clock{}.now(), wall_clock{}.now() + std::chrono::hours(12)});
  }

  // A new token with an expiry: the old one stops working, the session does not.
  const auto before = wall_clock{}.now();
  auto rotated = c.run({"token", "op-li", "--expires", "2h"});
  INFO(rotated.output);
  REQUIRE(rotated.status == 0);
  const auto second = cli::token_of(rotated);
  CHECK(second != first);
  {
    store::store st(c.db);
    CHECK_FALSE(works(st, first));
    REQUIRE(works(st, second));
    const auto t = auth::find_token(st, auth::token_hash(second), wall_clock{}.now());
    REQUIRE(t->expires_at);
    CHECK(*t->expires_at >= before + std::chrono::hours(2));
    CHECK(*t->expires_at <= wall_clock{}.now() + std::chrono::hours(2));
    CHECK(works(st, "session-token-of-op-li"));
  }
  CHECK(c.run({"token", "op-li", "--expires", "5s"}).status == 2);  // under an hour
  CHECK(c.run({"token", "nobody"}).status == 1);

  // A new password: it verifies, the old one does not, and the console session ended.
  auto passwd = c.run({"passwd", "op-li", "--password-file", c.password_file("pw2", "second pw!")});
  INFO(passwd.output);
  REQUIRE(passwd.status == 0);
  CHECK(passwd.output.find("1 console sessions ended") != std::string::npos);
  {
    store::store st(c.db);
    const auto u = auth::find_user(st, "op-li");
    REQUIRE(u);
    CHECK(auth::verify_password("second pw!", u->password_hash));
    CHECK_FALSE(auth::verify_password("first password", u->password_hash));
    CHECK_FALSE(works(st, "session-token-of-op-li"));
    CHECK(works(st, second));  // an API token is not a console session
  }

  // --revoke: nothing of the user works any more.
  REQUIRE(c.run({"token", "op-li", "--revoke"}).status == 0);
  {
    store::store st(c.db);
    CHECK_FALSE(works(st, second));
    CHECK(auth::tokens_of(st, "op-li").empty());
  }
  const auto again = c.run({"token", "op-li"});
  REQUIRE(again.status == 0);
  const auto third = cli::token_of(again);

  // remove: the user and its tokens go.
  REQUIRE(c.run({"remove", "op-li"}).status == 0);
  CHECK(c.run({"remove", "op-li"}).status == 1);
  store::store st(c.db);
  CHECK_FALSE(auth::find_user(st, "op-li"));
  CHECK_FALSE(works(st, third));
  std::vector<std::string> actions;
  for (const auto& row : st.audit_rows())
    if (row.entry.subject == "user:op-li") {
      CHECK(row.entry.channel == "cli");
      actions.push_back(row.entry.action);
    }
  CHECK(actions == std::vector<std::string>{"user-added", "token-rotated", "password-reset",
                                            "tokens-revoked", "token-rotated", "user-removed"});
  CHECK(st.verify_audit().bad == std::nullopt);
}
