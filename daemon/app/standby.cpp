// SPDX-License-Identifier: Apache-2.0
#include "app/standby.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <csignal>

#include "api/forwarded.hpp"
#include "api/http_server.hpp"
#include "api/reply.hpp"
#include "app/watchdog.hpp"
#include "base/log.hpp"
#include "notify/systemd.hpp"

namespace hearth::app {
namespace asio = boost::asio;
namespace json = boost::json;

std::optional<takeover> stand_by(const config& cfg, ha::lease& lease, telemetry& tel,
                                 const clock& clk, ingest::witness* w) {
  asio::io_context io(1);
  std::optional<std::int64_t> won;
  // The holder's renewals, as seen from here: the lease's expiry on this node's monotonic
  // clock moves on by about a second at each one.
  std::optional<time_point> renewed_at;
  std::optional<std::chrono::steady_clock::time_point> expiry_seen;
  std::int64_t epoch_seen = 0;
  bool db_ok = false;
  std::string db_problem = "not connected yet";
  ha::lease_view seen;
  tel.set("hearth_ha_active", {}, 0);
  tel.set("hearth_ha_database_reachable", {}, 0);

  auto handle = [&](const api::request& r) -> api::response {
    if (r.path == "/healthz" && r.method == "GET") {
      json::object o;
      o["status"] = db_ok ? "ok" : "failing";
      o["mqtt_connected"] = false;  // a standby holds no MQTT session
      o["store_ok"] = db_ok;
      o["role"] = "standby";
      o["node"] = lease.node();
      if (!seen.holder.empty() && seen.remaining.count() > 0) o["active"] = seen.holder;
      if (!db_ok) o["detail"] = db_problem;
      if (w) o["witness"] = {{"subscribed", w->subscribed()}, {"held", w->held()}};
      auto res = api::json_ok(o);
      if (!db_ok) res.status = 503;
      return res;
    }
    if (r.path == "/metrics" && r.method == "GET" && api::is_loopback(r.remote))
      return {200, "text/plain; version=0.0.4", tel.render(), {}, {}, {}};
    auto res = api::json_error(
        503, "standby",
        seen.holder.empty() || seen.remaining.count() <= 0
            ? "this node is a standby and no node is active yet; try again in a moment"
            : fmt::format("this node is a standby; the active node is {}", seen.holder));
    res.headers["Retry-After"] = "1";
    return res;
  };
  auto listen = split_listen(cfg.http.listen);
  std::unique_ptr<api::http_server> http;
  try {
    http = std::make_unique<api::http_server>(io, listen->first, listen->second, handle);
  } catch (const std::exception& e) {
    log::error("app", "cannot listen on {}: {}", cfg.http.listen, e.what());
    return std::nullopt;
  }
  log::info("ha", "node {} standing by (http on {}:{}); waiting for the lease", lease.node(),
            listen->first, http->port());
  if (w) w->start();

  asio::steady_timer poll(io);
  std::function<void()> attempt = [&] {
    try {
      won = lease.try_acquire();
      if (!won) {
        seen = lease.view();
        if (!seen.holder.empty() && seen.remaining.count() > 0) {
          const auto expiry = std::chrono::steady_clock::now() + seen.remaining;
          if (!expiry_seen || seen.epoch != epoch_seen ||
              expiry > *expiry_seen + std::chrono::milliseconds(100))
            renewed_at = clk.now();
          expiry_seen = expiry;
          epoch_seen = seen.epoch;
        }
      }
      if (!db_ok)
        log::info("ha", "database reachable; lease held by {}",
                  seen.holder.empty() ? std::string("nobody") : seen.holder);
      db_ok = true;
    } catch (const store::store_error& e) {
      if (db_ok || db_problem != e.what())
        log::warn("ha", "standby cannot use the database: {}", e.what());
      db_ok = false;
      db_problem = e.what();
    }
    tel.set("hearth_ha_database_reachable", {}, db_ok ? 1 : 0);
    if (won) {
      http->stop();
      io.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(250));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) attempt();
    });
  };
  asio::post(io, attempt);

  bool stopping = false;
  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    stopping = true;
    http->stop();
    io.stop();
  });
  asio::signal_set hup(io, SIGHUP);  // nothing to reload yet; not a reason to die
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) wait_hup();
    });
  };
  wait_hup();
  watchdog_pings watchdog(io);
  notify::ready();
  notify::status("standby");
  io.run();
  if (stopping || !won) return std::nullopt;
  return takeover{*won, renewed_at};
}

}  // namespace hearth::app
