// SPDX-License-Identifier: Apache-2.0
#include "app/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <optional>

#include "base/log.hpp"
#include "base/time.hpp"
#include "normalize/gateway.hpp"

namespace hearth::app {
using namespace std::chrono_literals;
namespace reason = normalize::reason;

namespace {
constexpr auto k_future_tolerance = 5min;
constexpr auto k_same_payload_window = 2s;
constexpr auto k_redelivery_window = 60s;
}  // namespace

pipeline::pipeline(const clock& clk, telemetry& tel, store::store* st, store::writer* wr,
                   engine::engine& eng, alerts::book& book)
    : clock_(clk), telemetry_(tel), store_(st), writer_(wr), engine_(eng), book_(book) {
  // Every reason is on /metrics from the start (at 0), so an absent series never hides one.
  for (const char* r :
       {reason::oversized, reason::malformed_json, reason::missing_field, reason::wrong_type,
        reason::out_of_range, reason::bad_timestamp, reason::future_timestamp, reason::bad_frame,
        reason::unknown_metric, reason::unknown_topic, reason::unregistered_device,
        reason::wrong_device_type, reason::duplicate})
    telemetry_.counter(
        "hearth_messages_rejected_total", fmt::format("reason=\"{}\"", r),
        "Messages (or single fields) rejected, by reason; each is kept in quarantine");
}

void pipeline::set_registry(std::shared_ptr<const registry::registry> r) {
  // Duplicate detection follows each device to its position in the new snapshot.
  std::vector<recent> moved(r->all().devices.size());
  const auto& old = registry_->all().devices;
  for (std::size_t i = 0; i < recent_.size() && i < old.size(); ++i) {
    if (recent_[i].payload_at == time_point{}) continue;  // never reported
    if (const auto* d = r->find_device(old[i].id))
      moved[static_cast<std::size_t>(d - r->all().devices.data())] = recent_[i];
  }
  recent_ = std::move(moved);
  registry_ = r;
  engine_.set_registry(std::move(r));
}

void pipeline::witness_outcome(const char* outcome) {
  telemetry_.add("hearth_ha_witness_messages_total", fmt::format("outcome=\"{}\"", outcome));
}

void pipeline::on_witnessed(std::string_view topic, std::string_view payload,
                            time_point received_at) {
  witnessed_ = true;
  struct reset {
    bool& flag;
    ~reset() { flag = false; }
  } const guard{witnessed_};  // also when on_message throws
  on_message(topic, payload, received_at, true);
}

void pipeline::reject(std::string_view topic, std::string_view payload, const error& e,
                      time_point at) {
  if (witnessed_) {  // the old holder saw it too, and kept it in quarantine if it had to
    witness_outcome("rejected");
    return;
  }
  telemetry_.add("hearth_messages_rejected_total", fmt::format("reason=\"{}\"", e.code));
  if (writer_) {
    writer_->push(store::quarantine_row{at, std::string(topic), e.code, e.message,
                                        std::string(payload.substr(0, normalize::k_max_payload))});
  }
}

bool pipeline::duplicate(const registry::device& dev, const normalize::envelope* env,
                         std::string_view payload, time_point at, bool redelivered) {
  const std::string_view device_id = dev.id;
  auto& r = recent_.at(static_cast<std::size_t>(&dev - registry_->all().devices.data()));
  // After a restart nothing is in memory: a message the broker flags as a redelivery (DUP)
  // is looked up in the store by its event time, and in the alerts: an alert is written
  // at once, a reading a moment later by the writer, so after a kill -9 the alert can hold
  // a press whose reading never reached the file. Rare (only after a lost connection), so
  // the look-ups cost nothing in the steady state.
  auto stored = [&] {
    return redelivered && env && env->event_time &&
           (book_.has_evidence(device_id, *env->event_time) ||
            (store_ && store_->has_reading_at(device_id, *env->event_time)));
  };
  const auto h = std::hash<std::string_view>{}(payload);
  const auto dev_h = std::hash<std::string_view>{}(device_id);
  auto mix = [](std::uint64_t a, std::uint64_t b) {
    return a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
  };
  if (env && env->frame_counter) {
    // A LoRaWAN frame counter is the identity of a frame; bytes may repeat.
    if (recent_ids_.seen(mix(mix(dev_h, 1), *env->frame_counter), at)) return true;
    return stored();
  }
  if (env && env->event_time) {
    // An explicit event time and the same bytes identify a message, however many other
    // messages the device sent in between and however late a QoS 1 redelivery comes.
    const auto t = static_cast<std::uint64_t>(env->event_time->time_since_epoch().count());
    if (recent_ids_.seen(mix(mix(mix(dev_h, 2), t), h), at)) return true;
    return stored();
  }
  // No identity in the payload (Zigbee2MQTT): the same bytes within 2 s; for a message the
  // broker flags as a redelivery, within 60 s (a reconnect with backoff).
  const auto window = redelivered ? k_redelivery_window : k_same_payload_window;
  const bool dup = r.payload_hash == h && at - r.payload_at < window && at >= r.payload_at;
  r.payload_hash = h;
  r.payload_at = at;
  return dup;
}

void pipeline::set_catalog(std::shared_ptr<const catalog::catalog> c) {
  engine_.set_catalog(c);
  catalog_ = std::move(c);
  routes_.clear();
  for (const auto& t : catalog_->types()) {
    auto base = catalog::z2m_base_topic(*t);
    routes_.push_back({t.get(), base ? *base + "/" : std::string()});
  }
}

void pipeline::on_message(std::string_view topic, std::string_view payload, time_point received_at,
                          bool redelivered) {
  if (!witnessed_) telemetry_.add("hearth_messages_received_total");
  if (payload.size() > normalize::k_max_payload) {
    reject(topic, payload.substr(0, 256),
           make_error(reason::oversized, fmt::format("payload is {} bytes; the limit is {}",
                                                     payload.size(), normalize::k_max_payload)),
           received_at);
    return;
  }

  // Route: the first type whose pattern matches decides the transport envelope.
  const catalog::device_type* route = nullptr;
  bool status_topic = false;
  const bool z2m_status = topic.ends_with("/availability") || topic.ends_with("/bridge/state");
  for (const auto& [t, z2m_prefix] : routes_) {
    // Zigbee2MQTT status topics first: a bridge type's own topic is one of them.
    if (z2m_status && !z2m_prefix.empty() && topic.starts_with(z2m_prefix)) {
      route = t;
      status_topic = true;
      break;
    }
    if (normalize::match_topic(t->topic, topic)) {
      route = t;
      break;
    }
  }
  if (!route) {
    reject(topic, payload,
           make_error(reason::unknown_topic, "no device type subscribes to this topic"),
           received_at);
    return;
  }

  auto unregistered = [&](const std::string& ext) {
    if (witnessed_) return witness_outcome("rejected");
    telemetry_.add("hearth_messages_rejected_total",
                   fmt::format("reason=\"{}\"", reason::unregistered_device));
    if (writer_) {
      writer_->push(store::unknown_sighting{ext, std::string(topic), received_at});
      writer_->push(store::quarantine_row{
          received_at, std::string(topic), reason::unregistered_device,
          fmt::format("external id '{}' is not in the registry", ext.substr(0, 80)),
          std::string(payload)});
    }
  };

  if (witnessed_ && (status_topic || (route->role == catalog::role::bridge &&
                                      route->transport != catalog::transport::zigbee2mqtt))) {
    witness_outcome("no-identity");  // a status carries no identity of its own
    return;
  }
  if (status_topic) {
    auto st = normalize::z2m_status_topic(topic, payload);
    if (!st) {
      reject(topic, payload, make_error(reason::unknown_topic, "not a Zigbee2MQTT status topic"),
             received_at);
      return;
    }
    if (!*st) {
      reject(topic, payload, st->err(), received_at);
      return;
    }
    const auto* dev = registry_->find_device_by_external_id((*st)->external_id);
    if (!dev) {
      unregistered((*st)->external_id);
      return;
    }
    const auto* type = catalog_->find(dev->type);
    const catalog::device_type& t = type ? *type : *route;
    accept(*dev, t, received_at, received_at, {{metric::device_online, (*st)->online ? 1.0 : 0.0}});
    return;
  }

  if (route->role == catalog::role::bridge &&
      route->transport != catalog::transport::zigbee2mqtt) {  // a LoRaWAN gateway's state
    auto st = normalize::gateway_state(*route, topic, payload);
    if (!st) {
      reject(topic, payload, st.err(), received_at);
      return;
    }
    const auto* dev = registry_->find_device_by_external_id(st->external_id);
    if (!dev) {
      unregistered(st->external_id);
      return;
    }
    const auto* type = catalog_->find(dev->type);
    if (st->online)
      accept(*dev, type ? *type : *route, received_at, received_at,
             {{metric::device_online, *st->online ? 1.0 : 0.0}});
    return;
  }

  // The message's JSON lives in an arena on this stack frame (declared before every value
  // parsed into it, so it outlives them): parsing a message that fits allocates nothing, and
  // freeing the document costs nothing.
  alignas(16) unsigned char json_buffer[8192];
  boost::json::monotonic_resource json_arena(json_buffer, sizeof json_buffer);
  auto doc = normalize::parse_json(payload, boost::json::storage_ptr(&json_arena));
  if (!doc) {
    reject(topic, payload, doc.err(), received_at);
    return;
  }
  // The route's transport finds the external id; the device's own type then decodes the
  // message (types on one transport differ in their fields and binary frames).
  auto external_id = normalize::external_id_of(*route, topic, *doc);
  if (!external_id) {
    reject(topic, payload, external_id.err(), received_at);
    return;
  }
  const auto* dev = registry_->find_device_by_external_id(*external_id);
  if (!dev) {
    unregistered(*external_id);
    return;
  }
  const auto* type = catalog_->find(dev->type);
  if (!type) {
    reject(topic, payload,
           make_error(reason::wrong_device_type,
                      fmt::format("device {} has type '{}', which is not in the catalog", dev->id,
                                  dev->type)),
           received_at);
    return;
  }
  if (type != route && !normalize::match_topic(type->topic, topic)) {
    reject(topic, payload,
           make_error(reason::wrong_device_type,
                      fmt::format("device {} has type '{}', which does not use this topic", dev->id,
                                  dev->type)),
           received_at);
    return;
  }
  // Which gateways heard it (LoRaWAN): how the engine learns what sits behind each gateway.
  auto gateways = normalize::uplink_gateways(type->transport, *doc);
  auto env = normalize::open_envelope(*type, topic, std::move(doc.value()));
  if (!env) {
    reject(topic, payload, env.err(), received_at);
    return;
  }
  const time_point ts = env->event_time.value_or(received_at);
  if (ts > received_at + k_future_tolerance) {
    reject(topic, payload,
           make_error(reason::future_timestamp,
                      fmt::format("event time {} is more than 5 minutes after receipt",
                                  describe_duration(ts - received_at))),
           received_at);
    return;
  }
  if (type->life_safety && !type->external_id_path.empty() && life_safety_topic_)
    life_safety_topic_(topic);
  if (witnessed_) {
    if (!env->event_time) {
      // Nothing in the store tells whether the old holder handled it: only a reading's
      // event time is looked up there (README, "High availability").
      witness_outcome("no-identity");
      return;
    }
    if (duplicate(*dev, &*env, payload, received_at, true)) {
      witness_outcome("stored");
      return;
    }
    witness_outcome("recovered");
  } else if (duplicate(*dev, &*env, payload, received_at, redelivered)) {
    // Redelivery is normal and carries nothing new, but it is still kept, so that an
    // integrator can see a gateway that repeats itself.
    reject(topic, payload,
           make_error(reason::duplicate,
                      env->frame_counter
                          ? fmt::format("device {} already sent frame counter {}", dev->id,
                                        *env->frame_counter)
                          : fmt::format("device {} sent the same message again{}", dev->id,
                                        redelivered ? " (broker redelivery)" : "")),
           received_at);
    return;
  }
  auto dec = normalize::map_fields(*type, *env);
  if (!dec) {
    reject(topic, payload, dec.err(), received_at);
    return;
  }
  for (const auto& fe : dec->field_errors)
    reject(topic, payload, fe, received_at);
  accept(*dev, *type, ts, received_at, dec->values, std::move(gateways));
}

void pipeline::accept(const registry::device& dev, const catalog::device_type& type, time_point ts,
                      time_point received_at, const std::vector<normalize::value>& values,
                      std::vector<std::string> gateways) {
  if (values.empty()) return;
  report rep;
  rep.device_id = dev.id;
  rep.device_type = type.name;
  rep.ts = ts;
  rep.gateways = std::move(gateways);
  rep.received_at = received_at;
  rep.readings.reserve(values.size());
  for (const auto& v : values)
    rep.readings.push_back({std::string(dev.id), v.metric, v.v, ts});
  telemetry_.add("hearth_readings_total", {}, static_cast<double>(rep.readings.size()));
  // Shed last: the readings of a life-safety type, or (a type that may report anything) of
  // a message that carries a life-safety metric.
  const bool vital =
      type.life_safety && (!type.reports_anything() ||
                           std::any_of(values.begin(), values.end(), [](const normalize::value& v) {
                             return std::find(std::begin(catalog::k_life_safety_metrics),
                                              std::end(catalog::k_life_safety_metrics),
                                              v.metric) != std::end(catalog::k_life_safety_metrics);
                           }));
  if (writer_) writer_->push(rep.readings, vital);
  apply(engine_.on_report(rep, &dev));
}

void pipeline::apply(const std::vector<engine::signal>& signals) {
  for (const auto& s : signals)
    record(book_.on_signal(s));
}

void pipeline::set_away(const alerts::away& a) {
  engine_.set_away(a.resident_id, a.until);
}

void pipeline::end_away(const alerts::away& a) {
  engine_.set_away(a.resident_id, a.until);
}

void pipeline::record(const std::vector<alerts::transition>& in) {
  std::vector<alerts::transition> ts = in;  // numbered as they are stored
  if (store_) {
    auto rows = book_.take_journal();
    // Nothing to write and nothing failing: no transaction (replay records between every
    // two capture lines; the daemon's tick calls this each second).
    if (ts.empty() && rows.empty() && unsaved_.empty() && !store_failing_) return;
    try {
      // The store writer steps aside for this one (a P1 must not queue behind meter rows).
      const auto hold = hold_writes();
      // Durable before anyone is told: the alert and its audit rows commit together.
      store::transaction tx(*store_);
      // P1 and P2 wait for the disk; below that a crash of the database server could lose
      // the last moment of transitions, which the engine raises again while they hold. On
      // PostgreSQL each wait is an fsync with the domain thread busy.
      if (std::none_of(ts.begin(), ts.end(),
                       [](const alerts::transition& t) { return t.after.priority <= 2; }) &&
          unsaved_.empty())
        store_->commit_lazily();
      std::vector<const alerts::alert*> states;
      states.reserve(unsaved_.size() + ts.size());
      for (const auto& [id, a] : unsaved_)  // held back by an earlier failure
        states.push_back(&a);
      // Numbered as the stream tells them: a repeat held back is told (and numbered) later.
      std::vector<alerts::transition*> told;
      for (auto& t : ts) {
        states.push_back(&t.after);
        if (t.publish) told.push_back(&t);
      }
      const auto seqs = store_->save_alerts(states, told, rows, clock_.now());
      tx.commit();
      for (std::size_t i = 0; i < told.size(); ++i)
        told[i]->seq = seqs[i];
      unsaved_.clear();
      store_recovered();
    } catch (const store::store_error& e) {
      // Kept (latest state per alert) and written with the next record(): the daemon's
      // 1-second tick calls record({}) while the store is failing.
      for (auto& t : ts) {
        unsaved_.insert_or_assign(t.after.id, t.after);
        t.seq = 0;  // the numbers of a rolled-back transaction were never stored
      }
      // The operator must still hear of it: publish anyway, and report the store as unhealthy.
      store_failed(e);
      log::error("app", "could not persist {} alert transition(s): {}", ts.size(), e.what());
      // The audit rows wait for the next write rather than being lost.
      telemetry_.add("hearth_audit_rows_dropped_total", {},
                     static_cast<double>(book_.requeue_journal(std::move(rows))));
    }
  }
  for (const auto& t : ts) {
    if (!t.publish) continue;  // a repeat inside the re-notification window: stored, told later
    telemetry_.add("hearth_alert_transitions_total",
                   fmt::format("rule=\"{}\",transition=\"{}\"", t.after.rule,
                               alerts::transition_name(t.what)));
    for (const auto& sink : sinks_)
      sink(t);
  }
  flush_journal();
}

std::optional<store::writer::hold_guard> pipeline::hold_writes() {
  std::optional<store::writer::hold_guard> hold;
  if (writer_) hold.emplace(writer_->hold());
  return hold;
}

void pipeline::flush_journal() {
  if (!store_) {
    (void)book_.take_journal();  // replay without storage keeps no trail
    return;
  }
  auto rows = book_.take_journal();
  if (rows.empty()) return;
  try {
    const auto hold = hold_writes();
    store::transaction tx(*store_);
    store_->append_audit(rows);
    tx.commit();
    store_recovered();
  } catch (const store::store_error& e) {
    store_failed(e);
    log::error("app", "could not append {} audit row(s): {}", rows.size(), e.what());
    telemetry_.add("hearth_audit_rows_dropped_total", {},
                   static_cast<double>(book_.requeue_journal(std::move(rows))));
  }
}

void pipeline::store_failed(const store::store_error& e) {
  store_failing_ = true;
  telemetry_.add("hearth_store_write_errors_total");
  if (auto* h = store_->health_board())
    h->failed("domain", e.what());
  else
    telemetry_.set("hearth_store_healthy", {}, 0);
}

void pipeline::store_recovered() {
  store_failing_ = false;
  if (auto* h = store_->health_board()) h->recovered("domain");
}

void pipeline::check_store_files() {
  const auto problem = store_->check_files();
  if (problem.empty()) return;
  if (auto* h = store_->health_board())
    h->failed("files", problem);
  else
    telemetry_.set("hearth_store_healthy", {}, 0);
}

void pipeline::tick(time_point now) {
  apply(engine_.tick(now));
}

bool pipeline::persist_engine_state(std::size_t max) {
  if (!store_) return false;
  auto rows = engine_.take_changes(max);
  if (rows.empty()) return false;
  if (writer_) {
    // Off the domain thread: on PostgreSQL a slice's upsert took ~3 ms of the server, and
    // an SOS arriving meanwhile waited for it.
    writer_->push(store::engine_state_slice{std::move(rows)});
    return engine_.round_open();
  }
  try {  // no writer: nothing else writes to the store meanwhile
    store_->save_engine_state(rows);
    store_recovered();
  } catch (const store::store_error& e) {
    store_failed(e);
    log::error("app", "could not persist rule state: {}", e.what());
  }
  return engine_.round_open();
}

void pipeline::persist_all_engine_state() {
  while (store_ && engine_.changed())
    persist_engine_state();  // one whole round a call
}

}  // namespace hearth::app
