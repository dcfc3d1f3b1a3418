// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/held.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace hearth::engine::kinds {
namespace json = boost::json;

void held_state::write(json::object& o) const {
  if (!since) return;
  o["since"] = ms(*since);
  o["evidence"] = evidence_json(evidence);
}

void held_state::read(const json::object& o) {
  if (!o.contains("since")) return;
  since = at_ms(int_of(o, "since"));
  evidence = evidence_from(o.if_contains("evidence"));
}

std::pair<time_point, time_point> held::stretch(const core& k, time_point t) const {
  const auto day = k.local_day(t);
  const int m = k.local_minute(t);
  if (from_minute < to_minute) {  // within one day
    if (m < to_minute) return {k.local_instant(day, from_minute), k.local_instant(day, to_minute)};
    return {k.local_instant(day + 1, from_minute), k.local_instant(day + 1, to_minute)};
  }
  // Past midnight: from one evening to the next morning.
  if (m < to_minute)
    return {k.local_instant(day - 1, from_minute), k.local_instant(day, to_minute)};
  return {k.local_instant(day, from_minute), k.local_instant(day + 1, to_minute)};
}

std::pair<time_point, time_point> held::due(const core& k, time_point since) const {
  auto [start, end] = stretch(k, since);
  const auto counted_from = std::max(since, start);
  if (counted_from + for_ <= end) return {counted_from + for_, counted_from};
  // Too little of this stretch is left: the next one, counted from its start.
  const auto next = stretch(k, end).first;
  return {next + for_, next};
}

void held::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  const auto& rep = *c.rep;
  std::vector<alerts::evidence> hits;
  bool any_when_metric = false;
  for (const auto& cond : r.when)
    for (const auto& rd : rep.readings) {
      if (rd.metric != cond.metric) continue;
      any_when_metric = true;
      if (cond.holds(rd.value)) hits.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
    }
  if (!hits.empty()) {
    auto& st = k.instance<held_state>(r, c.h);
    if (!st.since) {
      st.since = c.at;
      st.evidence = hits;
    }
    if (!st.active) k.due(due(k, *st.since).first);
    return;
  }
  if (!any_when_metric) return;
  auto* st = k.find_instance<held_state>(r, c.h);
  if (!st || (!st->since && !st->active)) return;
  k.touch_instance(r, c.h);
  st->since.reset();
  st->evidence.clear();
  if (!st->active) return;
  st->active = false;
  std::vector<alerts::evidence> ev;
  for (const auto& rd : rep.readings)
    ev.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
  out.push_back(k.make_signal(r, c, std::move(ev), {}, signal::kind::clear));
}

time_point held::tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const {
  auto soonest = time_point::max();
  const auto first = out.size();
  k.for_each_instance<held_state>(r, [&](handle h, held_state& st) {
    if (st.active || !st.since) return;
    const auto [at, counted_from] = due(k, *st.since);
    if (now < at) {
      soonest = std::min(soonest, at);
      return;
    }
    const auto c = k.tick_context(h, now);
    const auto* dev = c.dev;
    if (k.paused(r, dev, now)) {
      soonest = std::min(soonest, now + duration(std::chrono::minutes(1)));
      return;
    }
    const auto hm = [](int minute) {
      return i18n::arg::of_text(fmt::format("{:02}:{:02}", minute / 60, minute % 60));
    };
    args vars;
    vars["since"] = i18n::arg::of_time(*st.since);
    vars["window"] = i18n::arg::of_span(now - counted_from);
    vars["hours"] =
        i18n::arg::of_message({"held.hours", {{"from", hm(from_minute)}, {"to", hm(to_minute)}}});
    st.active = true;
    st.fired_at = now;
    k.touch_instance(r, h);
    out.push_back(k.make_signal(r, c, st.evidence, std::move(vars)));
  });
  by_device(out, first);
  return soonest;
}

namespace {

/// "22:00" -> 1320, or nullopt.
std::optional<int> minute_of(const std::string& s) {
  int h = 0, m = 0;
  char tail = 0;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return std::nullopt;
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule& r) {
  auto b = std::make_shared<held>();
  parse_when(doc, r);
  parse_positive(doc, "for", true, b->for_);
  if (auto hours = doc.strings("between", true)) {
    std::optional<int> from, to;
    if (hours->size() == 2) {
      from = minute_of((*hours)[0]);
      to = minute_of((*hours)[1]);
    }
    if (!from || !to || *from == *to)
      doc.error(doc.get("between"),
                "'between' must be two different local times, [\"22:00\", \"06:00\"]");
    else {
      b->from_minute = *from;
      b->to_minute = *to;
      const int span = (*to - *from + 24 * 60) % (24 * 60);
      if (b->for_ > std::chrono::minutes(span))
        doc.error(doc.get("for"), "'for' is longer than the hours in 'between'");
    }
  }
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"since", "window", "hours"};
const kind_registration registered{{"held", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
