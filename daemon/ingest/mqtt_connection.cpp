// SPDX-License-Identifier: Apache-2.0
#include "ingest/mqtt_connection.hpp"

#include <fmt/format.h>

namespace hearth::ingest {

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
      fmt::print(stderr, "hearthd: MQTT TLS: {}\n", msg);
    });
    b.ssl(ssl.finalize());
  }
  return b.finalize();
}

}  // namespace hearth::ingest
