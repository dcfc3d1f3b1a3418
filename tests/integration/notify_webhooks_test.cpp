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

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// A local HTTP server answering each POST with the next status of `script` (then 200);
/// with `hang`, it reads requests and never answers.
class hook_server {
 public:
  explicit hook_server(std::vector<int> script, bool hang = false)
      : script_(std::move(script)), hang_(hang) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~hook_server() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::size_t requests() const { return count_.load(); }
  std::vector<http::request<http::string_body>> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  struct conn : std::enable_shared_from_this<conn> {
    conn(tcp::socket s, hook_server& h) : socket(std::move(s)), server(h) {}
    tcp::socket socket;
    hook_server& server;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    void start() {
      http::async_read(
          socket, buf, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            int status = 200;
            {
              std::lock_guard lock(self->server.mutex_);
              self->server.received_.push_back(self->req);
              const auto n = self->server.count_.load();
              if (n < self->server.script_.size()) status = self->server.script_[n];
            }
            ++self->server.count_;
            if (self->server.hang_) {
              self->server.hung_.push_back(self);  // keep the socket open, never answer
              return;
            }
            self->res = http::response<http::string_body>(static_cast<http::status>(status), 11);
            self->res.body() = "{}";
            self->res.prepare_payload();
            http::async_write(self->socket, self->res, [self](beast::error_code, std::size_t) {
              beast::error_code ec2;
              self->socket.shutdown(tcp::socket::shutdown_both, ec2);
            });
          });
    }
  };
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec) return;
      std::make_shared<conn>(std::move(s), *this)->start();
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::vector<int> script_;
  bool hang_;
  std::atomic<std::size_t> count_{0};
  mutable std::mutex mutex_;
  std::vector<http::request<http::string_body>> received_;
  std::vector<std::shared_ptr<conn>> hung_;
  std::thread thread_;
};

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
