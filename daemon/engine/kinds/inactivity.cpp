// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/inactivity.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include "engine/kinds/sensors.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

void inactivity_state::write(json::object& o) const {
  quiet.write(o);
  spells.write(o);
}

void inactivity_state::read(const json::object& o) {
  quiet.read(o);
  spells.read(o);
}

void inactivity::on_report(const rule& r, const context& c, core& k,
                           std::vector<signal>& out) const {
  if (!c.step || c.step->metric != counter) return;
  if (sole_activity_sensor && c.dev && beyond_water(activity_sensors(k, *c.dev))) return;
  const auto& s = *c.step;
  auto& st = k.instance<inactivity_state>(r, c.h);
  const auto& d = *k.find_device(c.h);
  if (s.first || s.reset || st.quiet.empty()) {
    // A reset counter starts a new measurement: usage across it is unknown.
    st.quiet.restart({s.to, d.total, s.raw});
    return;
  }
  const auto prev_since = st.quiet.front().ts;
  const bool used = st.quiet.push({s.to, d.total, s.raw}, min_change);
  const auto since = st.quiet.front().ts;
  if (used) {
    // Water was used: the quiet spell [prev_since, s.from] is over. Spells overlapping an
    // absence are not learned. An alerted spell is learned (the operator may have found the
    // resident fine: that is the routine), but capped at twice the window, so one long
    // illness cannot mute the rule for that time of day for the rest of the history.
    if (!k.away_end_in(c.dev, prev_since, s.from) && !k.paused(r, c.dev, prev_since))
      st.spells.learn(k, prev_since, std::min<duration>(s.from - prev_since, 2 * window), history);
    if (st.active) {
      st.active = false;
      std::vector<alerts::evidence> ev{
          {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
      out.push_back(k.make_signal(r, c, std::move(ev), {}, signal::kind::clear));
      // The alerted spell is over: the next alert needs a quiet spell of its own. Sliding
      // on, a trickle (10 L over a little more than the window) would clear and fire again
      // every reading.
      st.quiet.restart(st.quiet.quiet.back());
      return;
    }
  }
  if (st.active || k.paused(r, c.dev, s.to)) return;
  auto eff_since = since;
  if (auto back = k.away_end_in(c.dev, since, s.to)) eff_since = std::max(since, *back);
  const auto quiet_for = s.to - eff_since;
  const auto longest = st.spells.longest(k, eff_since, s.to, history, around);
  // At least the window, and longer than the longest quiet spell learned for this time of day.
  if (quiet_for < window || (longest && quiet_for <= *longest)) return;
  // "The meter keeps reporting": every gap between readings over the last window must be
  // within two reporting intervals. A silent meter never raises this rule.
  const auto* dtype = k.types().find(c.device_type);
  const auto interval = dtype ? k.interval_of(d, *dtype) : duration{0};
  const duration max_gap = interval.count() > 0 ? 2 * interval : window;
  const auto window_start = s.to - window;
  const auto& q = st.quiet.quiet;
  for (std::size_t i = 1; i < q.size(); ++i)
    if (q[i].ts > window_start && q[i].ts - q[i - 1].ts > max_gap) return;
  const auto& first = st.quiet.front();
  std::vector<alerts::evidence> ev{
      {std::string(c.device_id), metric::water_total_l, first.raw, first.ts},
      {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
  args vars;
  fill_quiet_vars(vars, eff_since, s.to, window, history, longest);
  vars["used"] = litres_arg(d.total - first.total);
  vars["min_change"] = litres_arg(min_change);
  st.active = true;
  st.fired_at = s.to;
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto b = std::make_shared<inactivity>();
  parse_counter(doc, b->counter);
  parse_positive(doc, "window", true, b->window);
  parse_positive(doc, "history", false, b->history);
  if (auto d = doc.duration_value("around", false)) b->around = *d;
  b->sole_activity_sensor = doc.boolean("sole_activity_sensor", false).value_or(false);
  if (auto v = doc.number("min_change", true)) {
    if (*v <= 0) doc.error(doc.get("min_change"), "'min_change' must be above zero");
    b->min_change = *v;
  }
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"since",         "quiet_for", "used",      "window",
                                        "longest_quiet", "baseline",  "last_seen", "min_change"};
const kind_registration registered{{"inactivity", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
