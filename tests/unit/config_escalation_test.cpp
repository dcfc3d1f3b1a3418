// SPDX-License-Identifier: Apache-2.0
// The optional `escalation:` and `webhooks:` sections of the config file.
#include <catch2/catch.hpp>

#include "app/config.hpp"
#include "support/config_support.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

std::optional<app::config> parse(const std::string& extra, diagnostics& d) {
  return test::parse_config_with(extra, d);
}
}  // namespace

TEST_CASE("without an escalation section the defaults apply", "[config]") {
  diagnostics d;
  auto c = parse("timezone: Asia/Shanghai\n", d);
  REQUIRE(c);
  CHECK(c->escalation.claim[0].after == 60s);
  CHECK(c->escalation.claim[1].after == 10min);
  CHECK(c->escalation.claim[2].after == 4h);
  CHECK_FALSE(c->escalation.claim[3].after.has_value());
  CHECK(c->escalation.claim[3].next_working_day_at == 9h);
  CHECK(c->escalation.timezone == "Asia/Shanghai");
  CHECK(c->webhooks.empty());
}

TEST_CASE("escalation targets are configurable per priority", "[config]") {
  diagnostics d;
  auto c = parse(
      "escalation:\n  claim: { p1: 30s, p4: \"next working day 08:30\" }\n  resolve: { p1: 10min, "
      "p3: 12h }\n",
      d);
  REQUIRE(c);
  CHECK(d.empty());
  CHECK(c->escalation.claim[0].after == 30s);
  CHECK(c->escalation.claim[1].after == 10min);  // untouched default
  CHECK(c->escalation.claim[3].next_working_day_at == 8h + 30min);
  CHECK(c->escalation.resolve[0] == 10min);
  CHECK(c->escalation.resolve[2] == 12h);
}

TEST_CASE("a bad escalation target or unknown key is a file:line error", "[config]") {
  diagnostics d;
  CHECK_FALSE(parse("escalation:\n  claim: { p1: soon }\n", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].text().find("hearth.yaml:5") != std::string::npos);
  d.clear();
  CHECK_FALSE(parse("escalation:\n  claim: { p5: 1h }\n", d));
  REQUIRE_FALSE(d.empty());
  CHECK(d[0].message.find("p5") != std::string::npos);
  d.clear();
  CHECK_FALSE(parse("escalation:\n  ack: { p1: 1h }\n", d));
}

TEST_CASE("webhooks are a list of http URLs with timeouts", "[config]") {
  diagnostics d;
  auto c = parse(
      "webhooks:\n  - { url: \"http://127.0.0.1:9000/hook\", timeout: 2s }\n  - { url: "
      "\"http://b/\" }\n",
      d);
  REQUIRE(c);
  REQUIRE(c->webhooks.size() == 2);
  CHECK(c->webhooks[0].timeout == 2s);
  CHECK(c->webhooks[1].timeout == 5s);
  CHECK(c->webhooks[1].max_attempts == 8);
  d.clear();
  CHECK_FALSE(parse("webhooks:\n  - { url: \"https://x/\" }\n", d));
  d.clear();
  CHECK_FALSE(parse("webhooks:\n  - { url: \"http://x/\", retries: 3 }\n", d));
}
