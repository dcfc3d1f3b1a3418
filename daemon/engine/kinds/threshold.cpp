// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/threshold.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;

void threshold_state::write(json::object& o) const {
  if (pending_since) {
    o["pending_since"] = ms(*pending_since);
    o["pending_evidence"] = evidence_json(pending_evidence);
    if (latest) o["latest"] = evidence_json({*latest});
  }
}

void threshold_state::read(const json::object& o) {
  if (o.contains("pending_since")) {
    pending_since = at_ms(int_of(o, "pending_since"));
    pending_evidence = evidence_from(o.if_contains("pending_evidence"));
    if (auto l = evidence_from(o.if_contains("latest")); !l.empty()) latest = l.front();
  }
}

namespace {
/// "最新读数 7 %LEL（08:10）" / "latest reading 7 %LEL at 08:10".
i18n::arg latest_arg(const alerts::evidence& e) {
  return i18n::arg::of_message(
      {"reading.latest",
       {{"value", reading_arg(e.metric, e.value)}, {"time", i18n::arg::of_time(e.ts)}}});
}
}  // namespace

void threshold::on_report(const rule& r, const context& c, core& k,
                          std::vector<signal>& out) const {
  const auto& rep = *c.rep;
  std::vector<alerts::evidence> hits;
  const condition* matched = nullptr;
  double matched_value = 0;
  std::optional<alerts::evidence> seen;  // the first reading of a `when` metric
  for (const auto& cond : r.when) {
    for (const auto& rd : rep.readings) {
      if (rd.metric != cond.metric) continue;
      if (!seen) seen = alerts::evidence{rep.device_id, rd.metric, rd.value, rd.ts};
      if (cond.holds(rd.value)) {
        hits.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
        if (!matched) {
          matched = &cond;
          matched_value = rd.value;
        }
      }
    }
  }
  const bool any_when_metric = seen.has_value();
  if (!hits.empty()) {
    auto& st = k.instance<threshold_state>(r, c.h);
    if (st.active) return;
    if (!st.pending_since) {
      st.pending_since = c.at;
      st.pending_evidence = hits;
      k.due(c.at + for_);
    }
    st.latest = hits.front();
    if (c.at - *st.pending_since < for_) return;  // the `for:` window is still open (tick fires it)
    if (k.paused(r, c.dev, c.at)) return;
    auto evidence = st.pending_evidence;
    if (evidence != hits) evidence.insert(evidence.end(), hits.begin(), hits.end());
    args vars;
    vars["condition"] = condition_arg(*matched, matched_value);
    vars["metric"] = metric_arg(matched->metric);
    vars["value"] = reading_arg(matched->metric, matched_value);
    vars["since"] = i18n::arg::of_time(*st.pending_since);
    vars["window"] = i18n::arg::of_span(for_);
    vars["latest"] = latest_arg(hits.front());
    st.active = true;
    st.fired_at = c.at;
    st.pending_since.reset();
    st.pending_evidence.clear();
    st.latest.reset();
    out.push_back(k.make_signal(r, c, std::move(evidence), std::move(vars)));
    return;
  }
  const bool cleared = r.clear.empty() ? any_when_metric : clear_holds(r.clear, rep);
  if (!cleared) {  // in the hysteresis band: nothing changes but the latest reading
    if (seen)
      if (auto* st = k.find_instance<threshold_state>(r, c.h); st && st->pending_since) {
        st->latest = seen;
        k.touch_instance(r, c.h);
      }
    return;
  }
  auto* found = k.find_instance<threshold_state>(r, c.h);
  if (!found) return;
  auto& st = *found;
  k.touch_instance(r, c.h);
  st.pending_since.reset();
  st.pending_evidence.clear();
  st.latest.reset();
  if (!st.active) return;
  st.active = false;
  std::vector<alerts::evidence> evidence;
  for (const auto& rd : rep.readings)
    evidence.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
  out.push_back(k.make_signal(r, c, std::move(evidence), {}, signal::kind::clear));
}

time_point threshold::tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const {
  auto soonest = time_point::max();
  if (for_.count() <= 0) return soonest;
  const auto first = out.size();
  k.for_each_instance<threshold_state>(r, [&](handle h, threshold_state& st) {
    if (st.active || !st.pending_since) return;
    if (now - *st.pending_since < for_) {
      soonest = std::min(soonest, *st.pending_since + for_);
      return;
    }
    const auto c = k.tick_context(h, now);
    const auto* dev = c.dev;
    if (k.paused(r, dev, now)) {
      soonest =
          std::min(soonest, now + std::chrono::duration_cast<duration>(std::chrono::minutes(1)));
      return;
    }
    args vars;
    if (!st.pending_evidence.empty()) {
      // The reading that started the breach, with its own time: never the tick's time
      // beside the first reading's value (defect: "≥ 10 at 08:11 (value 12)", where the 12
      // came at 08:00 and 08:11 read 7).
      const auto& e = st.pending_evidence.front();
      vars["metric"] = metric_arg(e.metric);
      vars["value"] = reading_arg(e.metric, e.value);
      vars["time"] = i18n::arg::of_time(e.ts);
      for (const auto& cond : r.when)
        if (cond.metric == e.metric && cond.holds(e.value)) {
          vars["condition"] = condition_arg(cond, e.value);
          break;
        }
      vars["latest"] = latest_arg(st.latest.value_or(e));
    }
    vars["since"] = i18n::arg::of_time(*st.pending_since);
    vars["window"] = i18n::arg::of_span(for_);
    st.active = true;
    st.fired_at = now;
    auto evidence = std::move(st.pending_evidence);
    st.pending_since.reset();
    st.pending_evidence.clear();
    st.latest.reset();
    k.touch_instance(r, h);
    out.push_back(k.make_signal(r, c, std::move(evidence), std::move(vars)));
  });
  by_device(out, first);
  return soonest;
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule& r) {
  auto t = std::make_shared<threshold>();
  parse_when(doc, r);
  r.clear = parse_conditions(doc, "clear");
  if (auto d = doc.duration_value("for", false)) t->for_ = *d;
  return t;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"condition", "metric", "value",
                                        "since",     "window", "latest"};
const kind_registration registered{{"threshold", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
