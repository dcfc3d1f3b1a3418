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
#include "reports/sla.hpp"

namespace hearth::app {

struct mqtt_config {
  std::string uri = "tcp://127.0.0.1:1883";  ///< ssl:// or mqtts:// for TLS
  std::string client_id = "hearthd";
  /// Transport security (all optional). Paths are resolved and checked readable when the
  /// config is loaded; the secrets themselves are read by the daemon at start
  /// (`read_secret_file`), never written in the config or given on the command line.
  std::string username;
  std::string password_file;  ///< first line is the password
  std::string ca_file;        ///< PEM CA that signed the broker's certificate
  std::string cert_file;      ///< PEM client certificate; needs key_file
  std::string key_file;       ///< PEM private key (unencrypted; keep it mode 0600)
};

/// Bounds of the hand-over from the MQTT thread to the domain thread (ingest::lanes).
struct ingest_config {
  std::size_t bulk_queue_messages = 50'000;
  std::size_t bulk_queue_bytes = 64u << 20;
  std::size_t priority_queue_messages = 100'000;
  /// Rows waiting for the store writer above which the bulk lane is held back (so the
  /// bulk lane, not the writer's queue, absorbs a flood and sheds when full).
  std::size_t store_backlog = 20'000;
  /// The second MQTT session for life-safety topics (ingest::mqtt_settings), and how many
  /// exact topics it subscribes to at most.
  bool priority_session = true;
  std::size_t priority_session_topics = 50'000;
  /// Unregistered devices remembered at most (store::writer_options::max_unknown_devices).
  std::size_t unknown_devices_max = 10'000;
};

/// The HTTP API's listener and its bounds (api::server_options, issue 18).
struct http_config {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one
  std::size_t max_connections = 1024;     ///< lowered at start to what descriptors allow
  std::size_t max_connections_per_address = 128;
  duration header_timeout = std::chrono::seconds(10);
  duration body_timeout = std::chrono::seconds(30);
  duration write_timeout = std::chrono::seconds(20);
  std::size_t max_response_bytes = 64u << 20;
  /// Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
  /// CIDR blocks, checked when the config is loaded.
  std::vector<std::string> trusted_proxies;
  /// The session cookie gets `Secure` always (true), or only when a trusted proxy says
  /// the client used HTTPS (false, the default).
  bool secure_cookie = false;
};

/// A webhook that receives every alert transition (POST, the alert JSON as the body).
struct webhook_config {
  std::string url;  ///< http:// only; put a reverse proxy in front for https
  duration timeout = std::chrono::seconds(5);
  int max_attempts = 8;                        ///< then the delivery is dropped and counted
  duration backoff = std::chrono::seconds(1);  ///< first retry delay; doubles, capped at 5 min
};

/// The audit chain's anchor (store/audit_head.hpp, issue 18).
struct audit_config {
  /// HMAC key of the published audit head: the first line of this file, at least 16
  /// bytes. Keep it away from the database (another folder, mode 0600, backed up apart):
  /// whoever has both can forge a head. Optional: without it the head is unsigned.
  std::string key_file;
};

/// `ha:` several nodes on one PostgreSQL database, one active at a time (see ha/lease.hpp).
struct ha_config {
  std::string node;  ///< this node's name, unique among the nodes
  /// How long the active node's lease lasts without a renewal (it renews every second):
  /// a standby takes over this long after the active node stopped.
  duration lease = std::chrono::seconds(3);
};

/// The supervisor's desk (issue 16): the SLA board's required shares and the shifts.
struct desk_config {
  /// `sla:` per priority, a list of {within, share}; a priority named replaces its defaults.
  std::vector<reports::sla_figure> figures = reports::default_figures();
  /// `shifts:` local start times, sorted ("08:00", "16:00", "00:00" by default).
  std::vector<std::chrono::minutes> shifts = {std::chrono::hours(0), std::chrono::hours(8),
                                              std::chrono::hours(16)};
};

struct config {
  std::string file;  ///< the config file itself
  std::string timezone = "UTC";
  std::string database = "hearth.db";
  std::string devices_dir, rules_dir;
  std::string registry_dir;  ///< optional
  /// The product's texts (`messages/*.yaml`, the message catalogue). Default: the source
  /// tree's messages/ when it exists (development), else /usr/share/hearth/messages.
  std::string messages_dir = default_messages_dir();
  static std::string default_messages_dir();
  /// `locale:` the language of what hearthd publishes (MQTT, webhooks, replay) and of API
  /// answers to callers who ask for none. One of i18n::k_locales; default zh-CN.
  std::string locale{"zh-CN"};
  mqtt_config mqtt;
  ingest_config ingest;  ///< optional `ingest:` section
  http_config http;
  /// Optional `escalation:` section; its time zone is `timezone`.
  alerts::escalation_policy escalation;
  std::vector<webhook_config> webhooks;  ///< optional `webhooks:` list
  audit_config audit;                    ///< optional `audit:` section
  desk_config desk;                      ///< optional `sla:` and `shifts:`
  /// The console's static files (index.html, app.js, style.css). Default: the source tree's
  /// daemon/console when it exists (development), else /usr/share/hearth/console.
  std::string console_dir = default_console_dir();
  static std::string default_console_dir();
  /// `retention:` readings and quarantined messages older than this are pruned in the
  /// background (1 day to 100 years). Alerts and the audit trail are kept.
  duration retention = std::chrono::days(400);
  /// Optional `ha:` section (needs a PostgreSQL `database`).
  std::optional<ha_config> ha;
};

/// Parses config text. `file` names it in diagnostics and anchors relative paths.
std::optional<config> parse_config(const std::string& text, const std::string& file,
                                   diagnostics& out);
std::optional<config> load_config(const std::string& file, diagnostics& out);

/// The first line of a secret file (password), without its line ending. nullopt when the
/// file cannot be read. The secret is never logged.
std::optional<std::string> read_secret_file(const std::string& path);

/// The audit head's key (`audit.key_file`): empty when none is configured; nullopt with
/// `why` set when the file cannot be read or is shorter than store::k_min_head_key.
std::optional<std::string> read_audit_key(const config& c, std::string& why);

/// Splits "host:port"; nullopt when malformed.
std::optional<std::pair<std::string, unsigned short>> split_listen(const std::string& listen);

}  // namespace hearth::app
