// SPDX-License-Identifier: Apache-2.0
#include "notify/mqtt_publisher.hpp"

#include <fmt/format.h>
#include <mqtt/async_client.h>

#include "base/log.hpp"

namespace hearth::notify {

struct mqtt_publisher::impl : public virtual mqtt::callback {
  impl(ingest::mqtt_connection c, telemetry& t)
      : conn(std::move(c)),
        tel(t),
        client(conn.uri, conn.client_id,
               mqtt::create_options_builder()
                   .mqtt_version(MQTTVERSION_3_1_1)
                   .send_while_disconnected(true, true)
                   .max_buffered_messages(10'000)
                   .delete_oldest_messages(true)
                   .finalize()) {}
  ingest::mqtt_connection conn;
  telemetry& tel;
  mqtt::async_client client;

  // Paho's thread: only counters, never blocking.
  void connected(const std::string&) override { tel.set("hearth_mqtt_out_connected", {}, 1); }
  void connection_lost(const std::string&) override { tel.set("hearth_mqtt_out_connected", {}, 0); }
  void delivery_complete(mqtt::delivery_token_ptr) override {
    tel.add("hearth_alert_publishes_total");
  }
};

mqtt_publisher::mqtt_publisher(ingest::mqtt_connection c, telemetry& tel)
    : impl_(std::make_unique<impl>(std::move(c), tel)) {
  impl_->client.set_callback(*impl_);
  tel.set("hearth_mqtt_out_connected", {}, 0);
}

mqtt_publisher::~mqtt_publisher() {
  stop();
}

void mqtt_publisher::start() {
  // clean session: output only, nothing to resume. Same TLS and credentials as ingest.
  auto opts = ingest::make_connect_options(impl_->conn, false);
  try {
    impl_->client.connect(opts);
  } catch (const mqtt::exception& e) {
    log::error("notify", "MQTT output connect to {} failed: {}", impl_->conn.uri, e.what());
  }
}

bool mqtt_publisher::publish(const std::string& topic, const std::string& payload, int qos,
                             bool retain) {
  try {
    impl_->client.publish(topic, payload.data(), payload.size(), qos, retain);
    return true;
  } catch (const mqtt::exception& e) {
    impl_->tel.add("hearth_alert_publish_errors_total");
    return false;
  }
}

void mqtt_publisher::stop() {
  if (!impl_) return;
  try {
    impl_->client.disable_callbacks();
    if (impl_->client.is_connected())
      impl_->client.disconnect(std::chrono::milliseconds(1000))->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
}

bool mqtt_publisher::connected() const {
  return impl_->client.is_connected();
}

}  // namespace hearth::notify
