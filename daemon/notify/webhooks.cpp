// SPDX-License-Identifier: Apache-2.0
#include "notify/webhooks.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <thread>

#include "base/log.hpp"
#include "base/thread.hpp"

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

namespace {

/// Whether an attempt failed here, not at the webhook: out of descriptors or buffers, no
/// local port left, or the operation cancelled under us. Such a failure says nothing about
/// the webhook, so it does not use up an attempt (issue 18: deliveries failed as
/// "Operation canceled" while hearthd was out of descriptors, and were dropped).
bool local_failure(const boost::system::error_code& ec) {
  namespace errc = boost::system::errc;
  return ec == asio::error::no_descriptors || ec == errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == errc::address_not_available || ec == asio::error::operation_aborted ||
         ec == errc::resource_unavailable_try_again;
}

}  // namespace

struct webhooks::impl : std::enable_shared_from_this<impl> {
  impl(telemetry& t, std::function<void(const delivery_report&)> r, std::size_t targets)
      : tel(t), report(std::move(r)), gates(targets) {}

  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  // Asio makes the reactor (an epoll and an eventfd) and the resolver's services on first
  // use: made here, while descriptors are to be had, so that a delivery started when they
  // have run out fails inside its attempt (and is retried) rather than before it.
  asio::steady_timer reactor_made{io};
  tcp::resolver resolver_made{io};
  std::thread thread;
  telemetry& tel;
  std::function<void(const delivery_report&)> report;
  std::atomic<std::size_t> pending{0};
  bool stopping = false;  ///< webhook thread only

  /// At most `k_in_flight` attempts per target at once (each holds a socket): a dead
  /// webhook with thousands of deliveries waiting costs a few descriptors, not thousands.
  struct gate {
    int free = k_in_flight;
    std::deque<asio::steady_timer*> waiting;
  };
  static constexpr int k_in_flight = 4;
  std::vector<gate> gates;

  asio::awaitable<void> acquire(gate& g) {
    if (g.free > 0) {
      --g.free;
      co_return;
    }
    asio::steady_timer wake(co_await asio::this_coro::executor,
                            asio::steady_timer::time_point::max());
    g.waiting.push_back(&wake);
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Woken by release(): the slot was handed over.
  }
  void release(gate& g) {
    if (g.waiting.empty()) {
      ++g.free;
      return;
    }
    auto* next = g.waiting.front();
    g.waiting.pop_front();
    next->cancel();
  }

  struct delivery {
    std::size_t target_index = 0;
    webhook_target target;
    parsed_url url;
    std::string alert_id, body;
    std::map<std::string, std::string> headers;
  };

  struct outcome {
    std::string error;  ///< empty: delivered
    bool local = false;
  };

  /// One attempt. Delivered on a 2xx answer.
  asio::awaitable<outcome> attempt(const delivery& d) {
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
      if (code >= 200 && code < 300) co_return outcome{};
      co_return outcome{fmt::format("HTTP {}", code), false};
    } catch (const boost::system::system_error& e) {
      // code().message(): what() also names Beast's source file, too much for a log line.
      co_return outcome{e.code().message(), local_failure(e.code())};
    } catch (const std::exception& e) {
      co_return outcome{std::string(e.what()), false};
    }
  }

  asio::awaitable<void> deliver(delivery d) {
    auto backoff = d.target.backoff;
    auto local_backoff = duration(std::chrono::milliseconds(100));
    std::string last;
    int attempts = 0;
    bool delivered = false;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto& g = gates[d.target_index];
    while (!stopping) {
      co_await acquire(g);
      const auto o = co_await attempt(d);
      release(g);
      if (o.error.empty()) {
        ++attempts;
        delivered = true;
        tel.add("hearth_webhook_deliveries_total", R"(result="delivered")");
        break;
      }
      last = o.error;
      duration wait = backoff;
      if (o.local) {
        // Not the webhook's fault: retried until it goes through, without using up an
        // attempt (100 ms doubling to 30 s, so it resumes soon after descriptors return).
        tel.add("hearth_webhook_local_failures_total");
        wait = local_backoff;
        local_backoff = std::min<duration>(local_backoff * 2, std::chrono::seconds(30));
      } else {
        ++attempts;
        tel.add("hearth_webhook_attempt_errors_total");
        if (attempts >= d.target.max_attempts) {
          tel.add("hearth_webhook_deliveries_total", R"(result="dropped")");
          log::warn("notify", "webhook {} gave up on alert {} after {} attempts: {}", d.target.url,
                    d.alert_id, attempts, last);
          break;
        }
        backoff = std::min<duration>(backoff * 2, k_max_backoff);
      }
      timer.expires_after(wait);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // shutting down: neither delivered nor given up
    }
    if (stopping && !delivered) co_return;
    --pending;
    if (report) {
      try {
        report({d.target.url, d.alert_id, delivered, attempts, delivered ? "delivered" : last});
      } catch (const std::exception& e) {
        log::error("notify", "webhook report failed: {}", e.what());
      }
    }
  }
};

webhooks::webhooks(std::vector<webhook_target> targets, telemetry& tel,
                   std::function<void(const delivery_report&)> on_report)
    : targets_(std::move(targets)),
      impl_(std::make_shared<impl>(tel, std::move(on_report), targets_.size())) {
  if (targets_.empty()) return;
  impl_->thread = std::thread([i = impl_] {
    set_thread_role("hearth-webhook");
    while (true) {
      try {
        i->io.run();
        return;
      } catch (const std::exception& e) {
        // Nothing should escape a delivery; if something does, keep the thread alive.
        log::error("notify", "webhook thread: {}", e.what());
      }
    }
  });
}

webhooks::~webhooks() {
  asio::post(impl_->io, [i = impl_] { i->stopping = true; });
  impl_->guard.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void webhooks::send(const std::string& alert_id, std::string body,
                    std::map<std::string, std::string> headers) {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const auto& t = targets_[i];
    auto url = parse_http_url(t.url);
    if (!url) continue;  // rejected at config load; never here
    if (impl_->pending.load() >= k_max_pending) {
      impl_->tel.add("hearth_webhook_deliveries_total", R"(result="overflow")");
      continue;
    }
    ++impl_->pending;
    impl::delivery d{i, t, *url, alert_id, body, headers};
    asio::co_spawn(impl_->io, impl_->deliver(std::move(d)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        log::error("notify", "webhook delivery failed: {}", x.what());
      }
    });
  }
}

std::size_t webhooks::pending() const {
  return impl_->pending.load();
}

}  // namespace hearth::notify
