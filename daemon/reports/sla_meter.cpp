// SPDX-License-Identifier: Apache-2.0
#include "reports/sla_meter.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hearth::reports {

namespace {
const std::vector<double> k_claim_buckets = {5,   10,  20,  30,   45,   60,    90,   120,
                                             180, 300, 600, 1800, 3600, 14400, 86400};
const std::vector<double> k_resolve_buckets = {60,   300,   600,   1200,  1800,  3600,
                                               7200, 14400, 43200, 86400, 259200};

double seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string within_label(const sla_figure& f) {
  if (!f.within) return "claim-target";
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(*f.within).count();
  return fmt::format("{}s", s);
}
}  // namespace

sla_meter::sla_meter(telemetry& t, std::vector<sla_figure> figures,
                     alerts::escalation_policy policy, type_lookup device_type)
    : telemetry_(t),
      figures_(std::move(figures)),
      policy_(std::move(policy)),
      device_type_(std::move(device_type)) {
  // Every series exists from the start at zero, so that rate() has a baseline.
  for (const auto& f : figures_) {
    const auto labels = fmt::format("priority=\"{}\",within=\"{}\"", f.priority, within_label(f));
    telemetry_.counter("hearth_sla_judged_total", labels,
                       "alerts judged against an SLA figure (answered, or cleared late)");
    telemetry_.counter("hearth_sla_in_time_total", labels,
                       "alerts answered within an SLA figure's time");
  }
  for (int p = 1; p <= 4; ++p)
    telemetry_.counter("hearth_sla_exceptions_total", fmt::format("priority=\"{}\"", p),
                       "alerts answered after their priority's tightest SLA time");
}

void sla_meter::on_transition(const alerts::transition& t) {
  const bool claimed = t.action == "claimed";
  const bool resolved = t.what == alerts::transition::kind::resolved;
  if (!claimed && !resolved) return;
  const auto& a = t.after;
  const auto r = record_of(a, device_type_ ? device_type_(a) : std::string());
  const auto prio = fmt::format("priority=\"{}\"", std::clamp(a.priority, 1, 4));
  // Answered now: by this claim, or by a person resolving it unclaimed.
  const bool answered_now =
      claimed || (resolved && a.acknowledged_at == time_point{} && r.answered_at);
  if (answered_now && r.answered_at) {
    telemetry_.observe("hearth_alert_claim_seconds", prio, seconds(*r.answered_at - r.opened_at),
                       k_claim_buckets, "seconds from an alert opening to a person answering it");
    judge(r);
  } else if (resolved && r.auto_resolved) {
    judge(r);
  }
  if (!resolved) return;
  if (!r.outcome.empty())
    telemetry_.observe("hearth_alert_resolve_seconds", prio, seconds(*r.resolved_at - r.opened_at),
                       k_resolve_buckets, "seconds from an alert opening to a person resolving it");
  telemetry_.add("hearth_alert_outcomes_total",
                 fmt::format("rule=\"{}\",device_type=\"{}\",outcome=\"{}\"", a.rule, r.device_type,
                             r.outcome.empty() ? "auto-resolved" : r.outcome));
}

void sla_meter::judge(const sla_record& r) {
  // The board's own verdict over this one alert, at the moment it was answered (or cleared).
  const auto at = r.answered_at ? *r.answered_at : *r.resolved_at;
  const auto b = compute({r}, figures_, policy_, r.opened_at, r.opened_at + duration{1}, at);
  for (const auto& f : b.figures) {
    if (f.judged == 0) continue;
    const auto labels =
        fmt::format("priority=\"{}\",within=\"{}\"", f.figure.priority, within_label(f.figure));
    telemetry_.add("hearth_sla_judged_total", labels, f.judged);
    if (f.in_time > 0) telemetry_.add("hearth_sla_in_time_total", labels, f.in_time);
  }
  if (!b.exceptions.empty())
    telemetry_.add("hearth_sla_exceptions_total",
                   fmt::format("priority=\"{}\"", std::clamp(r.priority, 1, 4)));
}

}  // namespace hearth::reports
