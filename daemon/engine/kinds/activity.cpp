// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/activity.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

void put_time(json::object& o, const char* key, time_point t) {
  if (t != time_point{}) o[key] = ms(t);
}
time_point get_time(const json::object& o, const char* key) {
  return at_ms(int_of(o, key));
}
std::optional<time_point> get_opt_time(const json::object& o, const char* key) {
  if (!o.contains(key)) return std::nullopt;
  return get_time(o, key);
}

}  // namespace

void activity_state::write(json::object& o) const {
  put_time(o, "first_heard", first_heard);
  put_time(o, "last_report", last_report);
  put_time(o, "gap_from", gap_from);
  put_time(o, "gap_to", gap_to);
  if (last_sign) {
    o["last_sign"] = ms(*last_sign);
    o["sign"] = evidence_json({sign});
  }
  if (!last.device_id.empty()) o["last"] = evidence_json({last});
  water.write(o);
  if (door_open) o["door_open"] = *door_open;
  if (has_energy) o["has_energy"] = true;
  if (held_w) o["held"] = json::array{*held_w, ms(held_since)};
  standby.write(o);
  if (standby_ready) o["standby_ready"] = ms(*standby_ready);
  spells.write(o);
}

void activity_state::read(const json::object& o) {
  first_heard = get_time(o, "first_heard");
  last_report = get_time(o, "last_report");
  gap_from = get_time(o, "gap_from");
  gap_to = get_time(o, "gap_to");
  last_sign = get_opt_time(o, "last_sign");
  if (auto ev = evidence_from(o.if_contains("sign")); !ev.empty()) sign = ev.front();
  if (auto ev = evidence_from(o.if_contains("last")); !ev.empty()) last = ev.front();
  water.read(o);
  if (const auto* d = o.if_contains("door_open"); d && d->is_bool()) door_open = d->get_bool();
  has_energy = flag(o, "has_energy");
  if (const auto* h = o.if_contains("held"); h && h->is_array() && h->get_array().size() == 2) {
    held_w = h->get_array()[0].to_number<double>();
    held_since = at_ms(h->get_array()[1].to_number<std::int64_t>());
  }
  standby.read(o);
  standby_ready = get_opt_time(o, "standby_ready");
  spells.read(o);
}

void activity::inputs(std::vector<metric>& m) const {
  m.insert(m.end(), {metric::water_total_l, metric::power_total_kwh, metric::power_w,
                     metric::door_open, metric::motion_detected});
}

duration activity::allowed_gap(const catalog::device_type& t) const {
  return t.report_interval.count() > 0 ? 2 * t.report_interval : window;
}

namespace {
/// Records a sign of life of a sensor: its time and the reading that showed it.
void note(activity_state& st, std::optional<time_point>& sign, const alerts::evidence& ev) {
  if (!st.last_sign || ev.ts > *st.last_sign) {
    st.last_sign = ev.ts;
    st.sign = ev;
  }
  sign = std::max(sign.value_or(ev.ts), ev.ts);
}
}  // namespace

void activity::electricity(activity_state& st, const context& c, core& k, time_point from,
                           time_point to, double kwh, std::optional<time_point>& sign) const {
  for (const auto& h : st.standby.add(k, from, to, std::max(0.0, kwh), history)) {
    const auto standby = st.standby.at(k, h.start);
    // A half-hour still filling counts as soon as what it already holds is clearly above.
    if (standby && h.watts > *standby + above_standby)
      note(st, sign,
           {std::string(c.device_id), metric::power_w, std::round(h.watts), std::min(h.end, to)});
  }
  const bool ready = st.standby.nights() >= standby_profile::k_nights_needed;
  if (ready && !st.standby_ready)
    st.standby_ready = to;
  else if (!ready)
    st.standby_ready.reset();
}

std::optional<time_point> activity::observe(activity_state& st, const context& c, core& k) const {
  const auto& rep = *c.rep;
  const std::string id(c.device_id);
  for (const auto& rd : rep.readings)
    if (signs_of(rd.metric) && (st.last.device_id.empty() || rd.ts >= st.last.ts))
      st.last = {id, rd.metric, rd.value, rd.ts};
  std::optional<time_point> sign;
  if (c.step && c.step->metric == metric::water_total_l) {
    const auto& s = *c.step;
    const double total = k.find_device(c.h)->total;
    if (s.first || s.reset || st.water.empty())
      st.water.restart({s.to, total, s.raw});
    else if (st.water.push({s.to, total, s.raw}, min_water))
      note(st, sign, {id, metric::water_total_l, st.water.front().raw, st.water.front().ts});
  }
  if (c.step && c.step->metric == metric::power_total_kwh) {
    st.has_energy = true;
    if (!c.step->first && !c.step->reset)
      electricity(st, c, k, c.step->from, c.step->to, c.step->used, sign);
  }
  if (const auto* w = find_reading(rep, metric::power_w); w && !st.has_energy) {
    // Without an energy counter, the draw reported is held until the next report.
    if (st.held_w && rep.ts > st.held_since)
      electricity(
          st, c, k, st.held_since, rep.ts,
          *st.held_w *
              std::chrono::duration<double, std::ratio<3600>>(rep.ts - st.held_since).count() /
              1000,
          sign);
    if (!st.held_w || rep.ts > st.held_since) {
      st.held_w = w->value;
      st.held_since = rep.ts;
    }
  }
  if (const auto* d = find_reading(rep, metric::door_open)) {
    const bool open = d->value != 0;
    if (open && st.door_open != true) note(st, sign, {id, metric::door_open, 1, d->ts});
    st.door_open = open;
  }
  if (const auto* m = find_reading(rep, metric::motion_detected); m && m->value != 0)
    note(st, sign, {id, metric::motion_detected, 1, m->ts});
  return sign;
}

void activity::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  if (!c.dev || c.dev->household_id.empty() || !c.type || c.only_offline) return;
  if (!signs_of(*c.type)) return;  // smoke, gas, SOS, tilt: not activity sensors
  const auto sensors = activity_sensors(k, *c.dev);
  if (!beyond_water(sensors)) return;  // a water-only household is lone-elder-no-water's
  auto& st = k.instance<activity_state>(r, c.h);
  const auto now = c.at;
  if (!st.heard()) {
    st.first_heard = st.last_report = now;
  } else if (now > st.last_report) {
    if (now - st.last_report > allowed_gap(*c.type)) {
      st.gap_from = st.last_report;
      st.gap_to = now;
    }
    st.last_report = now;
  }
  const auto sign = observe(st, c, k);
  judge(r, c, k, sensors, sign, out);
}

namespace {

/// Where a sensor is, for a sign's words: the registry's location ("entrance"; "front door"
/// reads "front", the messages say "door"), or "location not registered".
i18n::arg where(std::string_view location) {
  if (location.empty()) return i18n::arg::of_message({"location.unknown", {}});
  if (location.ends_with(" door")) location.remove_suffix(5);
  return i18n::arg::of_text(std::string(location));
}

}  // namespace

void activity::judge(const rule& r, const context& c, core& k,
                     const std::vector<activity_sensor>& sensors, std::optional<time_point> sign,
                     std::vector<signal>& out) const {
  // The household's own row ("<rule>|@<household>"), beside its sensors'.
  auto& hs =
      k.instance<activity_state>(r, k.handle_of("@" + std::string(c.dev->household_id), true));
  const auto now = c.at;
  if (sign && (!hs.last_sign || *sign > *hs.last_sign)) {
    // A sign of life ends the household's quiet spell. As with kind inactivity, a spell that
    // overlapped an absence is not learned, and an alerted one is capped at twice the window.
    if (hs.last_sign && !k.away_end_in(c.dev, *hs.last_sign, *sign) &&
        !k.paused(r, c.dev, *hs.last_sign))
      hs.spells.learn(k, *hs.last_sign, std::min<duration>(*sign - *hs.last_sign, 2 * window),
                      history);
    hs.last_sign = *sign;
    // A sign known only late (a gateway's backlog; water that reached `min_water` only over
    // many hours is dated from the start of those hours) ends the episode only when it leaves
    // less than the window of quiet: otherwise the silence the alert is about goes on, a
    // little shorter, and clearing would open a second alert for the same silence.
    if (hs.active && std::max(now, k.clk().now()) - *sign < window) {
      hs.active = false;
      const auto& st = *k.find_instance<activity_state>(r, c.h);
      out.push_back(k.make_signal(r, c, {st.sign}, {}, signal::kind::clear));
    }
  }
  if (hs.active || k.paused(r, c.dev, now)) return;

  // Since when no sensor has shown a sign of life. A sensor that keeps reporting vouches for
  // its quiet from when it was first heard (an electricity sensor: from when its standby load
  // was known); one that does not counts only with the signs it did show.
  struct seen {
    const activity_sensor* s;
    const activity_state* st;
    bool reporting, listening;
  };
  std::vector<seen> all;
  time_point since{};
  bool any = false;
  for (const auto& s : sensors) {
    const auto* st = k.find_instance<activity_state>(r, k.handle_of(*s.dev));
    if (!st || !st->heard()) {
      all.push_back({&s, nullptr, false, false});
      continue;
    }
    const bool reporting =
        now - st->last_report <= allowed_gap(*s.type) && st->gap_to <= now - window;
    const bool power_only = s.signs == sign_power;
    const bool listening = reporting && (!power_only || st->standby_ready);
    if (st->last_sign) since = std::max(since, *st->last_sign);
    if (listening) {
      any = true;
      since = std::max(since, power_only ? *st->standby_ready : st->first_heard);
    }
    all.push_back({&s, st, reporting, listening});
  }
  if (!any || now <= since) return;  // nobody keeps reporting: no verdict (device-offline)
  auto eff_since = since;
  if (auto back = k.away_end_in(c.dev, since, now)) eff_since = std::max(since, *back);
  const auto quiet_for = now - eff_since;
  const auto longest = hs.spells.longest(k, eff_since, now, history, around);
  if (quiet_for < window || (longest && quiet_for <= *longest)) return;

  using i18n::arg;
  using i18n::message;
  const auto when = [](time_point t) { return arg::of_time(t); };
  std::vector<alerts::evidence> ev;
  std::vector<message> signs;
  for (const auto& x : all) {
    const auto& s = *x.s;
    message what;
    if (!x.st) {
      what = {"activity.no_report",
              {{"device_id", arg::of_text(std::string(s.dev->id))},
               {"location", where(s.dev->location)}}};
    } else {
      const auto& st = *x.st;
      const auto quiet_from = st.last_sign.value_or(st.first_heard);
      if (s.signs & sign_water)
        what = st.last_sign ? message{"activity.water_used", {{"time", when(*st.last_sign)}}}
                            : message{"activity.water_none", {{"time", when(quiet_from)}}};
      else if (s.signs & sign_door)
        what = {st.last_sign ? "activity.door_opened" : "activity.door_none",
                {{"location", where(s.dev->location)}, {"time", when(quiet_from)}}};
      else if (s.signs & sign_motion)
        what = {"activity.motion_none",
                {{"location", where(s.dev->location)}, {"time", when(quiet_from)}}};
      else if (!st.standby_ready)
        what = {"activity.standby_learning", {}};
      else
        what = {"activity.standby_since",
                {{"time", when(std::max(quiet_from, *st.standby_ready))}}};
      if (!x.reporting) {
        if (now - st.last_report > allowed_gap(*s.type))
          what = {"activity.silent_since",
                  {{"sign", arg::of_message(std::move(what))}, {"time", when(st.last_report)}}};
        else
          what = {"activity.silent_between",
                  {{"sign", arg::of_message(std::move(what))},
                   {"from", when(st.gap_from)},
                   {"to", when(st.gap_to)}}};
      }
      ev.push_back(st.last_sign ? st.sign : st.last);
    }
    signs.push_back(std::move(what));
  }
  args vars;
  fill_quiet_vars(vars, eff_since, now, window, history, longest);
  vars["signs"] = arg::of_list(std::move(signs));
  hs.active = true;
  hs.fired_at = now;
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule& r) {
  auto b = std::make_shared<activity>();
  parse_positive(doc, "window", true, b->window);
  parse_positive(doc, "history", false, b->history);
  if (auto d = doc.duration_value("around", false)) b->around = *d;
  if (auto v = doc.number("min_water", false)) {
    if (*v <= 0) doc.error(doc.get("min_water"), "'min_water' must be above zero");
    b->min_water = *v;
  }
  if (auto v = doc.number("above_standby", false)) {
    if (*v <= 0) doc.error(doc.get("above_standby"), "'above_standby' must be above zero");
    b->above_standby = *v;
  }
  if (r.subject != subject_scope::household)
    doc.error(doc.get("kind"), "an activity rule is about a household: set 'subject: household'");
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"since",    "quiet_for", "window", "longest_quiet",
                                        "baseline", "last_seen", "signs"};
const kind_registration registered{{"activity", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
