// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The daemon's configuration (DESIGN.md, "Config"; schema in schemas/config.schema.json).
/// Decoded into typed structs in one place; unknown keys are errors; relative paths resolve
/// against the config file's folder.

#include <optional>
#include <string>
#include <vector>

#include "alerts/escalation.hpp"
#include "base/diagnostic.hpp"

namespace hearth::app {

struct mqtt_config {
  std::string uri = "tcp://127.0.0.1:1883";
  std::string client_id = "hearthd";
};

struct http_config {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one
};

/// A webhook that receives every alert transition (POST, the alert JSON as the body).
struct webhook_config {
  std::string url;  ///< http:// only; put a reverse proxy in front for https
  duration timeout = std::chrono::seconds(5);
  int max_attempts = 8;                        ///< then the delivery is dropped and counted
  duration backoff = std::chrono::seconds(1);  ///< first retry delay; doubles, capped at 5 min
};

struct config {
  std::string file;  ///< the config file itself
  std::string timezone = "UTC";
  std::string database = "hearth.db";
  std::string devices_dir, rules_dir;
  std::string registry_dir;  ///< optional
  mqtt_config mqtt;
  http_config http;
  /// Optional `escalation:` section; its time zone is `timezone`.
  alerts::escalation_policy escalation;
  std::vector<webhook_config> webhooks;  ///< optional `webhooks:` list
  /// `retention:` readings and quarantined messages older than this are pruned in the
  /// background (1 day to 100 years). Alerts and the audit trail are kept.
  duration retention = std::chrono::days(400);
};

/// Parses config text. `file` names it in diagnostics and anchors relative paths.
std::optional<config> parse_config(const std::string& text, const std::string& file,
                                   diagnostics& out);
std::optional<config> load_config(const std::string& file, diagnostics& out);

/// Splits "host:port"; nullopt when malformed.
std::optional<std::pair<std::string, unsigned short>> split_listen(const std::string& listen);

}  // namespace hearth::app
