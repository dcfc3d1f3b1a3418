// SPDX-License-Identifier: Apache-2.0
#include "notify/webhooks.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace hearth::notify {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t k_max_pending = 10'000;
constexpr auto k_max_backoff = std::chrono::minutes(5);
}  // namespace

std::optional<parsed_url> parse_http_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) return std::nullopt;
  std::string_view rest = std::string_view(url).substr(scheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parsed_url p;
  p.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    p.host = std::string(authority.substr(0, colon));
    p.port = std::string(authority.substr(colon + 1));
    if (p.port.empty() || p.port.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
  } else {
    p.host = std::string(authority);
    p.port = "80";
  }
  if (p.host.size() > 2 && p.host.front() == '[' && p.host.back() == ']')
    p.host = p.host.substr(1, p.host.size() - 2);
  if (p.host.empty()) return std::nullopt;
  return p;
}

struct webhooks::impl : std::enable_shared_from_this<impl> {
  impl(telemetry& t, std::function<void(const delivery_report&)> r)
      : tel(t), report(std::move(r)) {}

  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
  telemetry& tel;
  std::function<void(const delivery_report&)> report;
  std::atomic<std::size_t> pending{0};

  struct delivery {
    webhook_target target;
    parsed_url url;
    std::string alert_id, body;
    std::map<std::string, std::string> headers;
  };

  /// One attempt. Returns "" on a 2xx answer, else what went wrong.
  asio::awaitable<std::string> attempt(const delivery& d) {
    try {
      auto ex = co_await asio::this_coro::executor;
      tcp::resolver resolver(ex);
      beast::tcp_stream stream(ex);
      stream.expires_after(d.target.timeout);
      const auto endpoints =
          co_await resolver.async_resolve(d.url.host, d.url.port, asio::use_awaitable);
      co_await stream.async_connect(endpoints, asio::use_awaitable);
      http::request<http::string_body> req{http::verb::post, d.url.target, 11};
      req.set(http::field::host, d.url.host);
      req.set(http::field::user_agent, "hearthd");
      req.set(http::field::content_type, "application/json");
      for (const auto& [k, v] : d.headers)
        req.set(k, v);
      req.body() = d.body;
      req.prepare_payload();
      co_await http::async_write(stream, req, asio::use_awaitable);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      co_await http::async_read(stream, buf, res, asio::use_awaitable);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      const auto code = res.result_int();
      if (code >= 200 && code < 300) co_return std::string{};
      co_return fmt::format("HTTP {}", code);
    } catch (const boost::system::system_error& e) {
      co_return e.code()
          .message();  // what() also names Beast's source file: too much for a log line
    } catch (const std::exception& e) {
      co_return std::string(e.what());
    }
  }

  asio::awaitable<void> deliver(delivery d) {
    auto backoff = d.target.backoff;
    std::string last;
    int attempts = 0;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (true) {
      ++attempts;
      last = co_await attempt(d);
      if (last.empty()) {
        tel.add("hearth_webhook_deliveries_total", R"(result="delivered")");
        break;
      }
      tel.add("hearth_webhook_attempt_errors_total");
      if (attempts >= d.target.max_attempts) {
        tel.add("hearth_webhook_deliveries_total", R"(result="dropped")");
        fmt::print(stderr, "hearthd: webhook {} gave up on alert {} after {} attempts: {}\n",
                   d.target.url, d.alert_id, attempts, last);
        break;
      }
      timer.expires_after(backoff);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;  // shutting down
      backoff = std::min<duration>(backoff * 2, k_max_backoff);
    }
    --pending;
    if (report) {
      try {
        report(
            {d.target.url, d.alert_id, last.empty(), attempts, last.empty() ? "delivered" : last});
      } catch (const std::exception& e) {
        fmt::print(stderr, "hearthd: webhook report failed: {}\n", e.what());
      }
    }
  }
};

webhooks::webhooks(std::vector<webhook_target> targets, telemetry& tel,
                   std::function<void(const delivery_report&)> on_report)
    : targets_(std::move(targets)), impl_(std::make_shared<impl>(tel, std::move(on_report))) {
  if (targets_.empty()) return;
  impl_->thread = std::thread([i = impl_] {
    while (true) {
      try {
        i->io.run();
        return;
      } catch (const std::exception& e) {
        // Nothing should escape a delivery; if something does, keep the thread alive.
        fmt::print(stderr, "hearthd: webhook thread: {}\n", e.what());
      }
    }
  });
}

webhooks::~webhooks() {
  impl_->guard.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void webhooks::send(const std::string& alert_id, std::string body,
                    std::map<std::string, std::string> headers) {
  for (const auto& t : targets_) {
    auto url = parse_http_url(t.url);
    if (!url) continue;  // rejected at config load; never here
    if (impl_->pending.load() >= k_max_pending) {
      impl_->tel.add("hearth_webhook_deliveries_total", R"(result="overflow")");
      continue;
    }
    ++impl_->pending;
    impl::delivery d{t, *url, alert_id, body, headers};
    asio::co_spawn(impl_->io, impl_->deliver(std::move(d)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        fmt::print(stderr, "hearthd: webhook delivery failed: {}\n", x.what());
      }
    });
  }
}

std::size_t webhooks::pending() const {
  return impl_->pending.load();
}

}  // namespace hearth::notify
