// SPDX-License-Identifier: Apache-2.0
// kind: event. A state or event in one report; `unless` conditions in the same report make
// it an exception (a smoke test press is logged, not queued). Fires on every matching
// report; with `clear:` it also remembers that it fired, to clear once.
#include <algorithm>

#include "engine/kind.hpp"

namespace hearth::engine::kinds {
namespace {

class event final : public behaviour {
 public:
  bool fires_once() const override { return false; }  // every matching report fires
  void on_report(const rule& r, const context& c, core& k,
                 std::vector<signal>& out) const override {
    const auto& rep = *c.rep;
    std::vector<alerts::evidence> evidence;
    const condition* matched = nullptr;
    double matched_value = 0;
    for (const auto& cond : r.when) {
      for (const auto& rd : rep.readings) {
        if (rd.metric == cond.metric && cond.holds(rd.value)) {
          evidence.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
          if (!matched) {
            matched = &cond;
            matched_value = rd.value;
          }
        }
      }
    }
    if (evidence.empty()) {
      if (r.clear.empty() || !clear_holds(r.clear, rep)) return;
      auto* st = k.find_instance(r, c.h);
      if (!st || !st->active) return;
      st->active = false;
      k.touch_instance(r, c.h);
      out.push_back(k.make_signal(r, c, {}, {}, signal::kind::clear));
      return;
    }
    const bool excepted = std::any_of(r.unless.begin(), r.unless.end(), [&](const condition& cond) {
      return std::any_of(rep.readings.begin(), rep.readings.end(), [&](const reading& rd) {
        return rd.metric == cond.metric && cond.holds(rd.value);
      });
    });
    if (excepted) return;  // e.g. a smoke test press: logged by the pipeline, not queued
    if (k.paused(r, c.dev, c.at)) return;
    if (!r.clear.empty()) {
      auto& st = k.instance(r, c.h);
      st.active = true;
      st.fired_at = c.at;
    }
    args vars;
    vars["condition"] = condition_arg(*matched, matched_value);
    vars["metric"] = metric_arg(matched->metric);
    vars["value"] = reading_arg(matched->metric, matched_value);
    out.push_back(k.make_signal(r, c, std::move(evidence), std::move(vars)));
  }
};

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule& r) {
  parse_when(doc, r);
  r.unless = parse_conditions(doc, "unless");
  r.clear = parse_conditions(doc, "clear");
  return std::make_shared<event>();
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"condition", "metric", "value"};
const kind_registration registered{{"event", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
