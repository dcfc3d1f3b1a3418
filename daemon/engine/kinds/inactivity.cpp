// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/inactivity.hpp"

#include <date/date.h>
#include <fmt/format.h>

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

void inactivity_state::write(json::object& o) const {
  if (!quiet.empty()) {
    json::array q;
    for (const auto& s : quiet)
      q.push_back(json::array{ms(s.ts), s.total, s.raw});
    o["quiet"] = std::move(q);
  }
  if (!spells.empty()) {
    json::object sp;
    for (const auto& [h, days] : spells) {
      json::object d;
      for (const auto& [day_, len] : days)
        d[std::to_string(day_)] = len;
      sp[std::to_string(h)] = std::move(d);
    }
    o["spells"] = std::move(sp);
  }
}

void inactivity_state::read(const json::object& o) {
  if (const auto* q = o.if_contains("quiet"); q && q->is_array())
    for (const auto& s : q->get_array())
      if (s.is_array() && s.get_array().size() == 3)
        quiet.push_back({at_ms(s.get_array()[0].to_number<std::int64_t>()),
                         s.get_array()[1].to_number<double>(),
                         s.get_array()[2].to_number<double>()});
  if (const auto* sp = o.if_contains("spells"); sp && sp->is_object())
    for (const auto& [h, days] : sp->get_object())
      if (days.is_object())
        for (const auto& [d, len] : days.get_object())
          if (len.is_number())
            spells[std::stoi(std::string(h))][std::stoll(std::string(d))] =
                len.to_number<long long>();
}

std::optional<duration> inactivity::learned_longest(const inactivity_state& st, const core& k,
                                                    time_point since, time_point now) const {
  const int h = k.local_hour(since);
  const int margin = static_cast<int>(std::chrono::floor<std::chrono::hours>(around).count());
  const long long oldest = k.local_day(now) - std::chrono::floor<date::days>(history).count();
  std::optional<duration> best;
  for (int dh = -margin; dh <= margin; ++dh) {
    auto it = st.spells.find(((h + dh) % 24 + 24) % 24);
    if (it == st.spells.end()) continue;
    for (const auto& [day, len] : it->second)
      if (day >= oldest) best = std::max(best.value_or(duration{0}), duration{len});
  }
  return best;
}

void inactivity::learn_spell(inactivity_state& st, const core& k, time_point start,
                             duration length) const {
  if (length < 1h) return;  // short pauses say nothing about a resident's routine
  const auto day = k.local_day(start);
  auto& cell = st.spells[k.local_hour(start)][day];
  cell = std::max(cell, static_cast<long long>(length.count()));
  const long long oldest = day - std::chrono::floor<date::days>(history).count() - 1;
  for (auto& [h, days] : st.spells)
    days.erase(days.begin(), days.lower_bound(oldest));
}

void inactivity::on_report(const rule& r, const context& c, core& k,
                           std::vector<signal>& out) const {
  if (!c.step || counter != metric::water_total_l) return;
  const auto& s = *c.step;
  auto& st = k.instance<inactivity_state>(r, c.device_id);
  const auto& d = *k.find_device(c.device_id);
  if (s.first || s.reset || st.quiet.empty()) {
    // A reset counter starts a new measurement: usage across it is unknown.
    st.quiet.clear();
    st.quiet.push_back({s.to, d.total, s.raw});
    return;
  }
  const auto prev_since = st.quiet.front().ts;
  st.quiet.push_back({s.to, d.total, s.raw});
  std::size_t drop = 0;  // from the front, erased at once
  while (st.quiet.size() - drop > 1 && d.total - st.quiet[drop].total >= min_change)
    ++drop;
  drop = std::max(drop, st.quiet.size() > 5000 ? st.quiet.size() - 5000 : 0);  // ~200 days hourly
  st.quiet.erase(st.quiet.begin(), st.quiet.begin() + static_cast<std::ptrdiff_t>(drop));
  const auto since = st.quiet.front().ts;
  if (since != prev_since) {
    // Water was used: the quiet spell [prev_since, s.from] is over. Spells overlapping an
    // absence are not learned. An alerted spell is learned (the operator may have found the
    // resident fine: that is the routine), but capped at twice the window, so one long
    // illness cannot mute the rule for that time of day for the rest of the history.
    if (!k.away_end_in(c.dev, prev_since, s.from) && !k.paused(r, c.dev, prev_since))
      learn_spell(st, k, prev_since, std::min<duration>(s.from - prev_since, 2 * window));
    if (st.active) {
      st.active = false;
      std::vector<alerts::evidence> ev{
          {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
      out.push_back(k.make_signal(r, c, std::move(ev), {}, signal::kind::clear));
    }
  }
  if (st.active || k.paused(r, c.dev, s.to)) return;
  auto eff_since = since;
  if (auto back = k.away_end_in(c.dev, since, s.to)) eff_since = std::max(since, *back);
  const auto quiet_for = s.to - eff_since;
  const auto longest = learned_longest(st, k, eff_since, s.to);
  // At least the window, and longer than the longest quiet spell learned for this time of day.
  if (quiet_for < window || (longest && quiet_for <= *longest)) return;
  // "The meter keeps reporting": every gap between readings over the last window must be
  // within two reporting intervals. A silent meter never raises this rule.
  const auto* dtype = k.types().find(c.device_type);
  const duration max_gap =
      dtype && dtype->report_interval.count() > 0 ? 2 * dtype->report_interval : window;
  const auto window_start = s.to - window;
  for (std::size_t i = 1; i < st.quiet.size(); ++i)
    if (st.quiet[i].ts > window_start && st.quiet[i].ts - st.quiet[i - 1].ts > max_gap) return;
  const auto& first = st.quiet.front();
  std::vector<alerts::evidence> ev{
      {std::string(c.device_id), metric::water_total_l, first.raw, first.ts},
      {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
  std::map<std::string, std::string> vars;
  vars["since"] = k.local_when(eff_since, s.to);
  vars["quiet_for"] = describe_duration(quiet_for);
  vars["used"] = litres(d.total - first.total);
  vars["window"] = describe_duration(window);
  vars["longest_quiet"] = longest ? describe_duration(*longest) : "none learned yet";
  vars["baseline"] =
      longest ? fmt::format("the longest quiet spell at this time of day in the last {} was {}",
                            describe_duration(history), describe_duration(*longest))
              : fmt::format("no quiet spell at this time of day in the last {} is on record",
                            describe_duration(history));
  vars["last_seen"] = k.local_time(s.to);
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
  if (auto v = doc.number("min_change", true)) {
    if (*v <= 0) doc.error(doc.get("min_change"), "'min_change' must be above zero");
    b->min_change = *v;
  }
  return b;
}

const kind_registration registered{{"inactivity", &parse}};

}  // namespace
}  // namespace hearth::engine::kinds
