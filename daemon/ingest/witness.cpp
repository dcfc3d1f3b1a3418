// SPDX-License-Identifier: Apache-2.0
#include "ingest/witness.hpp"

#include <mqtt/async_client.h>

#include <mutex>

#include "base/log.hpp"

namespace hearth::ingest {

void recent_messages::pop_front() {
  bytes_ -= held_.front().topic.size() + held_.front().payload.size();
  held_.pop_front();
  ++dropped_;
}

void recent_messages::push(inbound m) {
  const std::size_t size = m.topic.size() + m.payload.size();
  if (size > limits_.bytes || limits_.messages == 0) {  // could never be held
    ++dropped_;
    return;
  }
  while (!held_.empty() && (held_.front().received_at < m.received_at - limits_.window ||
                            held_.size() >= limits_.messages || bytes_ + size > limits_.bytes))
    pop_front();
  bytes_ += size;
  held_.push_back(std::move(m));
}

std::vector<inbound> recent_messages::take_until(time_point cutoff) {
  std::vector<inbound> out;
  for (auto& m : held_)
    if (m.received_at <= cutoff) out.push_back(std::move(m));
  held_.clear();
  bytes_ = 0;
  return out;
}

struct witness::impl : public virtual mqtt::callback, public virtual mqtt::iaction_listener {
  impl(mqtt_connection c, std::vector<std::string> t, witness_limits l, const clock& clk_,
       telemetry& tel_)
      : connection(std::move(c)),
        topics(std::move(t)),
        clk(clk_),
        buffer(l),
        client(connection.uri, connection.client_id, mqtt::create_options(MQTTVERSION_3_1_1)),
        held_gauge(tel_.gauge("hearth_ha_witness_held", {},
                              "Messages a standby holds from its own subscription, for the "
                              "moment it takes over")),
        subscribed_gauge(tel_.gauge("hearth_ha_witness_subscribed", {},
                                    "1 while a standby's own subscription is confirmed")) {}

  mqtt_connection connection;
  std::vector<std::string> topics;
  const clock& clk;
  mutable std::mutex mutex;
  recent_messages buffer;
  mqtt::async_client client;
  std::atomic<bool> is_subscribed{false}, stopped{false};
  telemetry::cell &held_gauge, &subscribed_gauge;

  connect_listener connect_result;

  void connected(const std::string&) override {
    if (topics.empty() || stopped) return;
    try {
      subscribe_chunked(client, topics, 1, false, *this);
    } catch (const mqtt::exception& e) {
      log::warn("ha", "standby's subscription failed: {}", e.what());
    }
  }
  void connection_lost(const std::string&) override {
    is_subscribed = false;
    subscribed_gauge.store(0, std::memory_order_relaxed);
  }
  void message_arrived(mqtt::const_message_ptr msg) override {
    if (stopped) return;
    inbound m{msg->get_topic(), msg->get_payload_str(), clk.now(), false, {}, false};
    std::lock_guard lock(mutex);
    buffer.push(std::move(m));
    held_gauge.store(static_cast<double>(buffer.size()), std::memory_order_relaxed);
  }
  void delivery_complete(mqtt::delivery_token_ptr) override {}
  void on_success(const mqtt::token&) override {
    is_subscribed = true;
    subscribed_gauge.store(1, std::memory_order_relaxed);
  }
  void on_failure(const mqtt::token& tok) override {
    log::warn("ha", "standby's subscription refused: {}",
              describe_mqtt_failure(tok.get_return_code()));
  }
};

witness::witness(mqtt_connection connection, std::vector<std::string> topics, witness_limits limits,
                 const clock& clk, telemetry& tel)
    : impl_(std::make_shared<impl>(std::move(connection), std::move(topics), limits, clk, tel)) {
  impl_->connect_result.failed = [uri = impl_->connection.uri](const mqtt::token& tok) {
    log::warn("ha", "standby's subscription: cannot connect to {}: {}; retrying", uri,
              describe_mqtt_failure(tok.get_return_code()));
  };
  impl_->client.set_callback(*impl_);
}

// Destroying the Paho client closes its connection at once; a DISCONNECT first would wait
// for Paho's next cycle (100-200 ms here), and a clean session has nothing to keep.
witness::~witness() {
  stop();
}

void witness::start() {
  try {
    // Clean session: while this node is down, nothing needs to wait for it in the broker.
    impl_->client.connect(make_connect_options(impl_->connection, false), nullptr,
                          impl_->connect_result);
  } catch (const mqtt::exception& e) {
    log::warn("ha", "standby's subscription: cannot connect to {}: {}", impl_->connection.uri,
              e.what());
  }
}

void witness::stop() {
  if (impl_->stopped.exchange(true)) return;
  try {
    impl_->client.disable_callbacks();
  } catch (const mqtt::exception&) {
  }
  impl_->is_subscribed = false;
  impl_->subscribed_gauge.store(0, std::memory_order_relaxed);
}

bool witness::subscribed() const {
  return impl_->is_subscribed;
}

std::size_t witness::held() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->buffer.size();
}

std::vector<inbound> witness::take_until(time_point cutoff) {
  std::lock_guard lock(impl_->mutex);
  auto out = impl_->buffer.take_until(cutoff);
  impl_->held_gauge.store(0, std::memory_order_relaxed);
  return out;
}

}  // namespace hearth::ingest
