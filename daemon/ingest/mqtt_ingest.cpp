// SPDX-License-Identifier: Apache-2.0
#include "ingest/mqtt_ingest.hpp"

#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>

#include "base/log.hpp"
#include "ingest/copy_matcher.hpp"

namespace hearth::ingest {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::size_t k_drain_batch = 256;
constexpr auto k_drain_slice = 2ms;
constexpr auto k_storage_retry = 5ms;
}  // namespace

struct mqtt_ingest::impl : public virtual mqtt::callback,
                           public virtual mqtt::iaction_listener,
                           public std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, mqtt_settings s, const clock& clk_, telemetry& tel_, deliver_fn d)
      : io(io_),
        settings(std::move(s)),
        clk(clk_),
        tel(tel_),
        deliver(std::move(d)),
        queue(settings.limits),
        client(settings.connection.uri, settings.connection.client_id,
               mqtt::create_options(MQTTVERSION_3_1_1)),
        retry_timer(io_),
        storage_timer(io_),
        depth_priority(tel_.gauge("hearth_ingest_queue_depth", "lane=\"priority\"",
                                  "Messages waiting for the domain thread, by lane")),
        depth_bulk(tel_.gauge("hearth_ingest_queue_depth", "lane=\"bulk\"")),
        bytes_bulk(tel_.gauge("hearth_ingest_queue_bytes", "lane=\"bulk\"",
                              "Bytes of topic and payload waiting in the bulk lane")),
        shed_bulk(tel_.counter("hearth_messages_shed_total", "lane=\"bulk\"",
                               "Messages refused because their lane was full (overload)")),
        shed_priority(tel_.counter("hearth_messages_shed_total", "lane=\"priority\"")),
        rejected_overload(tel_.counter("hearth_messages_rejected_total", "reason=\"overload\"")),
        priority_total(tel_.counter("hearth_ingest_priority_total", {},
                                    "Messages classified life-safety (priority lane)")),
        wait_priority(tel_.gauge("hearth_ingest_queue_wait_seconds", "lane=\"priority\"",
                                 "Time the last message taken from the lane had waited")),
        wait_bulk(tel_.gauge("hearth_ingest_queue_wait_seconds", "lane=\"bulk\"")),
        dropped_main(tel_.counter("hearth_ingest_copies_dropped_total", "session=\"main\"",
                                  "Second copies of life-safety messages dropped, by the session "
                                  "that brought them (the other session delivered it first)")),
        dropped_priority(
            tel_.counter("hearth_ingest_copies_dropped_total", "session=\"priority\"")),
        p1_connected(tel_.gauge("mqtt_priority_session_connected", {},
                                "1 while the life-safety (priority) session is connected")),
        p1_topics(tel_.gauge("hearth_ingest_priority_session_topics", {},
                             "Topic filters the broker has confirmed for the life-safety "
                             "(priority) session")),
        copies_evicted(tel_.counter(
            "hearth_ingest_copies_evicted_total", {},
            "Copies the matcher forgot (bound reached) before the other session brought theirs")),
        p1_pending(tel_.gauge("hearth_ingest_priority_session_pending", {},
                              "Topic filters of the priority session not yet confirmed")) {
    tel.gauge("mqtt_connected", {}, "1 while connected and subscribed to the broker");
    tel.counter("hearth_mqtt_connects_total", {}, "Successful (re)connections to the broker");
    classes.store(std::make_shared<const classifier>());
  }

  asio::io_context& io;
  mqtt_settings settings;
  const clock& clk;
  telemetry& tel;
  deliver_fn deliver;
  ready_fn bulk_ready;
  shed_fn on_shed;
  lanes queue;
  std::atomic<std::shared_ptr<const classifier>> classes;
  mqtt::async_client client;
  connect_listener connect_result;
  std::atomic<bool> is_connected{false};
  std::atomic<bool> stopping{false};
  std::mutex topics_mutex;
  asio::steady_timer retry_timer, storage_timer;
  std::chrono::seconds retry_delay{k_min_backoff};
  telemetry::cell &depth_priority, &depth_bulk, &bytes_bulk, &shed_bulk, &shed_priority,
      &rejected_overload, &priority_total, &wait_priority, &wait_bulk, &dropped_main,
      &dropped_priority, &p1_connected, &p1_topics, &copies_evicted, &p1_pending;

  // The priority session: its own client and callbacks, the filters it is subscribed to
  // (sorted), and the matcher of the copies both sessions bring.
  struct priority_events : public virtual mqtt::callback {
    impl* owner = nullptr;
    void connected(const std::string&) override { owner->p1_on_connected(); }
    void connection_lost(const std::string&) override {
      owner->p1_up = false;
      owner->p1_connected.store(0, std::memory_order_relaxed);
    }
    void message_arrived(mqtt::const_message_ptr msg) override {
      owner->arrived(session::priority, msg);
    }
  };
  std::unique_ptr<mqtt::async_client> p1;
  priority_events p1_events;
  connect_listener p1_connect_result;
  /// Counts the filters the broker confirmed (SUBACK/UNSUBACK), for the gauges.
  struct subscribe_results : public virtual mqtt::iaction_listener {
    impl* owner = nullptr;
    void on_failure(const mqtt::token& tok) override {
      log::error("ingest", "MQTT priority session (un)subscribe failed: {}",
                 describe_mqtt_failure(tok.get_return_code()));
    }
    void on_success(const mqtt::token& tok) override {
      const auto n = static_cast<std::int64_t>(tok.get_topics() ? tok.get_topics()->size() : 0);
      owner->p1_confirmed += tok.get_type() == mqtt::token::Type::UNSUBSCRIBE ? -n : n;
      owner->p1_gauges();
    }
  };
  subscribe_results p1_subscribed;
  std::atomic<std::int64_t> p1_wanted{0}, p1_confirmed{0};
  std::atomic<bool> p1_up{false}, p1_started{false};
  std::mutex p1_mutex;
  std::vector<std::string> p1_filters;
  std::shared_ptr<const classifier> p1_source;  ///< what `p1_filters` were made from
  copy_matcher copies;
  std::atomic<std::int64_t> last_shed_report_ms{0};
  std::atomic<std::uint64_t> shed_since_report{0};

  void connect() {
    try {
      client.connect(make_connect_options(settings.connection, true), nullptr, connect_result);
    } catch (const mqtt::exception& e) {
      log::error("ingest", "MQTT connect to {} failed: {}", settings.connection.uri, e.what());
      schedule_retry();
    }
  }

  // Paho's thread or the io thread: arm a timer on the io_context, never sleep here.
  void schedule_retry() {
    if (stopping) return;
    asio::post(io, [self = shared_from_this()] {
      if (self->stopping) return;
      self->retry_timer.expires_after(self->retry_delay);
      self->retry_delay = std::min(self->retry_delay * 2, k_max_backoff);
      self->retry_timer.async_wait([self](const boost::system::error_code& ec) {
        if (!ec && !self->stopping && !self->is_connected) self->connect();
      });
    });
  }

  void subscribe_all() {
    std::vector<std::string> topics;
    {
      std::lock_guard lock(topics_mutex);
      topics = settings.topics;
    }
    if (topics.empty()) return;
    auto filters = mqtt::string_collection::create(topics);
    std::vector<int> qos(topics.size(), settings.qos);
    try {
      client.subscribe(filters, qos, nullptr, *this);
    } catch (const mqtt::exception& e) {
      log::error("ingest", "subscribe failed: {}", e.what());
    }
  }

  // mqtt::callback — Paho's thread. Hand over and return.
  void connected(const std::string&) override {
    tel.add("hearth_mqtt_connects_total");
    log::info("ingest", "MQTT connected to {}", settings.connection.uri);
    bool any = false;
    {
      std::lock_guard lock(topics_mutex);
      any = !settings.topics.empty();
    }
    if (!any) {
      is_connected = true;
      tel.set("mqtt_connected", {}, 1);
    }
    subscribe_all();  // a persistent session keeps them, but a new broker may not
    p1_start();       // after the main session: it alone must never miss anything
    asio::post(io, [self = shared_from_this()] { self->retry_delay = k_min_backoff; });
  }
  void connection_lost(const std::string& cause) override {
    is_connected = false;
    tel.set("mqtt_connected", {}, 0);
    log::warn("ingest", "MQTT connection lost{}{}; reconnecting", cause.empty() ? "" : ": ", cause);
  }
  void message_arrived(mqtt::const_message_ptr msg) override { arrived(session::main, msg); }

  // Paho's thread(s), for both sessions.
  void arrived(session from, const mqtt::const_message_ptr& msg) {
    inbound m{msg->get_topic(),    msg->get_payload_str(),           clk.now(),
              msg->is_duplicate(), std::chrono::steady_clock::now(), false};
    // Both sessions receive the topics the priority session subscribes to; the lane is the
    // message's own (a native device's meter reading stays bulk, its SOS goes first).
    const auto c = classes.load(std::memory_order_acquire);
    const bool twice = from == session::priority || c->is_priority(m.topic);
    m.priority = twice && c->is_priority(m.topic, m.payload);
    if (from == session::priority && !c->is_priority(m.topic)) m.priority = true;  // older list
    // While both sessions are up, such a message comes twice: the first copy goes on.
    if (twice && p1_up && !copies.first(from, m.topic, m.payload, m.queued_at)) {
      (from == session::main ? dropped_main : dropped_priority)
          .fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const lane which = m.priority ? lane::priority : lane::bulk;
    if (m.priority) priority_total.fetch_add(1, std::memory_order_relaxed);
    switch (queue.offer(which, std::move(m))) {
      case lanes::offered::queued:
        return;
      case lanes::offered::queued_wake:
        asio::post(io, [self = shared_from_this()] { self->drain(); });
        return;
      case lanes::offered::shed:
        shed(which, msg);
        return;
    }
  }

  // --- the priority session ---------------------------------------------------------------

  void p1_start() {
    if (!p1 || p1_started.exchange(true)) return;
    try {
      // Clean: what was published while it was away reaches us on the main session.
      p1->connect(make_connect_options(settings.connection, false), nullptr, p1_connect_result);
    } catch (const mqtt::exception& e) {
      p1_started = false;  // tried again at the main session's next connect
      log::error("ingest", "MQTT priority session connect failed: {}", e.what());
    }
  }

  void p1_on_connected() {
    p1_up = true;  // before subscribing: a main copy then waits for its match, never the reverse
    p1_connected.store(1, std::memory_order_relaxed);
    std::lock_guard lock(p1_mutex);
    p1_filters.clear();  // a clean session starts with none
    p1_source.reset();
    p1_confirmed = 0;
    p1_resubscribe_locked();
  }

  void p1_gauges() {
    const auto confirmed = p1_confirmed.load();
    p1_topics.store(static_cast<double>(confirmed), std::memory_order_relaxed);
    p1_pending.store(static_cast<double>(std::max<std::int64_t>(0, p1_wanted - confirmed)),
                     std::memory_order_relaxed);
  }

  /// Brings the priority session's subscriptions to the classifier's filters. A topic
  /// learned on the domain thread only adds that topic; a new registry or catalog rebuilds
  /// the list (one filter per life-safety device).
  void p1_resubscribe_locked() {
    auto now = classes.load(std::memory_order_acquire);
    std::size_t left_out = 0;
    std::vector<std::string> want, add, drop;
    if (p1_source && now->extends(*p1_source)) {
      for (const auto& t : now->learned())
        if (!p1_source->learned().contains(t) &&
            p1_filters.size() + add.size() < settings.priority_session_topics)
          add.push_back(t);
      std::sort(add.begin(), add.end());
      std::merge(p1_filters.begin(), p1_filters.end(), add.begin(), add.end(),
                 std::back_inserter(want));
    } else {
      want = now->priority_filters(settings.priority_session_topics, &left_out);
      std::set_difference(want.begin(), want.end(), p1_filters.begin(), p1_filters.end(),
                          std::back_inserter(add));
      std::set_difference(p1_filters.begin(), p1_filters.end(), want.begin(), want.end(),
                          std::back_inserter(drop));
    }
    p1_source = std::move(now);
    try {
      p1_wanted = static_cast<std::int64_t>(want.size());
      subscribe_chunked(*p1, drop, settings.qos, true, p1_subscribed);
      subscribe_chunked(*p1, add, settings.qos, false, p1_subscribed);
      p1_filters = std::move(want);
    } catch (const mqtt::exception& e) {
      log::error("ingest", "MQTT priority session subscribe failed: {}", e.what());
    }
    p1_gauges();
    if (left_out > 0 && !add.empty())
      log::warn("ingest",
                "{} life-safety topic(s) beyond priority_session_topics ({}) are "
                "received on the main session only",
                left_out, settings.priority_session_topics);
  }

  void delivery_complete(mqtt::delivery_token_ptr) override {}

  void shed(lane which, const mqtt::const_message_ptr& msg) {
    (which == lane::priority ? shed_priority : shed_bulk).fetch_add(1, std::memory_order_relaxed);
    rejected_overload.fetch_add(1, std::memory_order_relaxed);
    shed_since_report.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clk.now().time_since_epoch()).count();
    auto last = last_shed_report_ms.load(std::memory_order_relaxed);
    if (now_ms - last < 1000 || !last_shed_report_ms.compare_exchange_strong(last, now_ms)) return;
    const auto n = shed_since_report.exchange(0);
    depth_bulk.store(static_cast<double>(queue.depth(lane::bulk)), std::memory_order_relaxed);
    depth_priority.store(static_cast<double>(queue.depth(lane::priority)),
                         std::memory_order_relaxed);
    log::warn("ingest", "overload: {} message(s) shed in the last second ({} lane full)", n,
              which == lane::priority ? "priority" : "bulk");
    if (on_shed) {
      try {
        on_shed(inbound{msg->get_topic(),
                        msg->get_payload_str(),
                        clk.now(),
                        msg->is_duplicate(),
                        {},
                        which == lane::priority},
                n);
      } catch (const std::exception& e) {
        log::error("ingest", "recording shed messages failed: {}", e.what());
      }
    }
  }

  // The io_context: deliver a slice of messages, priority lane first.
  void drain() {
    const auto start = std::chrono::steady_clock::now();
    bool allowed = bulk_allowed();
    for (std::size_t n = 1;; ++n) {
      auto m = queue.take(allowed);
      if (!m) {
        if (queue.paused()) wait_for_storage();
        break;
      }
      const auto waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - m->queued_at);
      (m->priority ? wait_priority : wait_bulk).store(waited.count(), std::memory_order_relaxed);
      try {
        deliver(*m);
      } catch (const std::exception& e) {
        // Never let one message end the daemon: an exception escaping a handler would.
        tel.add("hearth_ingest_delivery_errors_total");
        log::error("ingest", "message on {} failed: {}", m->topic.substr(0, 200), e.what());
      }
      if (n % 32 == 0) allowed = bulk_allowed();
      if (n >= k_drain_batch || std::chrono::steady_clock::now() - start >= k_drain_slice) {
        // Still not idle: come back after whatever else is queued on the io_context.
        asio::post(io, [self = shared_from_this()] { self->drain(); });
        break;
      }
    }
    update_gauges();
  }

  bool bulk_allowed() {
    if (!bulk_ready) return true;
    try {
      return bulk_ready();
    } catch (const std::exception&) {
      return true;
    }
  }

  void wait_for_storage() {
    storage_timer.expires_after(k_storage_retry);
    storage_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopping) return;
      if (self->queue.claim()) self->drain();
    });
  }

  void update_gauges() {
    depth_priority.store(static_cast<double>(queue.depth(lane::priority)),
                         std::memory_order_relaxed);
    depth_bulk.store(static_cast<double>(queue.depth(lane::bulk)), std::memory_order_relaxed);
    bytes_bulk.store(static_cast<double>(queue.bulk_bytes()), std::memory_order_relaxed);
    if (p1) copies_evicted.store(static_cast<double>(copies.evicted()), std::memory_order_relaxed);
  }

  // iaction_listener — subscription results.
  void on_failure(const mqtt::token& tok) override {
    log::error("ingest", "MQTT subscribe failed: {}", describe_mqtt_failure(tok.get_return_code()));
  }
  void on_success(const mqtt::token&) override {
    // Connected *and* subscribed: only now is the session useful.
    is_connected = true;
    tel.set("mqtt_connected", {}, 1);
  }
};

mqtt_ingest::mqtt_ingest(asio::io_context& io, mqtt_settings s, const clock& clk, telemetry& tel,
                         deliver_fn deliver)
    : impl_(std::make_shared<impl>(io, std::move(s), clk, tel, std::move(deliver))) {
  impl_->client.set_callback(*impl_);
  tel.set("mqtt_connected", {}, 0);
  if (impl_->settings.priority_session) {
    impl_->p1 = std::make_unique<mqtt::async_client>(impl_->settings.connection.uri,
                                                     impl_->settings.connection.client_id + "-p1",
                                                     mqtt::create_options(MQTTVERSION_3_1_1));
    impl_->p1_events.owner = impl_.get();
    impl_->p1_subscribed.owner = impl_.get();
    impl_->p1->set_callback(impl_->p1_events);
    impl_->p1_connect_result.failed = [](const mqtt::token& tok) {
      log::error("ingest", "MQTT priority session connect failed: {}; retrying",
                 describe_mqtt_failure(tok.get_return_code()));
    };
  }
  std::weak_ptr<impl> weak = impl_;
  impl_->connect_result.failed = [weak](const mqtt::token& tok) {
    auto self = weak.lock();
    if (!self) return;
    // Paho's thread. Paho itself retries (automatic reconnect covers the first connect
    // too), with the same backoff. rc 5 is "not authorized" (user name or password), 4
    // "bad credentials": logged without the credentials themselves.
    log::error("ingest", "MQTT connect to {} failed: {}; retrying", self->settings.connection.uri,
               describe_mqtt_failure(tok.get_return_code()));
  };
}

mqtt_ingest::~mqtt_ingest() {
  stop();
}

void mqtt_ingest::set_bulk_ready(ready_fn f) {
  impl_->bulk_ready = std::move(f);
}

void mqtt_ingest::set_on_shed(shed_fn f) {
  impl_->on_shed = std::move(f);
}

void mqtt_ingest::set_classifier(std::shared_ptr<const classifier> c) {
  impl_->classes.store(std::move(c), std::memory_order_release);
  if (impl_->p1_up) {
    std::lock_guard lock(impl_->p1_mutex);
    impl_->p1_resubscribe_locked();
  }
}

std::shared_ptr<const classifier> mqtt_ingest::classifier_snapshot() const {
  return impl_->classes.load(std::memory_order_acquire);
}

void mqtt_ingest::start() {
  impl_->connect();
}

void mqtt_ingest::set_topics(std::vector<std::string> topics) {
  {
    std::lock_guard lock(impl_->topics_mutex);
    impl_->settings.topics = std::move(topics);
  }
  if (impl_->is_connected) impl_->subscribe_all();
}

void mqtt_ingest::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  if (impl_->p1) {
    try {
      impl_->p1->disable_callbacks();
      impl_->p1_up = false;
      if (impl_->p1->is_connected())
        impl_->p1->disconnect(std::chrono::milliseconds(200))->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
    }
  }
  try {
    impl_->client.disable_callbacks();
    if (impl_->client.is_connected())
      impl_->client.disconnect(std::chrono::milliseconds(500))->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
  impl_->retry_timer.cancel();
  impl_->storage_timer.cancel();
  impl_->is_connected = false;
}

bool mqtt_ingest::connected() const {
  return impl_->is_connected;
}

std::size_t mqtt_ingest::queued() const {
  return impl_->queue.depth(lane::priority) + impl_->queue.depth(lane::bulk);
}

}  // namespace hearth::ingest
