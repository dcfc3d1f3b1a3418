// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Where alert transitions go besides the store (issue 5, "Outputs"):
///  - MQTT `hearth/alerts/<id>`, QoS 1, the alert JSON of DESIGN.md exactly;
///  - MQTT `hearth/notify/<tier>`, QoS 1, when a tier must act (an alert opened for the
///    operator, an escalation, a re-alert, a raised urgency): a small JSON naming the alert,
///    the tier, what happened and, for the social-worker tier, the social workers' ids;
///  - every configured webhook: POST of the alert JSON (see webhooks.hpp for headers).
/// Every tier notification is journaled (action "notified", channel "mqtt" or "webhook").
/// Nothing here carries a resident's name or phone: alert JSON has ids only.
///
/// Threading: domain thread. Publishing and webhook delivery never block it.

#include <functional>
#include <string>

#include "alerts/book.hpp"
#include "base/clock.hpp"
#include "notify/mqtt_publisher.hpp"
#include "notify/webhooks.hpp"
#include "registry/registry.hpp"

namespace hearth::notify {

/// The topic a transition is published on: "hearth/alerts/<id>".
std::string alert_topic(const alerts::alert& a);
/// The payload of `hearth/notify/<tier>`.
std::string tier_payload(const alerts::transition& t, const registry::registry& reg);

class alert_outputs {
 public:
  using journal_fn = std::function<void(alerts::audit_entry)>;
  /// `mqtt` and `hooks` may be null (not configured).
  alert_outputs(mqtt_publisher* mqtt, webhooks* hooks, const clock& clk, journal_fn journal)
      : mqtt_(mqtt), hooks_(hooks), clock_(clk), journal_(std::move(journal)) {}

  void publish(const alerts::transition& t, const registry::registry& reg);

 private:
  mqtt_publisher* mqtt_;
  webhooks* hooks_;
  const clock& clock_;
  journal_fn journal_;
};

}  // namespace hearth::notify
