// SPDX-License-Identifier: Apache-2.0
#include "ha/lease.hpp"

#include <fmt/format.h>

#include "store/schema.hpp"

namespace hearth::ha {
namespace {

/// The database's clock in milliseconds since the epoch.
constexpr const char* k_now = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

}  // namespace

lease::lease(std::string database, std::string node, duration ttl)
    : database_(std::move(database)), node_(std::move(node)), ttl_(ttl) {}

store::pg_connection& lease::db() {
  if (!db_) {
    store::connection_options o;
    // Short: a renewal that cannot finish well inside the lease is as good as failed.
    o.query_timeout = std::chrono::milliseconds(std::min<long long>(1'000, ttl_.count() / 3));
    o.application_name = "hearthd-lease-" + node_;
    // A takeover waits for the old holder's writes in progress (their key-share locks) at
    // most this long; the next attempt comes a moment later.
    o.session_sql = "SET lock_timeout = '250ms'";
    db_ = std::make_unique<store::pg_connection>(database_, o);
  }
  return *db_;
}

void lease::prepare() {
  if (prepared_) return;
  store::migrate(db());
  prepared_ = true;
}

std::optional<std::int64_t> lease::try_acquire() {
  prepare();
  auto& c = db();
  auto st = c.prepare(
      fmt::format("UPDATE ha_lease SET epoch = epoch + 1, holder = ?1, expires_at = {0} + ?2 "
                  "WHERE name = 'active' AND expires_at <= {0} RETURNING epoch",
                  k_now));
  st.bind(1, node_).bind(2, static_cast<std::int64_t>(ttl_.count()));
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

bool lease::renew(std::int64_t epoch) {
  auto& c = db();
  auto st = c.prepare(fmt::format(
      "UPDATE ha_lease SET expires_at = {} + ?2 WHERE name = 'active' AND epoch = ?1", k_now));
  st.bind(1, epoch).bind(2, static_cast<std::int64_t>(ttl_.count())).run();
  return c.changes() == 1;
}

void lease::release(std::int64_t epoch) {
  auto& c = db();
  c.prepare("UPDATE ha_lease SET expires_at = 0 WHERE name = 'active' AND epoch = ?1")
      .bind(1, epoch)
      .run();
}

lease_view lease::view() {
  prepare();
  auto st = db().prepare(fmt::format(
      "SELECT holder, epoch, expires_at - {} FROM ha_lease WHERE name = 'active'", k_now));
  lease_view v;
  if (st.step()) v = {st.text(0), st.int64(1), duration{st.int64(2)}};
  return v;
}

// --- keeper ------------------------------------------------------------------------------

keeper::keeper(lease& l, std::int64_t epoch, std::function<void(const std::string&)> lost)
    : lease_(l),
      epoch_(epoch),
      lost_(std::move(lost)),
      certain_until_(
          (steady::now() + l.ttl() - step_down_margin(l.ttl())).time_since_epoch().count()) {
  renewer_ = std::thread([this] { renew_loop(); });
  watcher_ = std::thread([this] { watch_loop(); });
}

keeper::~keeper() {
  stop();
}

void keeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (watcher_.joinable()) watcher_.join();
}

void keeper::release() {
  stop();
  try {
    lease_.release(epoch_);
  } catch (const store::store_error&) {
    // The lease then simply expires.
  }
}

void keeper::fire(const std::string& why) {
  if (!fired_.exchange(true)) lost_(why);
}

void keeper::renew_loop() {
  const auto ttl = lease_.ttl();
  const auto every = std::min(duration{1'000}, ttl / 3);
  while (true) {
    const auto started = steady::now();
    try {
      if (!lease_.renew(epoch_)) {
        fire(fmt::format("another node took the lease (epoch {} is over)", epoch_));
        return;
      }
      // The database set the new expiry after `started`: the lease is ours at least until
      // started + ttl; we give it up a margin earlier.
      certain_until_ = (started + ttl - step_down_margin(ttl)).time_since_epoch().count();
      cv_.notify_all();
    } catch (const store::store_error& e) {
      std::lock_guard lock(mutex_);
      last_error_ = e.what();
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_until(lock, started + every, [&] { return stop_; })) return;
  }
}

void keeper::watch_loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const steady::time_point until{steady::duration{certain_until_.load()}};
    if (steady::now() >= until) {
      const auto why = fmt::format("could not renew the lease in time: {}",
                                   last_error_.empty() ? "no answer" : last_error_);
      lock.unlock();
      fire(why);
      return;
    }
    cv_.wait_until(lock, until);
  }
}

}  // namespace hearth::ha
