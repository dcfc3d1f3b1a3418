// SPDX-License-Identifier: Apache-2.0
#include "store/writer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.hpp"
#include "base/thread.hpp"

namespace hearth::store {

namespace {

/// What an entry costs in memory, roughly: the bound is on this estimate.
std::size_t bytes_of(const writer::item& it) {
  constexpr std::size_t k_entry = 96;  // deque slot, variant, bookkeeping
  if (const auto* rs = std::get_if<std::vector<reading>>(&it)) {
    std::size_t n = k_entry;
    for (const auto& r : *rs)
      n += sizeof(reading) + (r.device_id.size() > 15 ? r.device_id.size() : 0);
    return n;
  }
  if (const auto* q = std::get_if<quarantine_row>(&it))
    return k_entry + sizeof(quarantine_row) + q->topic.size() + q->reason.size() +
           q->detail.size() + q->payload.size();
  if (const auto* s = std::get_if<engine_state_slice>(&it)) {
    std::size_t n = k_entry;
    for (const auto& r : s->rows)
      n += sizeof(engine::state_row) + r.key.size() + r.json.size();
    return n;
  }
  const auto& u = std::get<unknown_sighting>(it);
  return k_entry + sizeof(unknown_sighting) + u.external_id.size() + u.topic.size();
}

std::size_t rows_of(const writer::item& it) {
  if (const auto* rs = std::get_if<std::vector<reading>>(&it)) return rs->size();
  if (const auto* st = std::get_if<engine_state_slice>(&it)) return st->rows.size();
  return 1;
}

const char* kind_of(const writer::item& it) {
  if (std::holds_alternative<std::vector<reading>>(it)) return "readings";
  if (std::holds_alternative<quarantine_row>(it)) return "quarantine";
  if (std::holds_alternative<engine_state_slice>(it)) return "engine-state";
  return "unknown-device";
}

}  // namespace

writer::writer(const std::string& database, telemetry& t, writer_options o)
    : options_(o),
      own_health_(o.health_board ? nullptr : std::make_unique<health>(t)),
      health_(o.health_board ? o.health_board : own_health_.get()),
      sink_(make_sink(database, t, options_)),
      telemetry_(t) {
  telemetry_.gauge("hearth_store_commit_lag_max_seconds", {},
                   "Age of the oldest row of the last commit when it committed (the gap between "
                   "the broker's acknowledgement and a durable write, minus queueing in ingest)");
  telemetry_.counter("hearth_store_commits_total", {}, "Transactions committed by the writer");
  for (const char* k : {"readings", "quarantine", "unknown-device", "engine-state"})
    for (const char* ls : {"true", "false"})
      telemetry_.add("hearth_store_shed_rows_total",
                     fmt::format("kind=\"{}\",life_safety=\"{}\"", k, ls), 0);
  telemetry_.add("hearth_store_write_errors_total", {}, 0);
  telemetry_.add("hearth_readings_pruned_total", {}, 0);
  telemetry_.set("hearth_store_queued_bytes", {}, 0);
  thread_ = std::thread([this] { run(); });
}

writer::~writer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void writer::shed_locked(std::deque<entry>& from, const char* why) {
  auto& e = from.front();
  telemetry_.add("hearth_store_shed_rows_total",
                 fmt::format("kind=\"{}\",life_safety=\"{}\"", kind_of(e.it),
                             e.life_safety ? "true" : "false"),
                 static_cast<double>(rows_of(e.it)));
  if (!shedding_) {
    shedding_ = true;
    log::warn("store",
              "store buffer full ({} MiB, {}): shedding the oldest {}; alerts and "
              "life-safety readings are kept",
              options_.max_queued_bytes >> 20, why,
              from.front().life_safety ? "life-safety readings" : "ordinary rows");
  }
  queued_bytes_ -= e.bytes;
  ++written_;  // counted as done for flush(): it will never be written
  from.pop_front();
}

void writer::push(item it, bool life_safety) {
  const auto bytes = bytes_of(it);
  // Rule state is kept like life-safety readings: shed last.
  life_safety = (life_safety && std::holds_alternative<std::vector<reading>>(it)) ||
                std::holds_alternative<engine_state_slice>(it);
  {
    std::lock_guard lock(mutex_);
    const auto limit = options_.max_queued_bytes;
    const char* why = health_->ok() ? "the store is slower than the input" : "the store is failing";
    // Make room: ordinary rows go first, oldest first; life-safety readings may use twice the
    // bound, and only past that is the oldest of them shed.
    while (queued_bytes_ + in_flight_bytes_ + bytes > limit && !bulk_.empty())
      shed_locked(bulk_, why);
    if (queued_bytes_ + in_flight_bytes_ + bytes > limit && !life_safety) {
      telemetry_.add("hearth_store_shed_rows_total",
                     fmt::format("kind=\"{}\",life_safety=\"false\"", kind_of(it)),
                     static_cast<double>(rows_of(it)));
      return;
    }
    while (queued_bytes_ + in_flight_bytes_ + bytes > 2 * limit && !vital_.empty())
      shed_locked(vital_, why);
    (life_safety ? vital_ : bulk_)
        .push_back({std::move(it), life_safety, bytes, std::chrono::steady_clock::now()});
    queued_bytes_ += bytes;
    ++pushed_;
  }
  cv_.notify_one();
}

std::size_t writer::queued() const {
  std::lock_guard lock(mutex_);
  return bulk_.size() + vital_.size();
}

writer::hold_guard writer::hold() {
  if (!sink_->single_writer()) return hold_guard(nullptr);
  std::unique_lock lock(mutex_);
  ++holds_;
  // At most the transaction in progress (one capped batch), instead of SQLite's busy
  // handler, which sleeps 1, 2, 5, 10 ms... while the writer keeps taking the lock.
  done_cv_.wait(lock, [&] { return !in_transaction_; });
  return hold_guard(this);
}

void writer::release_hold() {
  {
    std::lock_guard lock(mutex_);
    --holds_;
  }
  cv_.notify_one();
}

std::size_t writer::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_bytes_ + in_flight_bytes_;
}

bool writer::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  const auto target = pushed_;
  cv_.notify_one();
  auto done = [&] { return written_ >= target || stop_; };
  if (limit == std::chrono::milliseconds::max()) {
    done_cv_.wait(lock, done);
    return true;
  }
  return done_cv_.wait_for(lock, limit, done);
}

void writer::run() {
  using namespace std::chrono_literals;
  set_thread_role("hearth-writer");
  std::vector<entry> batch;
  duration backoff{0};
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      if (batch.empty()) {
        // Group commit: write as soon as anything is queued. While a transaction is being
        // written, new rows queue up and go together in the next one, so batches grow with
        // the load by themselves, and a quiet system commits each message within about a
        // millisecond: the acknowledgement-to-durable gap of at-least-once ingestion. The
        // timeout only lets an idle writer prune now and then.
        cv_.wait_for(lock, 1s, [&] { return stop_ || !bulk_.empty() || !vital_.empty(); });
        // An alert write on the domain thread (`hold`) goes first: the writer does not start
        // a transaction while one is waiting, so an SOS never sleeps in SQLite's busy handler.
        // Life-safety readings first, then the rest in arrival order.
        for (auto* q : {&vital_, &bulk_})
          while (!q->empty() && batch.size() < options_.batch_items) {
            queued_bytes_ -= q->front().bytes;
            in_flight_bytes_ += q->front().bytes;
            batch.push_back(std::move(q->front()));
            q->pop_front();
          }
        if (batch.empty()) {
          if (stop_) return;
          lock.unlock();
          prune();
          continue;
        }
      } else {
        // The rest of a batch: after a failure, wait out the backoff (shutdown cuts it
        // short); after a hold cut it short, backoff is zero and it goes on at once.
        cv_.wait_for(lock, backoff, [&] { return stop_; });
      }
      cv_.wait(lock, [&] { return stop_ || holds_ == 0; });  // let a waiting alert write go first
      in_transaction_ = true;
      stopping = stop_;
      telemetry_.set("hearth_store_queued_bytes", {},
                     static_cast<double>(queued_bytes_ + in_flight_bytes_));
    }
    const auto done = write(batch);  // the first *done items, or nullopt when it failed
    const bool ok = done.has_value();
    if (ok) {
      auto oldest = std::chrono::steady_clock::time_point::max();
      for (std::size_t i = 0; i < *done; ++i)
        oldest = std::min(oldest, batch[i].at);
      telemetry_.add("hearth_store_commits_total");
      telemetry_.set(
          "hearth_store_commit_lag_max_seconds", {},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest).count());
    }
    std::size_t lost = 0;
    {
      std::lock_guard lock(mutex_);
      in_transaction_ = false;
      if (ok || stopping) {
        if (!ok) {
          // Shutdown with the store still failing: say exactly what is not stored.
          for (const auto* q : {&vital_, &bulk_})
            for (const auto& e : *q)
              lost += rows_of(e.it);
          for (const auto& e : batch)
            lost += rows_of(e.it);
          written_ += bulk_.size() + vital_.size();
          bulk_.clear();
          vital_.clear();
          queued_bytes_ = 0;
        }
        // Cut short by a hold: the rest of the batch goes in the next transaction, first.
        const auto n = ok ? *done : batch.size();
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < n; ++i)
          bytes += batch[i].bytes;
        written_ += n;
        in_flight_bytes_ -= std::min(in_flight_bytes_, bytes);
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
        backoff = duration{0};
        if (queued_bytes_ * 2 < options_.max_queued_bytes) shedding_ = false;
      } else {
        backoff = std::min(std::max(backoff * 2, options_.backoff), options_.max_backoff);
      }
    }
    if (lost > 0)
      log::error("store", "stopping with the store failing: {} rows were not stored", lost);
    done_cv_.notify_all();  // flush() waiters, and hold() waiting for the transaction to end
    if (!ok && stopping) return;
    if (ok && batch.empty()) {
      sink_->idle();  // outside the transaction: an alert write is not kept waiting
      prune();        // due at most once a minute unless there is a backlog of old rows
    }
  }
}

std::optional<std::size_t> writer::write(std::vector<entry>& batch) {
  try {
    // An alert write is waiting (`hold`): commit after the item in hand, not the batch.
    const auto done =
        sink_->write(batch, [this] { return holds_.load(std::memory_order_relaxed) > 0; });
    telemetry_.add("hearth_readings_stored_total", {}, static_cast<double>(done.readings));
    if (done.unknown_forgotten)
      telemetry_.add("hearth_unknown_devices_forgotten_total", {},
                     static_cast<double>(done.unknown_forgotten));
    health_->recovered("writer");
    return done.items;
  } catch (const store_error& e) {
    // Disk full, locked, I/O error, server gone: the transaction is rolled back and the
    // batch is kept for the next attempt.
    telemetry_.add("hearth_store_write_errors_total");
    health_->failed("writer", e.what());
    return std::nullopt;
  }
}

void writer::prune() {
  if (!options_.clock || options_.retention.count() <= 0) return;
  const auto now = options_.clock->now();
  if (now < next_prune_) return;
  try {
    const auto n = static_cast<std::int64_t>(options_.prune_batch);
    const auto done = sink_->prune(now - options_.retention, options_.prune_batch);
    telemetry_.add("hearth_readings_pruned_total", {}, static_cast<double>(done.readings));
    telemetry_.add("hearth_quarantine_pruned_total", {}, static_cast<double>(done.quarantine));
    telemetry_.add("hearth_unknown_devices_pruned_total", {},
                   static_cast<double>(done.unknown_devices));
    // More to do: come back at once (between batches of new rows); else in a minute.
    next_prune_ = done.readings >= n || done.quarantine >= n || done.unknown_devices >= n
                      ? now
                      : now + std::chrono::minutes(1);
  } catch (const store_error& e) {
    health_->failed("writer", e.what());
    next_prune_ = now + std::chrono::seconds(10);
  }
}

}  // namespace hearth::store
