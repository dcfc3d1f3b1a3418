// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The domain pipeline shared by live mode and replay: a raw message goes through routing,
/// normalization, the registry, storage, the rule engine and the alert book. Rejections
/// become quarantine rows and counters; nothing here throws on bad input.
///
/// Threading: every call runs on the domain thread (the io_context in live mode, the
/// replay loop otherwise). Time comes from the injected clock.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alerts/book.hpp"
#include "app/identities.hpp"
#include "base/clock.hpp"
#include "base/telemetry.hpp"
#include "catalog/device_type.hpp"
#include "engine/engine.hpp"
#include "normalize/normalizer.hpp"
#include "registry/registry.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace hearth::app {

class pipeline {
 public:
  using transition_sink = std::function<void(const alerts::transition&)>;

  /// `st` may be null (replay without storage); `wr` may be null likewise.
  pipeline(const clock& clk, telemetry& tel, store::store* st, store::writer* wr,
           engine::engine& eng, alerts::book& book);

  void set_catalog(std::shared_ptr<const catalog::catalog> c);
  void set_registry(std::shared_ptr<const registry::registry> r);
  const catalog::catalog& types() const { return *catalog_; }
  const registry::registry& devices() const { return *registry_; }
  /// The current registry snapshot, to share (ingest's classifier reads it on Paho's thread).
  std::shared_ptr<const registry::registry> devices_snapshot() const { return registry_; }
  void on_transition(transition_sink s) { sinks_.push_back(std::move(s)); }
  /// The rule engine, for what it has learned (the console's charts).
  const engine::engine& rules_engine() const { return engine_; }

  /// Handles one message. `received_at` is when the broker delivered it. `redelivered` is
  /// the MQTT DUP flag: the broker may have delivered it before (see `duplicate`).
  void on_message(std::string_view topic, std::string_view payload, time_point received_at,
                  bool redelivered = false);
  /// Handles one message a standby received on its own subscription before it took over
  /// (ingest/witness.hpp): the old holder may have stored it or not. It is processed only
  /// when it has an event time, and no reading of that device at that time is in memory,
  /// in the store or in an alert's evidence; otherwise it is dropped without a quarantine row,
  /// since the old holder saw it too. Counted in hearth_ha_witness_messages_total{outcome}:
  /// recovered, stored (already there), no-identity, rejected.
  void on_witnessed(std::string_view topic, std::string_view payload, time_point received_at);

  /// Called (domain thread) with the topic of each accepted message of a life-safety type
  /// whose external id is in the payload, so that ingest can learn to classify that topic.
  void on_life_safety_topic(std::function<void(std::string_view)> f) {
    life_safety_topic_ = std::move(f);
  }

  /// Lets time-driven rules (no-data, `for:` windows) fire. Live mode calls it from a
  /// timer with the wall clock; replay calls it before each capture line.
  void tick(time_point now);
  /// The 1-second tick: whether the database files are still the ones opened
  /// (store::check_files); if not, the store is `failing` (part "files") for good.
  void check_store_files();

  /// Hands the engine state changed since the last call, at most `max` rows of the
  /// engine's round (engine::take_changes), to the store writer (one slice, written on its
  /// thread), or writes it to the store in one transaction when there is no writer; no-op
  /// without a store. True when rows of the round are left: the daemon starts a round each
  /// second and takes it in slices of a few hundred, each its own turn on the io_context, so
  /// that a P1 waiting in the priority lane never waits for thousands, and a device's row is
  /// written about once a second however often it reports.
  bool persist_engine_state(std::size_t max = static_cast<std::size_t>(-1));
  /// Every changed row, round after round (at start and at a clean stop).
  void persist_all_engine_state();

  /// A resident is away (the social worker's "away"): the book suppresses welfare alerts
  /// and the engine pauses welfare rules and baseline learning until `a.until`. Both must
  /// know, or the absence would be learned as an ordinary quiet spell.
  void set_away(const alerts::away& a);
  /// The away `a` has ended early, at `a.until`: welfare rules apply again from then, and
  /// the quiet time before it still does not count (the engine keeps the return time).
  void end_away(const alerts::away& a);

  /// Persists alert transitions together with the book's journal (the audit rows) in one
  /// transaction, then tells the transition sinks, then writes what the sinks journaled
  /// (notifications). Every change to the book goes through here: signals, operator
  /// actions, escalation ticks.
  void record(const std::vector<alerts::transition>& ts);

  /// Keeps the store writer from starting a transaction while the caller writes on the
  /// domain connection (a login's session token, as `record` does for alerts), so that the
  /// domain thread waits at most for the writer's current transaction, never in SQLite's
  /// busy handler behind a flood's rows (where it would hold up every SOS, and fail after
  /// the busy timeout). Empty without a writer.
  std::optional<store::writer::hold_guard> hold_writes();

 private:
  void reject(std::string_view topic, std::string_view payload, const error& e, time_point at);
  bool duplicate(const registry::device& dev, const normalize::envelope* env,
                 std::string_view payload, time_point at, bool redelivered);
  void accept(const registry::device& dev, const catalog::device_type& type, time_point ts,
              time_point received_at, const std::vector<normalize::value>& values,
              std::vector<std::string> gateways = {});
  void apply(const std::vector<engine::signal>& signals);
  void flush_journal();
  /// A write on the domain connection failed / succeeded: the store's health board.
  void store_failed(const store::store_error& e);
  void store_recovered();

  const clock& clock_;
  telemetry& telemetry_;
  store::store* store_;
  store::writer* writer_;
  engine::engine& engine_;
  alerts::book& book_;
  std::shared_ptr<const catalog::catalog> catalog_ = std::make_shared<catalog::catalog>();
  /// Each of the catalog's types in its order, with its Zigbee2MQTT base topic and a slash
  /// ("" for other transports): a message is routed without making a string per type.
  struct route {
    const catalog::device_type* type;
    std::string z2m_prefix;
  };
  std::vector<route> routes_;
  std::shared_ptr<const registry::registry> registry_ = std::make_shared<registry::registry>();
  std::vector<transition_sink> sinks_;
  std::function<void(std::string_view)> life_safety_topic_;

  /// What duplicate detection remembers of one device without an identity of its own
  /// (Zigbee2MQTT): the last payload digest. One per registered device, at the device's
  /// position in `registry_->all().devices` (carried over by id when the registry is swapped).
  struct recent {
    std::size_t payload_hash = 0;
    time_point payload_at;
  };
  std::vector<recent> recent_;
  /// Identities (frame counter, or event time and bytes) of the last hour's messages.
  identities recent_ids_;
  bool witnessed_ = false;  ///< inside on_witnessed
  void witness_outcome(const char* outcome);
  /// Alerts whose last write failed (store failing); bounded by the number of alerts.
  std::map<std::string, alerts::alert> unsaved_;
  bool store_failing_ =
      false;  ///< the last write failed: the next record() retries even when empty
};

}  // namespace hearth::app
