// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The SLA board's figures as Prometheus metrics (issue 16), counted from the alert
/// transitions as they happen, so that Prometheus and Grafana users see what the board
/// shows:
///
/// - `hearth_alert_claim_seconds{priority}` (histogram): from opened to answered (claimed,
///   or resolved by a person unclaimed); buckets include 60 and 180;
/// - `hearth_alert_resolve_seconds{priority}` (histogram): from opened to resolved by a
///   person;
/// - `hearth_sla_judged_total{priority,within}` and `hearth_sla_in_time_total{priority,within}`
///   (counters) for each configured figure: the share is their ratio. `within` is "60s",
///   or "claim-target" for a figure without a time;
/// - `hearth_sla_exceptions_total{priority}`: answered late under the priority's tightest
///   figure;
/// - `hearth_alert_outcomes_total{rule,device_type,outcome}`: resolutions (outcome
///   "auto-resolved" when hearthd closed it), for outcomes and false alarms by rule or by
///   device type.
///
/// An alert is judged once: when it is answered, or when it clears by itself unanswered
/// (late only if that was past its deadline). The board, which reads the store, also
/// counts alerts still open past their deadline; these counters catch up when they are
/// answered. Labels carry rule ids, device types and priorities only.
///
/// Threading: domain thread (a transition sink of the pipeline).

#include <functional>
#include <string>
#include <vector>

#include "alerts/book.hpp"
#include "base/telemetry.hpp"
#include "reports/sla.hpp"

namespace hearth::reports {

class sla_meter {
 public:
  using type_lookup = std::function<std::string(const alerts::alert&)>;
  sla_meter(telemetry& t, std::vector<sla_figure> figures, alerts::escalation_policy policy,
            type_lookup device_type);

  void on_transition(const alerts::transition& t);

 private:
  void judge(const sla_record& r);

  telemetry& telemetry_;
  std::vector<sla_figure> figures_;
  alerts::escalation_policy policy_;
  type_lookup device_type_;
};

}  // namespace hearth::reports
