// SPDX-License-Identifier: Apache-2.0
// Webhook delivery against a real local HTTP server: retry with backoff after failures, and
// a webhook that never answers does not hold up the caller. Polls with deadlines.
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "notify/outputs.hpp"
#include "notify/webhooks.hpp"
#include "support/descriptors.hpp"
#include "support/hook_server.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
using hearth::test::hook_server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::yield();
  }
  return f();
}

}  // namespace

TEST_CASE("a webhook that fails twice is retried with backoff until it accepts", "[notify]") {
  hook_server server({500, 503});
  telemetry tel;
  std::mutex m;
  std::vector<notify::delivery_report> reports;
  notify::webhooks hooks({{server.url(), 2s, 5, 10ms}}, tel, [&](const notify::delivery_report& r) {
    std::lock_guard lock(m);
    reports.push_back(r);
  });
  hooks.send("7", R"({"id":"7"})",
             {{"X-Hearth-Transition", "opened"}, {"X-Hearth-Action", "opened"}});
  REQUIRE(eventually([&] {
    std::lock_guard lock(m);
    return !reports.empty();
  }));
  CHECK(server.requests() == 3);
  CHECK(reports[0].delivered);
  CHECK(reports[0].attempts == 3);
  CHECK(hooks.pending() == 0);
  const auto got = server.received();
  REQUIRE(got.size() == 3);
  CHECK(got.back().body() == R"({"id":"7"})");
  CHECK(got.back()[http::field::content_type] == "application/json");
  CHECK(got.back()["X-Hearth-Transition"] == "opened");
  CHECK(got.back().target() == "/hook");
  CHECK(tel.value("hearth_webhook_deliveries_total", R"(result="delivered")") == 1);
}

TEST_CASE("a webhook that keeps failing is dropped after max_attempts and reported", "[notify]") {
  hook_server server({500, 500, 500, 500});
  telemetry tel;
  std::atomic<bool> done{false};
  notify::delivery_report last;
  notify::webhooks hooks({{server.url(), 2s, 3, 1ms}}, tel, [&](const notify::delivery_report& r) {
    last = r;
    done = true;
  });
  hooks.send("8", "{}", {});
  REQUIRE(eventually([&] { return done.load(); }));
  CHECK_FALSE(last.delivered);
  CHECK(last.attempts == 3);
  CHECK(last.detail == "HTTP 500");
  CHECK(server.requests() == 3);
}

TEST_CASE("a webhook that never answers does not hold up send, and times out", "[notify]") {
  hook_server server({}, true);
  telemetry tel;
  std::atomic<bool> done{false};
  notify::webhooks hooks({{server.url(), 200ms, 1, 1ms}}, tel,
                         [&](const notify::delivery_report&) { done = true; });
  for (int i = 0; i < 50; ++i)
    hooks.send(std::to_string(i), "{}", {});
  // send() only queued: every delivery is still waiting on the silent server.
  CHECK(hooks.pending() > 0);
  REQUIRE(eventually([&] { return done.load(); }));
  REQUIRE(eventually([&] { return hooks.pending() == 0; }));
  CHECK(tel.value("hearth_webhook_deliveries_total", R"(result="dropped")") == 50);
}

TEST_CASE("a webhook that fails for a local reason is retried until delivered, never dropped",
          "[notify]") {
  // Issue 18: out of descriptors, deliveries failed here, not at the webhook, and were
  // dropped after max_attempts. Now they wait for descriptors without using up attempts.
  hook_server server({});
  telemetry tel;
  std::mutex m;
  std::vector<notify::delivery_report> reports;
  notify::webhooks hooks({{server.url(), 2s, 2, 1ms}}, tel, [&](const notify::delivery_report& r) {
    std::lock_guard lock(m);
    reports.push_back(r);
  });
  {
    test::descriptor_famine famine;
    hooks.send("9", R"({"id":"9"})", {});
    // Far more failures than max_attempts (2), and none of them counted as an attempt.
    REQUIRE(eventually([&] { return tel.value("hearth_webhook_local_failures_total") >= 4; }));
    std::lock_guard lock(m);
    CHECK(reports.empty());
    CHECK(hooks.pending() == 1);
  }
  REQUIRE(eventually(
      [&] {
        std::lock_guard lock(m);
        return !reports.empty();
      },
      40s));
  CHECK(reports[0].delivered);
  CHECK(server.requests() == 1);
  CHECK(tel.value("hearth_webhook_deliveries_total", R"(result="dropped")") == 0);
  CHECK(tel.value("hearth_webhook_attempt_errors_total") == 0);
}

TEST_CASE("a dead webhook holds at most four sockets however many deliveries wait", "[notify]") {
  hook_server server({}, true);  // reads and never answers
  telemetry tel;
  notify::webhooks hooks({{server.url(), 300ms, 1, 1ms}}, tel);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i)
    hooks.send(std::to_string(i), "{}", {});
  REQUIRE(eventually([&] { return hooks.pending() == 0; }, 30s));
  // Four at a time, each waiting out its 300 ms: ten rounds, 3 s at least. Forty sockets at
  // once (no gate) would all have timed out together after 0.3 s.
  CHECK(std::chrono::steady_clock::now() - t0 >= 2700ms);
  CHECK(server.requests() == 40);
  CHECK(tel.value("hearth_webhook_deliveries_total", R"(result="dropped")") == 40);
}

TEST_CASE("webhook URLs are http://host[:port][/path]", "[notify]") {
  auto u = notify::parse_http_url("http://hooks.local:8080/a/b?x=1");
  REQUIRE(u);
  CHECK(u->host == "hooks.local");
  CHECK(u->port == "8080");
  CHECK(u->target == "/a/b?x=1");
  u = notify::parse_http_url("http://hooks.local");
  REQUIRE(u);
  CHECK(u->port == "80");
  CHECK(u->target == "/");
  CHECK_FALSE(notify::parse_http_url("https://hooks.local/"));
  CHECK_FALSE(notify::parse_http_url("http://user:pw@hooks.local/"));
  CHECK_FALSE(notify::parse_http_url("http://:80/"));
}

TEST_CASE("a tier notification names the social workers, never a resident's name", "[notify]") {
  registry::tables t;
  t.households = {{"H-3-502", "B3", "502", "Building 3 Unit 502"}};
  t.residents = {{"R-1001", "H-3-502", "Example Resident A", 1941, true, "+86-000-0000-0001",
                  "Daughter", "+86-000-0000-0002", "sw-lu"}};
  registry::registry reg(t);
  alerts::transition tr{
      alerts::transition::kind::updated, {}, "escalated", alerts::tier::social_worker};
  tr.after.id = "5";
  tr.after.rule = "lone-elder-no-water";
  tr.after.title = "No water used in B3 unit 502";
  tr.after.subject.resident_ids = {"R-1001"};
  const auto payload = notify::tier_payload(tr, reg);
  CHECK(payload.find(R"("social_workers":["sw-lu"])") != std::string::npos);
  CHECK(payload.find(R"("tier":"social_worker")") != std::string::npos);
  CHECK(payload.find("Example Resident") == std::string::npos);
  CHECK(payload.find("+86") == std::string::npos);
}
