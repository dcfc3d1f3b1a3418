// SPDX-License-Identifier: Apache-2.0
// Issue 18, pure parts of the HTTP server's bounds: the connection table's shedding policy,
// and which client a request comes from behind a reverse proxy.
#include <catch2/catch.hpp>

#include "api/connections.hpp"
#include "api/forwarded.hpp"

using namespace hearth;
using api::connection_table;

namespace {
connection_table::id admitted(connection_table& t, const std::string& address,
                              bool trusted = false) {
  auto a = t.admit(address, trusted);
  REQUIRE(a.admitted);
  REQUIRE(a.shed.empty());
  return *a.admitted;
}
}  // namespace

TEST_CASE("over the per-address limit the oldest idle connection of that address is shed",
          "[api][connections]") {
  connection_table t({10, 3, 1u << 20});
  const auto a1 = admitted(t, "10.0.0.1");
  const auto a2 = admitted(t, "10.0.0.1");
  const auto a3 = admitted(t, "10.0.0.1");
  const auto b1 = admitted(t, "10.0.0.2");
  t.busy(a1);  // a request in hand: not idle, not shed
  auto d = t.admit("10.0.0.1", false);
  REQUIRE(d.admitted);
  CHECK(d.shed == std::vector<connection_table::id>{a2});
  CHECK(d.why == connection_table::reason::per_address);
  CHECK(t.open_from("10.0.0.1") == 3);
  CHECK(t.open_from("10.0.0.2") == 1);
  t.busy(a3);
  t.busy(*d.admitted);
  // Everything from 10.0.0.1 is busy now: the next one is refused, nobody is shed.
  auto refused = t.admit("10.0.0.1", false);
  CHECK(!refused.admitted);
  CHECK(refused.shed.empty());
  // Another address is not affected at all.
  CHECK(t.admit("10.0.0.2", false).admitted);
  (void)b1;
}

TEST_CASE(
    "over the total limit the oldest idle connection of anyone is shed; trusted proxies "
    "count only toward the total",
    "[api][connections]") {
  connection_table t({4, 2, 1u << 20});
  const auto p1 = admitted(t, "127.0.0.1", true);
  const auto p2 = admitted(t, "127.0.0.1", true);
  const auto p3 = admitted(t, "127.0.0.1", true);  // past per_address: a trusted proxy
  CHECK(t.open_from("127.0.0.1") == 0);
  const auto c1 = admitted(t, "10.0.0.7");
  t.busy(p1);
  t.idle(p1);  // idle again: now the newest idle
  auto d = t.admit("10.0.0.8", false);
  REQUIRE(d.admitted);
  CHECK(d.shed == std::vector<connection_table::id>{p2});
  CHECK(d.why == connection_table::reason::total);
  CHECK(t.open() == 4);
  (void)p3;
  (void)c1;
}

TEST_CASE(
    "pinned WebSocket streams are never shed as idle, and descriptors come from the oldest "
    "idle",
    "[api][connections]") {
  connection_table t({2, 2, 1u << 20});
  const auto ws = admitted(t, "10.0.0.1");
  t.pin(ws);
  const auto idle = admitted(t, "10.0.0.2");
  auto d = t.admit("10.0.0.3", false);
  CHECK(d.shed == std::vector<connection_table::id>{idle});
  CHECK(t.oldest_idle() == d.admitted);
  CHECK(!t.oldest_idle());  // only the stream is left
  CHECK(t.open() == 1);
}

TEST_CASE("answers being written share one byte budget; the longest writer is shed for room",
          "[api][connections]") {
  connection_table t({10, 10, 1000});
  const auto slow = admitted(t, "10.0.0.1");
  const auto slower = admitted(t, "10.0.0.2");
  const auto fresh = admitted(t, "10.0.0.3");
  CHECK(t.writing(slower, 400).empty());
  CHECK(t.writing(slow, 400).empty());
  CHECK(t.response_bytes() == 800);
  CHECK(t.writing(fresh, 300) == std::vector<connection_table::id>{slower});
  CHECK(t.response_bytes() == 700);
  t.written(slow);
  CHECK(t.response_bytes() == 300);
  // The writer itself is never its own victim, even when it alone is over the budget.
  CHECK(t.writing(fresh, 5000).empty());
  t.release(fresh);
  CHECK(t.response_bytes() == 0);
}

TEST_CASE("trusted proxies: addresses and CIDR blocks, IPv4 and IPv6", "[api][forwarded]") {
  auto set = api::address_set::parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"});
  REQUIRE(set);
  CHECK(set->contains("127.0.0.1"));
  CHECK(!set->contains("127.0.0.2"));
  CHECK(set->contains("10.200.3.4"));
  CHECK(set->contains("::ffff:10.1.2.3"));
  CHECK(!set->contains("11.0.0.1"));
  CHECK(set->contains("fd12:3456::1"));
  CHECK(set->contains("::1"));
  CHECK(!set->contains("fe80::1"));
  CHECK(!set->contains("not an address"));
  auto bad = api::address_set::parse({"10.0.0.0/33"});
  REQUIRE(!bad);
  CHECK(bad.err().message == "'10.0.0.0/33': the prefix length must be 0 to 32");
  CHECK(api::address_set::parse({"nginx.local"}).err().message ==
        "'nginx.local' is not an IP address or CIDR block");
}

TEST_CASE("X-Forwarded-For is believed only from a trusted proxy, read from the right",
          "[api][forwarded]") {
  const auto trusted = *api::address_set::parse({"127.0.0.1", "10.1.0.0/16"});
  // From nginx on loopback: the address nginx appended.
  CHECK(api::client_address("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9");
  // A client that writes its own X-Forwarded-For gets it kept on the left: not believed.
  CHECK(api::client_address("127.0.0.1", "1.2.3.4, 203.0.113.9", trusted) == "203.0.113.9");
  // Two proxies in a row: past both.
  CHECK(api::client_address("127.0.0.1", "203.0.113.9, 10.1.2.3", trusted) == "203.0.113.9");
  // Not from a trusted proxy: the header is ignored, whatever it says.
  CHECK(api::client_address("198.51.100.7", "127.0.0.1", trusted) == "198.51.100.7");
  CHECK(api::client_address("127.0.0.1", "", trusted) == "127.0.0.1");
  CHECK(api::client_address("127.0.0.1", "garbage", trusted) == "127.0.0.1");
  CHECK(api::client_address("127.0.0.1", "203.0.113.9", api::address_set{}) == "127.0.0.1");
  CHECK(api::forwarded_https("127.0.0.1", "https", trusted));
  CHECK(!api::forwarded_https("198.51.100.7", "https", trusted));
  CHECK(!api::forwarded_https("127.0.0.1", "http", trusted));
}

TEST_CASE("this machine's own addresses, IPv4-mapped ones included, are loopback; others not",
          "[api][forwarded]") {
  // /metrics answers these without a token, on the active node and on a standby: the
  // standby once kept its own list, without "::ffff:127.0.0.1".
  CHECK(api::is_loopback("127.0.0.1"));
  CHECK(api::is_loopback("127.3.4.5"));
  CHECK(api::is_loopback("::1"));
  CHECK(api::is_loopback("::ffff:127.0.0.1"));
  CHECK(api::is_loopback(""));  // an in-process call
  CHECK_FALSE(api::is_loopback("10.0.0.1"));
  CHECK_FALSE(api::is_loopback("::ffff:10.0.0.1"));
  CHECK_FALSE(api::is_loopback("128.0.0.1"));
  CHECK_FALSE(api::is_loopback("fe80::1"));
}
