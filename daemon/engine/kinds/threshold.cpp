// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/threshold.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;

void threshold_state::write(json::object& o) const {
  if (pending_since) {
    o["pending_since"] = ms(*pending_since);
    o["pending_evidence"] = evidence_json(pending_evidence);
  }
}

void threshold_state::read(const json::object& o) {
  if (o.contains("pending_since")) {
    pending_since = at_ms(int_of(o, "pending_since"));
    pending_evidence = evidence_from(o.if_contains("pending_evidence"));
  }
}

void threshold::on_report(const rule& r, const context& c, core& k,
                          std::vector<signal>& out) const {
  const auto& rep = *c.rep;
  std::vector<alerts::evidence> hits;
  std::string matched;
  double matched_value = 0;
  bool any_when_metric = false;
  for (const auto& cond : r.when) {
    for (const auto& rd : rep.readings) {
      if (rd.metric != cond.metric) continue;
      any_when_metric = true;
      if (cond.holds(rd.value)) {
        hits.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
        if (matched.empty()) {
          matched = cond.describe();
          matched_value = rd.value;
        }
      }
    }
  }
  if (!hits.empty()) {
    auto& st = k.instance<threshold_state>(r, c.device_id);
    if (st.active) return;
    if (!st.pending_since) {
      st.pending_since = c.at;
      st.pending_evidence = hits;
      k.due(c.at + for_);
    }
    if (c.at - *st.pending_since < for_) return;  // the `for:` window is still open (tick fires it)
    if (k.paused(r, c.dev, c.at)) return;
    auto evidence = st.pending_evidence;
    if (evidence != hits) evidence.insert(evidence.end(), hits.begin(), hits.end());
    std::map<std::string, std::string> vars;
    vars["condition"] = matched;
    vars["metric"] = std::string(name(hits.front().metric));
    vars["value"] = value_text(hits.front().metric, matched_value);
    vars["since"] = k.local_when(*st.pending_since, c.at);
    vars["window"] = describe_duration(for_);
    st.active = true;
    st.fired_at = c.at;
    st.pending_since.reset();
    st.pending_evidence.clear();
    out.push_back(k.make_signal(r, c, std::move(evidence), std::move(vars)));
    return;
  }
  const bool cleared = r.clear.empty() ? any_when_metric : clear_holds(r.clear, rep);
  if (!cleared) return;  // in the hysteresis band: nothing changes
  auto* found = k.find_instance<threshold_state>(r, c.device_id);
  if (!found) return;
  auto& st = *found;
  k.touch_instance(r, c.device_id);
  st.pending_since.reset();
  st.pending_evidence.clear();
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
  k.for_each_instance<threshold_state>(r, [&](std::string_view id, threshold_state& st) {
    if (st.active || !st.pending_since) return;
    if (now - *st.pending_since < for_) {
      soonest = std::min(soonest, *st.pending_since + for_);
      return;
    }
    const auto* dev = k.reg().find_device(id);
    const context c{id, dev ? dev->type : std::string_view(), dev, now, nullptr};
    if (k.paused(r, dev, now)) {
      soonest =
          std::min(soonest, now + std::chrono::duration_cast<duration>(std::chrono::minutes(1)));
      return;
    }
    std::map<std::string, std::string> vars;
    if (!st.pending_evidence.empty()) {
      const auto& e = st.pending_evidence.front();
      vars["metric"] = std::string(name(e.metric));
      vars["value"] = value_text(e.metric, e.value);
      for (const auto& cond : r.when)
        if (cond.metric == e.metric && cond.holds(e.value)) {
          vars["condition"] = cond.describe();
          break;
        }
    }
    vars["since"] = k.local_when(*st.pending_since, now);
    vars["window"] = describe_duration(for_);
    st.active = true;
    st.fired_at = now;
    auto evidence = std::move(st.pending_evidence);
    st.pending_since.reset();
    st.pending_evidence.clear();
    k.touch_instance(r, id);
    out.push_back(k.make_signal(r, c, std::move(evidence), std::move(vars)));
  });
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

const kind_registration registered{{"threshold", &parse}};

}  // namespace
}  // namespace hearth::engine::kinds
