// SPDX-License-Identifier: Apache-2.0
#include "ingest/mqtt_ingest.hpp"

#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <boost/asio/post.hpp>
#include <mutex>

namespace hearth::ingest {

struct mqtt_ingest::impl : public virtual mqtt::callback, public virtual mqtt::iaction_listener {
  impl(boost::asio::io_context& io_, mqtt_settings s, const clock& clk_, telemetry& tel_,
       deliver_fn d)
      : io(io_),
        settings(std::move(s)),
        clk(clk_),
        tel(tel_),
        deliver(std::move(d)),
        client(settings.uri, settings.client_id, mqtt::create_options(MQTTVERSION_3_1_1)) {}

  boost::asio::io_context& io;
  mqtt_settings settings;
  const clock& clk;
  telemetry& tel;
  deliver_fn deliver;
  mqtt::async_client client;
  std::atomic<bool> is_connected{false};
  std::mutex topics_mutex;

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
      fmt::print(stderr, "hearthd: subscribe failed: {}\n", e.what());
    }
  }

  // mqtt::callback — Paho's thread. Hand over and return.
  void connected(const std::string&) override {
    is_connected = true;
    tel.set("mqtt_connected", {}, 1);
    tel.add("hearth_mqtt_connects_total");
    subscribe_all();  // a persistent session keeps them, but a new broker may not
  }
  void connection_lost(const std::string&) override {
    is_connected = false;
    tel.set("mqtt_connected", {}, 0);
  }
  void message_arrived(mqtt::const_message_ptr msg) override {
    const auto at = clk.now();
    boost::asio::post(io,
                      [this, msg, at] { deliver(msg->get_topic(), msg->get_payload_str(), at); });
  }
  void delivery_complete(mqtt::delivery_token_ptr) override {}

  // iaction_listener — subscription results.
  void on_failure(const mqtt::token& tok) override {
    fmt::print(stderr, "hearthd: MQTT subscribe failed (rc {})\n", tok.get_return_code());
  }
  void on_success(const mqtt::token&) override {}
};

mqtt_ingest::mqtt_ingest(boost::asio::io_context& io, mqtt_settings s, const clock& clk,
                         telemetry& tel, deliver_fn deliver)
    : impl_(std::make_shared<impl>(io, std::move(s), clk, tel, std::move(deliver))) {
  impl_->client.set_callback(*impl_);
  tel.set("mqtt_connected", {}, 0);
}

mqtt_ingest::~mqtt_ingest() {
  stop();
}

void mqtt_ingest::start() {
  auto opts = mqtt::connect_options_builder()
                  .clean_session(false)  // the broker queues QoS 1 messages while hearthd is down
                  .keep_alive_interval(std::chrono::seconds(20))
                  .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30))
                  .connect_timeout(std::chrono::seconds(5))
                  .finalize();
  try {
    impl_->client.connect(opts, nullptr, *impl_);
  } catch (const mqtt::exception& e) {
    fmt::print(stderr, "hearthd: MQTT connect to {} failed: {}\n", impl_->settings.uri, e.what());
  }
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
  try {
    impl_->client.disable_callbacks();
    if (impl_->client.is_connected())
      impl_->client.disconnect(std::chrono::milliseconds(500))->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
  impl_->is_connected = false;
}

bool mqtt_ingest::connected() const {
  return impl_->is_connected;
}

}  // namespace hearth::ingest
