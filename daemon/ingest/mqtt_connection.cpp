// SPDX-License-Identifier: Apache-2.0
#include "ingest/mqtt_connection.hpp"

#include <fmt/format.h>
#include <mqtt/exception.h>

#include <algorithm>

#include "base/log.hpp"

namespace hearth::ingest {

namespace {
constexpr std::size_t k_subscribe_chunk = 1'000;  ///< filters per SUBSCRIBE packet
}

void subscribe_chunked(mqtt::async_client& c, const std::vector<std::string>& filters, int qos,
                       bool unsubscribe, mqtt::iaction_listener& done) {
  for (std::size_t i = 0; i < filters.size(); i += k_subscribe_chunk) {
    const auto end = std::min(filters.size(), i + k_subscribe_chunk);
    auto chunk = mqtt::string_collection::create(
        std::vector<std::string>(filters.begin() + static_cast<std::ptrdiff_t>(i),
                                 filters.begin() + static_cast<std::ptrdiff_t>(end)));
    if (unsubscribe)
      c.unsubscribe(chunk, nullptr, done);
    else
      c.subscribe(chunk, std::vector<int>(end - i, qos), nullptr, done);
  }
}

mqtt::connect_options make_connect_options(const mqtt_connection& c, bool persistent) {
  auto b = mqtt::connect_options_builder()
               .clean_session(!persistent)
               .keep_alive_interval(std::chrono::seconds(20))
               .automatic_reconnect(k_min_backoff, k_max_backoff)
               .connect_timeout(std::chrono::seconds(5));
  if (!c.username.empty()) b.user_name(c.username);
  if (!c.password.empty()) b.password(c.password);
  if (c.tls()) {
    auto ssl = mqtt::ssl_options_builder();
    if (!c.ca_file.empty()) ssl.trust_store(c.ca_file);
    if (!c.cert_file.empty()) ssl.key_store(c.cert_file);
    if (!c.key_file.empty()) ssl.private_key(c.key_file);
    ssl.enable_server_cert_auth(true);
    ssl.verify(true);  // the certificate must name the host of the URI
    ssl.error_handler([](const std::string& msg) {
      // Paho's thread: one line, no secrets (OpenSSL's text names certificates, not keys).
      log::warn("ingest", "MQTT TLS: {}", msg);
    });
    b.ssl(ssl.finalize());
  }
  return b.finalize();
}

std::string describe_mqtt_failure(int rc) {
  switch (rc) {
    case -1:  // MQTTASYNC_FAILURE: the TCP connect, the TLS handshake or the CONNECT failed
      return "the broker could not be reached (connection refused or lost, or the TLS "
             "handshake failed)";
    case 1:
      return "the broker refused the MQTT protocol version";
    case 2:
      return "the broker refused the client id";
    case 3:
      return "the broker is unavailable";
    case 4:
      return "the broker refused the user name or password";
    case 5:
      return "the broker says this client is not authorized";
    case -3:  // MQTTASYNC_DISCONNECTED
      return "not connected to the broker";
    default:
      return fmt::format("{} (Paho code {})", mqtt::exception::error_str(rc), rc);
  }
}

}  // namespace hearth::ingest
