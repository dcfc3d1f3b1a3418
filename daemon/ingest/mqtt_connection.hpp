// SPDX-License-Identifier: Apache-2.0
#pragma once
/// How hearthd reaches the broker, shared by ingest and the alert publisher
/// (notify::mqtt_publisher), so that both use the same TLS settings and credentials.
///
/// Secrets are never in the config or on the command line: the config names files
/// (`password_file`, `key_file`) and the daemon reads them at start. Nothing here is
/// logged except the URI and the user name.

#include <mqtt/async_client.h>
#include <mqtt/connect_options.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace hearth::ingest {

struct mqtt_connection {
  std::string uri = "tcp://127.0.0.1:1883";  ///< ssl:// or mqtts:// for TLS
  std::string client_id = "hearthd";
  std::string username;   ///< empty: no user name
  std::string password;   ///< read from `password_file`; empty: none
  std::string ca_file;    ///< PEM CA bundle that signed the broker's certificate
  std::string cert_file;  ///< PEM client certificate (for brokers that require one)
  std::string key_file;   ///< PEM private key of the client certificate

  bool tls() const { return uri.starts_with("ssl://") || uri.starts_with("mqtts://"); }
};

/// Reconnect backoff: 1 s, doubling, at most `k_max_backoff`. Capped low because while
/// hearthd is away an SOS waits in the broker: after a broker restart hearthd is back
/// within 5 s at worst.
inline constexpr std::chrono::seconds k_min_backoff{1}, k_max_backoff{5};

/// Paho connect options: `persistent` selects clean_session=false (ingest) or true
/// (output); automatic reconnect with the backoff above; TLS with server certificate and
/// host name verification when the URI is ssl:// or mqtts://.
mqtt::connect_options make_connect_options(const mqtt_connection& c, bool persistent);

/// Plain words for a failed Paho call's return code (issue 18: the log said `rc -1`):
/// the CONNACK refusals of MQTT 3.1.1 (1 to 5) by what they mean, -1 as "could not reach
/// the broker", and anything else by Paho's own text with the number.
std::string describe_mqtt_failure(int rc);

/// Reports the result of one connect attempt (`failed` runs on Paho's thread); Paho's
/// automatic reconnect then retries with the backoff above.
struct connect_listener : public virtual mqtt::iaction_listener {
  std::function<void(const mqtt::token&)> failed;
  void on_failure(const mqtt::token& tok) override {
    if (failed) failed(tok);
  }
  void on_success(const mqtt::token&) override {}
};

/// Subscribes (or unsubscribes) `filters` on `c` in SUBSCRIBE packets of at most 1,000
/// filters each; `done` hears of each packet.
void subscribe_chunked(mqtt::async_client& c, const std::vector<std::string>& filters, int qos,
                       bool unsubscribe, mqtt::iaction_listener& done);

}  // namespace hearth::ingest
