// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Delivers alert transitions to configured webhooks: an HTTP POST of the alert JSON, with
/// retry and exponential backoff, on a thread and io_context of its own, so that a slow or
/// dead webhook never delays the domain thread or the operator queue.
///
/// - http:// only; https is expected to be terminated by a reverse proxy in front.
/// - A delivery succeeds on any 2xx answer. Otherwise it is retried after `backoff`,
///   doubling each time (capped at 5 min), up to `max_attempts`; then it is dropped and
///   reported. Deliveries are independent, so one alert's updates may arrive out of
///   order after a retry: receivers order them by `updated_at`.
/// - A failure on hearthd's side (out of file descriptors or buffers, no local port, the
///   operation cancelled) is not the webhook's: it is retried (100 ms doubling to 30 s)
///   without using up an attempt, so it is never the reason a delivery is dropped
///   (`hearth_webhook_local_failures_total`).
/// - At most 4 attempts per target are in flight at once; the others wait their turn.
/// - At most 10,000 deliveries wait at once; beyond that new ones are dropped and counted.
/// - Headers: `X-Hearth-Transition` (opened|updated|resolved), `X-Hearth-Action`
///   (claimed, escalated, ...), and `X-Hearth-Tier` when a tier is being notified.
///
/// Threading: `send` may be called from any thread and never blocks. `on_report` runs on
/// the webhook thread; post it elsewhere if it touches domain state. Exceptions from Asio
/// and Beast are caught inside.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/telemetry.hpp"

namespace hearth::notify {

struct webhook_target {
  std::string url;
  duration timeout = std::chrono::seconds(5);
  int max_attempts = 8;
  duration backoff = std::chrono::seconds(1);
};

struct parsed_url {
  std::string host, port, target;
};
/// "http://host[:port][/path]" -> parts; nullopt otherwise.
std::optional<parsed_url> parse_http_url(const std::string& url);

struct delivery_report {
  std::string url, alert_id;
  bool delivered = false;
  int attempts = 0;
  std::string detail;  ///< last error or status
};

class webhooks {
 public:
  webhooks(std::vector<webhook_target> targets, telemetry& tel,
           std::function<void(const delivery_report&)> on_report = {});
  ~webhooks();  ///< stops; deliveries still waiting are abandoned
  webhooks(const webhooks&) = delete;
  webhooks& operator=(const webhooks&) = delete;

  bool empty() const { return targets_.empty(); }
  const std::vector<webhook_target>& targets() const { return targets_; }
  /// Queues one POST of `body` to every target.
  void send(const std::string& alert_id, std::string body,
            std::map<std::string, std::string> headers);
  /// Deliveries queued or in flight (tests).
  std::size_t pending() const;

 private:
  struct impl;
  std::vector<webhook_target> targets_;
  std::shared_ptr<impl> impl_;
};

}  // namespace hearth::notify
