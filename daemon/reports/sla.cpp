// SPDX-License-Identifier: Apache-2.0
#include "reports/sla.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::reports {
using namespace std::chrono_literals;

std::vector<sla_figure> default_figures() {
  return {{1, 60s, 97.5},
          {1, 180s, 99},
          {2, std::nullopt, 95},
          {3, std::nullopt, 95},
          {4, std::nullopt, 95}};
}

sla_record record_of(const alerts::alert& a, std::string device_type, std::string note) {
  sla_record r;
  r.id = a.id;
  r.rule = a.rule;
  r.device_type = std::move(device_type);
  r.priority = a.priority;
  r.opened_at = a.opened_at;
  r.misses = a.misses;
  r.note = std::move(note);
  const bool resolved = a.state == alerts::state::resolved;
  if (resolved) r.resolved_at = a.resolved_at;
  if (a.acknowledged_at != time_point{}) {
    r.answered_at = a.acknowledged_at;
    r.answered_by = a.assignee;
  } else if (resolved && !a.assignee.empty()) {
    // Resolved by a person without a claim: the resolution was the answer.
    r.answered_at = a.resolved_at;
    r.answered_by = a.assignee;
  }
  if (resolved) {
    r.outcome = a.outcome;
    r.auto_resolved = a.outcome.empty();
  }
  return r;
}

std::optional<duration> percentile(std::vector<duration> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

namespace {
enum class verdict { in_time, late, pending, not_judged };

time_point deadline(const sla_figure& f, const sla_record& r,
                    const alerts::escalation_policy& policy) {
  if (f.within) return r.opened_at + *f.within;
  return policy.claim_due(std::clamp(r.priority, 1, 4), r.opened_at);
}

verdict judge(const sla_record& r, time_point due, time_point now) {
  if (r.answered_at) return *r.answered_at <= due ? verdict::in_time : verdict::late;
  if (r.auto_resolved && r.resolved_at)
    return *r.resolved_at <= due ? verdict::not_judged : verdict::late;
  return now > due ? verdict::late : verdict::pending;
}

time_stats stats_of(std::vector<duration> v) {
  time_stats s;
  s.count = static_cast<int>(v.size());
  s.median = percentile(v, 50);
  s.p95 = percentile(std::move(v), 95);
  return s;
}

void count_false_alarm(share_count& c, bool false_alarm) {
  c.alerts += 1;
  if (false_alarm) c.false_alarms += 1;
  c.share = 100.0 * c.false_alarms / c.alerts;
}
}  // namespace

board compute(const std::vector<sla_record>& records, const std::vector<sla_figure>& figures,
              const alerts::escalation_policy& policy, time_point from, time_point to,
              time_point now, const std::optional<std::string>& operator_name) {
  board b;
  b.from = from;
  b.to = to;
  b.now = now;
  b.operator_name = operator_name;
  std::vector<const sla_record*> in;
  for (const auto& r : records)
    if (r.opened_at >= from && r.opened_at < to &&
        (!operator_name || (r.answered_at && r.answered_by == *operator_name)))
      in.push_back(&r);
  b.alerts = static_cast<int>(in.size());

  for (const auto& f : figures) {
    figure_result fr{f, 0, 0, 0, 0, std::nullopt, true};
    for (const auto* r : in) {
      if (r->priority != f.priority) continue;
      switch (judge(*r, deadline(f, *r, policy), now)) {
        case verdict::in_time:
          ++fr.judged, ++fr.in_time;
          break;
        case verdict::late:
          ++fr.judged, ++fr.late;
          break;
        case verdict::pending:
          ++fr.pending;
          break;
        case verdict::not_judged:
          break;
      }
    }
    if (fr.judged > 0) {
      fr.share = 100.0 * fr.in_time / fr.judged;
      fr.met = *fr.share >= f.share;
    }
    b.figures.push_back(fr);
  }

  std::array<std::vector<duration>, 5> claim, resolve;
  for (const auto* r : in) {
    const auto p = static_cast<std::size_t>(std::clamp(r->priority, 1, 4) - 1);
    if (r->answered_at) {
      const auto d = *r->answered_at - r->opened_at;
      claim[p].push_back(d);
      claim[4].push_back(d);
    }
    if (r->resolved_at && !r->outcome.empty()) {
      const auto d = *r->resolved_at - r->opened_at;
      resolve[p].push_back(d);
      resolve[4].push_back(d);
    }
    if (r->resolved_at) b.outcomes[r->rule][r->outcome.empty() ? "auto-resolved" : r->outcome] += 1;
    if (!r->outcome.empty()) {
      const bool fa = r->outcome == "false-alarm";
      count_false_alarm(b.false_alarms_by_rule[r->rule], fa);
      count_false_alarm(b.false_alarms_by_device_type[r->device_type], fa);
    }
    // The tightest figure of its priority decides what is an exception.
    const sla_figure* first = nullptr;
    for (const auto& f : figures)
      if (f.priority == r->priority) {
        const auto due = deadline(f, *r, policy);
        if (!first || due < deadline(*first, *r, policy)) first = &f;
      }
    if (!first) continue;
    const auto due = deadline(*first, *r, policy);
    if (judge(*r, due, now) != verdict::late) continue;
    exception_row e{r->id,          r->rule, r->priority, r->opened_at, r->answered_at,
                    r->answered_by, {},      due,         r->note};
    const auto end = r->answered_at ? *r->answered_at : r->resolved_at ? *r->resolved_at : now;
    e.waited = end - r->opened_at;
    b.exceptions.push_back(std::move(e));
  }
  for (std::size_t i = 0; i < 5; ++i) {
    b.claim[i] = stats_of(std::move(claim[i]));
    b.resolve[i] = stats_of(std::move(resolve[i]));
  }
  std::sort(b.exceptions.begin(), b.exceptions.end(), [](const auto& x, const auto& y) {
    return x.opened_at != y.opened_at ? x.opened_at < y.opened_at : x.id < y.id;
  });
  return b;
}

}  // namespace hearth::reports
