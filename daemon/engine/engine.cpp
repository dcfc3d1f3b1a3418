// SPDX-License-Identifier: Apache-2.0
#include "engine/engine.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <numbers>

#include "base/time.hpp"
#include "engine/template.hpp"
#include "normalize/counter.hpp"

namespace hearth::engine {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

/// A counter sample: event time, the unwrapped running total, and the raw reading.
struct sample {
  time_point ts;
  double total = 0;
  double raw = 0;
};

std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}

/// Tilt change as a slope: tan(angle) * 1000, i.e. millimetres of lean per metre of height,
/// the unit in which GB 50007 states tilt limits.
double permille(double deg) {
  return std::tan(deg * std::numbers::pi / 180.0) * 1000.0;
}

std::string litres(double v) {
  return fmt::format("{:.0f} L", v);
}

std::string value_text(metric m, double v) {
  if (info(m).boolean) return v != 0 ? "true" : "false";
  return fmt::format("{:g}", v);
}

const reading* find_reading(const report& r, metric m) {
  for (const auto& rd : r.readings)
    if (rd.metric == m) return &rd;
  return nullptr;
}

/// Every clear condition whose metric is in the report holds, and at least one is there.
bool clear_holds(const std::vector<condition>& conds, const report& rep) {
  bool any = false;
  for (const auto& c : conds) {
    for (const auto& rd : rep.readings) {
      if (rd.metric != c.metric) continue;
      if (!c.holds(rd.value)) return false;
      any = true;
    }
  }
  return any;
}

bool is_gateway(const registry::device& d) {
  return d.external_id.ends_with("/bridge");
}

json::value evidence_json(const std::vector<alerts::evidence>& ev) {
  json::array a;
  for (const auto& e : ev)
    a.push_back(alerts::to_json(e));
  return a;
}

std::vector<alerts::evidence> evidence_from(const json::value* v) {
  std::vector<alerts::evidence> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    const auto* o = e.if_object();
    if (!o) continue;
    alerts::evidence ev;
    if (const auto* d = o->if_contains("device_id"); d && d->is_string())
      ev.device_id = d->get_string();
    const auto* m = o->if_contains("metric");
    if (!m || !m->is_string()) continue;
    auto met = metric_from_name(m->get_string());
    if (!met) continue;
    ev.metric = *met;
    if (const auto* val = o->if_contains("value"))
      ev.value = val->is_bool()     ? (val->get_bool() ? 1.0 : 0.0)
                 : val->is_number() ? val->to_number<double>()
                                    : 0;
    if (const auto* ts = o->if_contains("ts"); ts && ts->is_string())
      if (auto t = parse_rfc3339(ts->get_string())) ev.ts = *t;
    out.push_back(std::move(ev));
  }
  return out;
}

double num(const json::object& o, std::string_view k, double fallback = 0) {
  const auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}
std::int64_t int_of(const json::object& o, std::string_view k, std::int64_t fallback = 0) {
  const auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<std::int64_t>() : fallback;
}
bool flag(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_bool() && v->get_bool();
}
std::optional<double> opt_num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

}  // namespace

/// What the engine knows of one device, whatever the rules.
struct engine::device_state {
  bool seen = false;
  time_point last_seen{};  ///< arrival time (the clock) of the last message
  bool online = true;      ///< last `device.online`
  bool has_counter = false;
  double last_raw = 0, total = 0;  ///< raw counter, and litres since first seen (never negative)
  time_point last_sample{};
  std::optional<double> x, y, base_x, base_y;  ///< tilt now, and at installation

  json::value to_json() const {
    json::object o;
    o["seen"] = seen;
    o["last_seen"] = ms(last_seen);
    o["online"] = online;
    if (has_counter) {
      o["last_raw"] = last_raw;
      o["total"] = total;
      o["last_sample"] = ms(last_sample);
    }
    if (x) o["x"] = *x;
    if (y) o["y"] = *y;
    if (base_x) o["base_x"] = *base_x;
    if (base_y) o["base_y"] = *base_y;
    return o;
  }
  void from_json(const json::object& o) {
    seen = flag(o, "seen");
    last_seen = at_ms(int_of(o, "last_seen"));
    online = !o.contains("online") || flag(o, "online");
    has_counter = o.contains("last_raw");
    last_raw = num(o, "last_raw");
    total = num(o, "total");
    last_sample = at_ms(int_of(o, "last_sample"));
    x = opt_num(o, "x");
    y = opt_num(o, "y");
    base_x = opt_num(o, "base_x");
    base_y = opt_num(o, "base_y");
  }
};

/// One rule's state for one device.
struct engine::instance_state {
  bool active = false;  ///< fired and not yet cleared
  time_point fired_at{};
  std::optional<time_point> pending_since;  ///< threshold: breached, waiting for `for:`
  std::vector<alerts::evidence> pending_evidence;
  /// inactivity: samples since the current quiet spell began. A vector, not a deque: a
  /// std::deque allocates ~600 B even when empty, for every rule instance of every device.
  std::vector<sample> quiet;
  /// inactivity: longest quiet spell (ms) by local start hour, then local day.
  std::map<int, std::map<long long, long long>> spells;
  bool run = false;  ///< slots: a run of slots with flow
  long long run_start = 0, run_last = 0;
  double run_total = 0, run_raw = 0;
  time_point run_since{};
  long long day = 0;  ///< daily_total: local day and litres so far
  double day_used = 0;

  json::value to_json() const {
    json::object o;
    o["active"] = active;
    o["fired_at"] = ms(fired_at);
    if (pending_since) {
      o["pending_since"] = ms(*pending_since);
      o["pending_evidence"] = evidence_json(pending_evidence);
    }
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
    if (run) o["run"] = json::array{run_start, run_last, run_total, run_raw, ms(run_since)};
    if (day != 0) o["day"] = json::array{day, day_used};
    return o;
  }
  void from_json(const json::object& o) {
    active = flag(o, "active");
    fired_at = at_ms(int_of(o, "fired_at"));
    if (o.contains("pending_since")) {
      pending_since = at_ms(int_of(o, "pending_since"));
      pending_evidence = evidence_from(o.if_contains("pending_evidence"));
    }
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
    if (const auto* r = o.if_contains("run"); r && r->is_array() && r->get_array().size() == 5) {
      const auto& a = r->get_array();
      run = true;
      run_start = a[0].to_number<long long>();
      run_last = a[1].to_number<long long>();
      run_total = a[2].to_number<double>();
      run_raw = a[3].to_number<double>();
      run_since = at_ms(a[4].to_number<std::int64_t>());
    }
    if (const auto* d = o.if_contains("day"); d && d->is_array() && d->get_array().size() == 2) {
      day = d->get_array()[0].to_number<long long>();
      day_used = d->get_array()[1].to_number<double>();
    }
  }
};

/// The change of a counter between two reports of one device.
struct engine::meter_step {
  bool first = false;  ///< the first reading ever: nothing to compare with
  bool reset = false;  ///< the counter went back (or jumped) implausibly: usage unknown
  time_point from, to;
  double used = 0;  ///< litres between `from` and `to`, never negative
  double raw = 0, prev_raw = 0;
};

/// Who and when a signal is about.
struct engine::context {
  std::string device_id, device_type;
  const registry::device* dev = nullptr;
  time_point at;
  const report* rep = nullptr;  ///< null for signals from `tick`
};

engine::engine(std::vector<rule> rules, const clock& clk, const std::string& tz)
    : rules_(std::move(rules)), clock_(clk) {
  try {
    tz_ = date::locate_zone(tz);
  } catch (const std::exception&) {
    tz_ = date::locate_zone("UTC");
  }
}

engine::~engine() = default;

void engine::set_rules(std::vector<rule> rules) {
  rules_ = std::move(rules);
  next_due_ = {};
}

std::string engine::local_time(time_point t) const {
  const auto local =
      date::make_zoned(tz_, std::chrono::floor<std::chrono::minutes>(t)).get_local_time();
  return date::format("%H:%M", local);
}

long long engine::local_day(time_point t) const {
  const auto local = date::make_zoned(tz_, t).get_local_time();
  return std::chrono::floor<date::days>(local).time_since_epoch().count();
}

int engine::local_hour(time_point t) const {
  const auto local = date::make_zoned(tz_, t).get_local_time();
  const auto since_midnight = local - std::chrono::floor<date::days>(local);
  return static_cast<int>(std::chrono::floor<std::chrono::hours>(since_midnight).count());
}

/// "06:10" today, "19 Nov 22:10" on another day.
std::string engine::local_when(time_point t, time_point now) const {
  if (local_day(t) == local_day(now)) return local_time(t);
  const auto local =
      date::make_zoned(tz_, std::chrono::floor<std::chrono::minutes>(t)).get_local_time();
  return date::format("%d %b %H:%M", local);
}

bool engine::selected(const rule& r, std::string_view device_type, const registry::device* dev,
                      time_point at) const {
  const auto& s = r.select;
  if (!s.device_types.empty() &&
      std::find(s.device_types.begin(), s.device_types.end(), device_type) == s.device_types.end())
    return false;
  if (!s.buildings.empty() && (!dev || std::find(s.buildings.begin(), s.buildings.end(),
                                                 dev->building) == s.buildings.end()))
    return false;
  if (s.min_age || s.lives_alone) {
    if (!dev || dev->household_id.empty()) return false;
    const auto residents = registry_->residents_of(dev->household_id);
    const int year = int(date::year_month_day{std::chrono::floor<date::days>(at)}.year());
    const bool any =
        std::any_of(residents.begin(), residents.end(), [&](const registry::resident* p) {
          if (s.min_age && year - p->birth_year < *s.min_age) return false;
          if (s.lives_alone && p->lives_alone != *s.lives_alone) return false;
          return true;
        });
    if (!any) return false;
  }
  return true;
}

namespace {
/// The residents of a device's household that a rule's selector picks.
std::vector<const registry::resident*> chosen(const registry::registry& reg, const rule& r,
                                              const registry::device* dev, time_point at) {
  std::vector<const registry::resident*> out;
  if (!dev || dev->household_id.empty()) return out;
  const int year = int(date::year_month_day{std::chrono::floor<date::days>(at)}.year());
  for (const auto* p : reg.residents_of(dev->household_id)) {
    if (r.select.min_age && year - p->birth_year < *r.select.min_age) continue;
    if (r.select.lives_alone && p->lives_alone != *r.select.lives_alone) continue;
    out.push_back(p);
  }
  return out;
}
}  // namespace

bool engine::paused(const rule& r, const registry::device* dev, time_point at) const {
  if (!r.welfare) return false;
  const auto who = chosen(*registry_, r, dev, at);
  if (who.empty()) return false;
  return std::all_of(who.begin(), who.end(), [&](const registry::resident* p) {
    auto it = away_.find(p->id);
    return it != away_.end() && it->second > at;
  });
}

std::optional<time_point> engine::away_end_in(const registry::device* dev, time_point from,
                                              time_point to) const {
  std::optional<time_point> end;
  if (!dev || dev->household_id.empty()) return end;
  for (const auto* p : registry_->residents_of(dev->household_id)) {
    auto it = away_.find(p->id);
    if (it != away_.end() && it->second > from && it->second <= to)
      end = std::max(end.value_or(it->second), it->second);
  }
  return end;
}

void engine::set_away(const std::string& resident_id, std::optional<time_point> until) {
  if (until)
    away_[resident_id] = *until;
  else
    away_.erase(resident_id);
  touch("a|" + resident_id);
  next_due_ = {};
}

void engine::set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg) {
  auto& d = devices_[device_id];
  if (!d) d = std::make_unique<device_state>();
  d->base_x = x_deg;
  d->base_y = y_deg;
  touch("d|" + device_id);
}

engine::instance_state& engine::instance(const rule& r, const std::string& device_id) {
  const auto key = r.id + "|" + device_id;
  auto& p = instances_[key];
  if (!p) p = std::make_unique<instance_state>();
  touch("i|" + key);
  return *p;
}

signal engine::make_signal(const rule& r, const context& c, std::vector<alerts::evidence> evidence,
                           std::map<std::string, std::string> vars, signal::kind what) const {
  signal s;
  s.what = what;
  s.rule = r.id;
  s.priority = r.priority;
  s.at = c.at;
  s.auto_resolve = r.auto_resolve;
  s.welfare = r.welfare;
  s.evidence = std::move(evidence);
  s.subject.device_id = c.device_id;
  const auto* dev = c.dev;
  if (dev) {
    s.subject.household_id = dev->household_id;
    s.subject.building = dev->building;
    if (!dev->household_id.empty())
      for (const auto* p : registry_->residents_of(dev->household_id))
        s.subject.resident_ids.emplace_back(p->id);
  }
  std::string subject_id;
  switch (r.subject) {
    case subject_scope::device:
      subject_id = c.device_id;
      break;
    case subject_scope::household:
      subject_id = s.subject.household_id.empty() ? c.device_id : s.subject.household_id;
      break;
    case subject_scope::building:
      subject_id = s.subject.building.empty() ? c.device_id : s.subject.building;
      break;
  }
  s.key = r.id + "|" + subject_id;
  const auto* hh = dev ? registry_->find_household(dev->household_id) : nullptr;
  vars["device_id"] = c.device_id;
  vars["device_type"] = c.device_type;
  vars["location"] = dev && !dev->location.empty() ? dev->location : "unknown location";
  vars["household_id"] = s.subject.household_id;
  vars["building"] = s.subject.building;
  vars["unit"] = hh ? hh->unit : "";
  vars["place"] =
      hh ? fmt::format("{} unit {}", hh->building, hh->unit)
         : (s.subject.building.empty() ? c.device_id : "building " + s.subject.building);
  vars.try_emplace("time", local_time(c.at));
  vars.try_emplace(
      "date",
      date::format(
          "%Y-%m-%d",
          date::make_zoned(tz_, std::chrono::floor<std::chrono::seconds>(c.at)).get_local_time()));
  s.title = render(r.title, vars);
  s.summary = render(r.summary, vars);
  return s;
}

std::optional<engine::meter_step> engine::step_counter(device_state& d, const report& rep,
                                                       const catalog::device_type* type) {
  const auto* rd = find_reading(rep, metric::water_total_l);
  if (!rd) return std::nullopt;
  meter_step s;
  s.raw = rd->value;
  s.to = rep.ts;
  if (!d.has_counter) {
    d.has_counter = true;
    d.last_raw = s.raw;
    d.last_sample = rep.ts;
    d.total = 0;
    s.first = true;
    s.from = rep.ts;
    return s;
  }
  // A repeated or older reading carries nothing new for a counter: it is ignored, so a
  // late duplicate can neither count usage twice nor move a window backwards.
  if (rep.ts <= d.last_sample) return std::nullopt;
  s.from = d.last_sample;
  s.prev_raw = d.last_raw;
  // A step larger than a burst pipe could deliver (60 L/min, plus 1 m³ of slack) is not
  // usage: it is a reset, a replaced meter or a corrupted frame. A decrease is a wrap when
  // the wrapped difference is plausible, a reset otherwise. Usage is never negative.
  const double minutes =
      std::chrono::duration<double, std::ratio<60>>(rep.ts - d.last_sample).count();
  const auto step = normalize::counter_step(
      d.last_raw, s.raw, type ? type->counter_wrap : std::nullopt, 1000 + 60 * minutes);
  s.used = step.used_l;
  s.reset = step.what == normalize::counter_delta::kind::reset;
  d.total += s.used;
  d.last_raw = s.raw;
  d.last_sample = rep.ts;
  return s;
}

bool engine::behind_offline_gateway(const registry::device& dev) const {
  const auto* type = catalog_->find(dev.type);
  if (!type || type->transport != catalog::transport::zigbee2mqtt) return false;
  for (const auto& [id, st] : devices_) {
    if (st->online || id == dev.id) continue;
    const auto* gw = registry_->find_device(id);
    if (!gw || !is_gateway(*gw)) continue;
    const auto base =
        gw->external_id.substr(0, gw->external_id.size() - std::string_view("bridge").size());
    if (type->topic.starts_with(base)) return true;
  }
  return false;
}

void engine::on_gateway(const registry::device& gw, bool online, time_point now) {
  if (!online) return;
  // Back online: the devices behind it get a full interval to speak before they count as
  // offline, so a reconnect never turns into a wave of device-offline alerts.
  next_due_ = {};
  const auto base =
      gw.external_id.substr(0, gw.external_id.size() - std::string_view("bridge").size());
  for (auto& [id, st] : devices_) {
    const auto* d = registry_->find_device(id);
    if (!d || d == &gw || !st->seen) continue;
    const auto* type = catalog_->find(d->type);
    if (!type || type->transport != catalog::transport::zigbee2mqtt ||
        !type->topic.starts_with(base))
      continue;
    if (st->last_seen < now) {
      st->last_seen = now;
      touch("d|" + id);
    }
  }
}

std::vector<signal> engine::on_report(const report& rep) {
  std::vector<signal> out;
  const auto now = clock_.now();
  const auto* dev = registry_->find_device(rep.device_id);
  const auto* type = catalog_->find(rep.device_type);
  auto& dp = devices_[rep.device_id];
  if (!dp) dp = std::make_unique<device_state>();
  auto& d = *dp;
  touch("d|" + rep.device_id);

  // An availability "offline" is the bridge speaking about the device, not the device.
  const bool only_offline = std::all_of(
      rep.readings.begin(), rep.readings.end(),
      [](const reading& r) { return r.metric == metric::device_online && r.value == 0; });
  bool came_back = false;
  if (!only_offline) {
    came_back = d.seen;
    d.seen = true;
    d.last_seen = std::max(d.last_seen, now);
  }
  if (!only_offline && type && type->report_interval.count() > 0)
    for (const auto& r : rules_)
      if (r.kind == rule_kind::no_data)
        next_due_ = std::min(next_due_, d.last_seen + std::chrono::duration_cast<duration>(
                                                          type->report_interval * r.intervals));
  if (const auto* on = find_reading(rep, metric::device_online)) {
    const bool was = d.online;
    d.online = on->value != 0;
    if (dev && is_gateway(*dev) && d.online && !was) on_gateway(*dev, true, now);
  }
  const auto step = step_counter(d, rep, type);
  const auto* tx = find_reading(rep, metric::tilt_x_deg);
  const auto* ty = find_reading(rep, metric::tilt_y_deg);
  if (tx) d.x = tx->value;
  if (ty) d.y = ty->value;
  if (d.x && d.y && !d.base_x) {  // installation angles: the first readings after registration
    d.base_x = d.x;
    d.base_y = d.y;
  }

  const context c{rep.device_id, rep.device_type, dev, rep.ts, &rep};
  for (const auto& r : rules_) {
    if (!selected(r, rep.device_type, dev, rep.ts)) continue;
    switch (r.kind) {
      case rule_kind::event:
        eval_event(r, c, out);
        break;
      case rule_kind::threshold:
        eval_threshold(r, c, out);
        break;
      case rule_kind::inactivity:
        if (step && r.counter == metric::water_total_l) eval_inactivity(r, c, *step, out);
        break;
      case rule_kind::slots:
        if (step && r.counter == metric::water_total_l) eval_slots(r, c, *step, out);
        break;
      case rule_kind::daily_total:
        if (step && r.counter == metric::water_total_l) eval_daily(r, c, *step, out);
        break;
      case rule_kind::baseline:
        if (tx || ty) eval_baseline(r, c, out);
        break;
      case rule_kind::no_data: {
        auto it = instances_.find(r.id + "|" + rep.device_id);
        if (!only_offline && came_back && it != instances_.end() && it->second->active) {
          it->second->active = false;
          touch("i|" + it->first);
          std::map<std::string, std::string> vars{{"last_seen", local_time(rep.ts)}};
          out.push_back(make_signal(r, c, {}, std::move(vars), signal::kind::clear));
        }
        break;
      }
    }
  }
  return out;
}

void engine::eval_event(const rule& r, const context& c, std::vector<signal>& out) {
  const auto& rep = *c.rep;
  std::vector<alerts::evidence> evidence;
  std::string matched;
  double matched_value = 0;
  for (const auto& cond : r.when) {
    for (const auto& rd : rep.readings) {
      if (rd.metric == cond.metric && cond.holds(rd.value)) {
        evidence.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
        if (matched.empty()) {
          matched = cond.describe();
          matched_value = rd.value;
        }
      }
    }
  }
  if (evidence.empty()) {
    if (r.clear.empty() || !clear_holds(r.clear, rep)) return;
    auto it = instances_.find(r.id + "|" + c.device_id);
    if (it == instances_.end() || !it->second->active) return;
    it->second->active = false;
    touch("i|" + it->first);
    out.push_back(make_signal(r, c, {}, {}, signal::kind::clear));
    return;
  }
  const bool excepted = std::any_of(r.unless.begin(), r.unless.end(), [&](const condition& cond) {
    return std::any_of(rep.readings.begin(), rep.readings.end(), [&](const reading& rd) {
      return rd.metric == cond.metric && cond.holds(rd.value);
    });
  });
  if (excepted) return;  // e.g. a smoke test press: logged by the pipeline, not queued
  if (paused(r, c.dev, c.at)) return;
  if (!r.clear.empty()) {
    auto& st = instance(r, c.device_id);
    st.active = true;
    st.fired_at = c.at;
  }
  std::map<std::string, std::string> vars;
  vars["condition"] = matched;
  vars["metric"] = std::string(name(evidence.front().metric));
  vars["value"] = value_text(evidence.front().metric, matched_value);
  out.push_back(make_signal(r, c, std::move(evidence), std::move(vars)));
}

void engine::eval_threshold(const rule& r, const context& c, std::vector<signal>& out) {
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
  const auto key = r.id + "|" + c.device_id;
  if (!hits.empty()) {
    auto& st = instance(r, c.device_id);
    if (st.active) return;
    if (!st.pending_since) {
      st.pending_since = c.at;
      st.pending_evidence = hits;
      next_due_ = std::min(next_due_, c.at + r.for_);
    }
    if (c.at - *st.pending_since < r.for_)
      return;  // the `for:` window is still open (tick fires it)
    if (paused(r, c.dev, c.at)) return;
    auto evidence = st.pending_evidence;
    if (evidence != hits) evidence.insert(evidence.end(), hits.begin(), hits.end());
    std::map<std::string, std::string> vars;
    vars["condition"] = matched;
    vars["metric"] = std::string(name(hits.front().metric));
    vars["value"] = value_text(hits.front().metric, matched_value);
    vars["since"] = local_when(*st.pending_since, c.at);
    vars["window"] = describe_duration(r.for_);
    st.active = true;
    st.fired_at = c.at;
    st.pending_since.reset();
    st.pending_evidence.clear();
    out.push_back(make_signal(r, c, std::move(evidence), std::move(vars)));
    return;
  }
  const bool cleared = r.clear.empty() ? any_when_metric : clear_holds(r.clear, rep);
  if (!cleared) return;  // in the hysteresis band: nothing changes
  auto it = instances_.find(key);
  if (it == instances_.end()) return;
  auto& st = *it->second;
  touch("i|" + key);
  st.pending_since.reset();
  st.pending_evidence.clear();
  if (!st.active) return;
  st.active = false;
  std::vector<alerts::evidence> evidence;
  for (const auto& rd : rep.readings)
    evidence.push_back({rep.device_id, rd.metric, rd.value, rd.ts});
  out.push_back(make_signal(r, c, std::move(evidence), {}, signal::kind::clear));
}

std::optional<duration> engine::learned_longest(const instance_state& st, const rule& r,
                                                time_point since, time_point now) const {
  const int h = local_hour(since);
  const int margin = static_cast<int>(std::chrono::floor<std::chrono::hours>(r.around).count());
  const long long oldest = local_day(now) - std::chrono::floor<date::days>(r.history).count();
  std::optional<duration> best;
  for (int dh = -margin; dh <= margin; ++dh) {
    auto it = st.spells.find(((h + dh) % 24 + 24) % 24);
    if (it == st.spells.end()) continue;
    for (const auto& [day, len] : it->second)
      if (day >= oldest) best = std::max(best.value_or(duration{0}), duration{len});
  }
  return best;
}

void engine::learn_spell(instance_state& st, const rule& r, time_point start,
                         duration length) const {
  if (length < 1h) return;  // short pauses say nothing about a resident's routine
  const auto day = local_day(start);
  auto& cell = st.spells[local_hour(start)][day];
  cell = std::max(cell, static_cast<long long>(length.count()));
  const long long oldest = day - std::chrono::floor<date::days>(r.history).count() - 1;
  for (auto& [h, days] : st.spells)
    days.erase(days.begin(), days.lower_bound(oldest));
}

void engine::eval_inactivity(const rule& r, const context& c, const meter_step& s,
                             std::vector<signal>& out) {
  auto& st = instance(r, c.device_id);
  const auto& d = *devices_.at(c.device_id);
  if (s.first || s.reset || st.quiet.empty()) {
    // A reset counter starts a new measurement: usage across it is unknown.
    st.quiet.clear();
    st.quiet.push_back({s.to, d.total, s.raw});
    return;
  }
  const auto prev_since = st.quiet.front().ts;
  st.quiet.push_back({s.to, d.total, s.raw});
  std::size_t drop = 0;  // from the front, erased at once
  while (st.quiet.size() - drop > 1 && d.total - st.quiet[drop].total >= r.min_change)
    ++drop;
  drop = std::max(drop, st.quiet.size() > 5000 ? st.quiet.size() - 5000 : 0);  // ~200 days hourly
  st.quiet.erase(st.quiet.begin(), st.quiet.begin() + static_cast<std::ptrdiff_t>(drop));
  const auto since = st.quiet.front().ts;
  if (since != prev_since) {
    // Water was used: the quiet spell [prev_since, s.from] is over. Spells overlapping an
    // absence are not learned. An alerted spell is learned (the operator may have found the
    // resident fine: that is the routine), but capped at twice the window, so one long
    // illness cannot mute the rule for that time of day for the rest of the history.
    if (!away_end_in(c.dev, prev_since, s.from) && !paused(r, c.dev, prev_since))
      learn_spell(st, r, prev_since, std::min<duration>(s.from - prev_since, 2 * r.window));
    if (st.active) {
      st.active = false;
      std::vector<alerts::evidence> ev{{c.device_id, metric::water_total_l, s.raw, s.to}};
      out.push_back(make_signal(r, c, std::move(ev), {}, signal::kind::clear));
    }
  }
  if (st.active || paused(r, c.dev, s.to)) return;
  auto eff_since = since;
  if (auto back = away_end_in(c.dev, since, s.to)) eff_since = std::max(since, *back);
  const auto quiet_for = s.to - eff_since;
  const auto longest = learned_longest(st, r, eff_since, s.to);
  // At least the window, and longer than the longest quiet spell learned for this time of day.
  if (quiet_for < r.window || (longest && quiet_for <= *longest)) return;
  // "The meter keeps reporting": every gap between readings over the last window must be
  // within two reporting intervals. A silent meter never raises this rule.
  const auto* dtype = catalog_->find(c.device_type);
  const duration max_gap =
      dtype && dtype->report_interval.count() > 0 ? 2 * dtype->report_interval : r.window;
  const auto window_start = s.to - r.window;
  for (std::size_t i = 1; i < st.quiet.size(); ++i)
    if (st.quiet[i].ts > window_start && st.quiet[i].ts - st.quiet[i - 1].ts > max_gap) return;
  const auto& first = st.quiet.front();
  std::vector<alerts::evidence> ev{{c.device_id, metric::water_total_l, first.raw, first.ts},
                                   {c.device_id, metric::water_total_l, s.raw, s.to}};
  std::map<std::string, std::string> vars;
  vars["since"] = local_when(eff_since, s.to);
  vars["quiet_for"] = describe_duration(quiet_for);
  vars["used"] = litres(d.total - first.total);
  vars["window"] = describe_duration(r.window);
  vars["longest_quiet"] = longest ? describe_duration(*longest) : "none learned yet";
  vars["baseline"] =
      longest ? fmt::format("the longest quiet spell at this time of day in the last {} was {}",
                            describe_duration(r.history), describe_duration(*longest))
              : fmt::format("no quiet spell at this time of day in the last {} is on record",
                            describe_duration(r.history));
  vars["last_seen"] = local_time(s.to);
  st.active = true;
  st.fired_at = s.to;
  out.push_back(make_signal(r, c, std::move(ev), std::move(vars)));
}

void engine::eval_slots(const rule& r, const context& c, const meter_step& s,
                        std::vector<signal>& out) {
  if (s.first) return;
  auto& st = instance(r, c.device_id);
  const auto& d = *devices_.at(c.device_id);
  const auto* dtype = catalog_->find(c.device_type);
  const duration max_gap = std::max(2 * r.slot, dtype ? 2 * dtype->report_interval : duration{0});
  const auto len = s.to - s.from;
  auto slot_of = [&](time_point t) {
    return static_cast<long long>(t.time_since_epoch() / r.slot);
  };
  auto end_run = [&] {
    st.run = false;
    if (!st.active) return;
    st.active = false;
    std::vector<alerts::evidence> ev{{c.device_id, metric::water_total_l, s.raw, s.to}};
    out.push_back(make_signal(r, c, std::move(ev), {}, signal::kind::clear));
  };
  if (s.reset || len > max_gap) {  // usage in this stretch is unknown: the run cannot continue
    end_run();
    return;
  }
  const auto a = slot_of(s.from), b = slot_of(s.to - 1ms);
  // The readings come every report interval, not every slot: the use between two readings
  // is spread evenly over the slots it spans.
  const double slots_spanned =
      std::chrono::duration<double>(len) / std::chrono::duration<double>(r.slot);
  const bool flowing = s.used / std::max(slots_spanned, 1.0) >= r.min_per_slot;
  if (flowing) {
    if (st.run && a <= st.run_last + 1) {
      st.run_last = std::max(st.run_last, b);
    } else {
      st.run = true;
      st.run_start = a;
      st.run_last = b;
      st.run_total = d.total - s.used;
      st.run_raw = s.prev_raw;
      st.run_since = s.from;
    }
  } else if (!st.run || b > st.run_last) {
    end_run();
    return;
  }
  const auto need = static_cast<long long>(r.span / r.slot);
  if (!st.run || st.active || st.run_last - st.run_start + 1 < need) return;
  std::vector<alerts::evidence> ev{{c.device_id, metric::water_total_l, st.run_raw, st.run_since},
                                   {c.device_id, metric::water_total_l, s.raw, s.to}};
  std::map<std::string, std::string> vars;
  vars["since"] = local_when(st.run_since, s.to);
  vars["window"] = describe_duration(s.to - st.run_since);
  vars["used"] = litres(d.total - st.run_total);
  vars["interval"] = describe_duration(r.slot);
  st.active = true;
  st.fired_at = s.to;
  out.push_back(make_signal(r, c, std::move(ev), std::move(vars)));
}

void engine::eval_daily(const rule& r, const context& c, const meter_step& s,
                        std::vector<signal>& out) {
  if (s.first) return;
  auto& st = instance(r, c.device_id);
  const auto day = local_day(s.to);
  if (day != st.day) {
    st.day = day;
    st.day_used = 0;
    if (st.active) {
      st.active = false;
      out.push_back(make_signal(r, c, {}, {}, signal::kind::clear));
    }
  }
  st.day_used += s.used;  // a step is counted on the day it ends
  if (st.active || st.day_used < r.daily_limit || paused(r, c.dev, s.to)) return;
  std::map<std::string, std::string> vars;
  vars["used"] = litres(st.day_used);
  vars["limit"] = litres(r.daily_limit);
  std::vector<alerts::evidence> ev{{c.device_id, metric::water_total_l, s.raw, s.to}};
  st.active = true;
  st.fired_at = s.to;
  out.push_back(make_signal(r, c, std::move(ev), std::move(vars)));
}

void engine::eval_baseline(const rule& r, const context& c, std::vector<signal>& out) {
  const auto& d = *devices_.at(c.device_id);
  if (!d.x || !d.y || !d.base_x || !d.base_y) return;
  const double change_deg = std::hypot(*d.x - *d.base_x, *d.y - *d.base_y);
  const double change = permille(change_deg);
  double limit = 4;  // GB 50007 default when the building gives none
  if (r.limit_permille) {
    limit = *r.limit_permille;
  } else if (c.dev) {
    if (const auto* b = registry_->find_building(c.dev->building); b && b->tilt_limit_permille > 0)
      limit = b->tilt_limit_permille;
  }
  const double at = limit * r.fraction;
  auto& st = instance(r, c.device_id);
  std::vector<alerts::evidence> ev;
  for (const auto& rd : c.rep->readings)
    if (rd.metric == metric::tilt_x_deg || rd.metric == metric::tilt_y_deg)
      ev.push_back({c.device_id, rd.metric, rd.value, rd.ts});
  if (!st.active && change >= at) {
    std::map<std::string, std::string> vars;
    vars["change"] = fmt::format("{:.1f} ‰", change);
    vars["limit"] = fmt::format("{:g} ‰", at);
    vars["baseline"] = fmt::format("x {:.2f}°, y {:.2f}°", *d.base_x, *d.base_y);
    vars["value"] = fmt::format("x {:.2f}°, y {:.2f}°", *d.x, *d.y);
    st.active = true;
    st.fired_at = c.at;
    out.push_back(make_signal(r, c, std::move(ev), std::move(vars)));
  } else if (st.active && change < at * 0.9) {  // 10 % hysteresis: sensor noise cannot flap it
    st.active = false;
    out.push_back(make_signal(r, c, std::move(ev), {}, signal::kind::clear));
  }
}

std::vector<signal> engine::tick(time_point now) {
  std::vector<signal> out;
  if (now < next_due_) return out;
  auto soonest = time_point::max();
  for (const auto& r : rules_) {
    if (r.kind == rule_kind::no_data) {
      for (const auto& [id, d] : devices_) {
        if (!d->seen) continue;
        const auto* dev = registry_->find_device(id);
        if (!dev) continue;
        const auto* type = catalog_->find(dev->type);
        if (!type || type->report_interval.count() <= 0) continue;
        if (!selected(r, dev->type, dev, now)) continue;
        const auto allowed =
            std::chrono::duration_cast<duration>(type->report_interval * r.intervals);
        if (now < d->last_seen + allowed) {
          soonest = std::min(soonest, d->last_seen + allowed);
          continue;
        }
        if (auto it = instances_.find(r.id + "|" + id);
            it != instances_.end() && it->second->active)
          continue;
        if (is_gateway(*dev) || behind_offline_gateway(*dev))
          continue;  // gateway-offline speaks for them
        auto& st = instance(r, id);
        st.active = true;
        st.fired_at = now;
        const context c{id, std::string(dev->type), dev, now, nullptr};
        std::map<std::string, std::string> vars;
        vars["last_seen"] = local_when(d->last_seen, now);
        vars["since"] = vars["last_seen"];
        vars["quiet_for"] = describe_duration(now - d->last_seen);
        vars["interval"] = describe_duration(type->report_interval);
        vars["window"] = describe_duration(allowed);
        out.push_back(make_signal(r, c, {}, std::move(vars)));
      }
    } else if (r.kind == rule_kind::threshold && r.for_.count() > 0) {
      const auto prefix = r.id + "|";
      for (auto it = instances_.lower_bound(prefix);
           it != instances_.end() && it->first.starts_with(prefix); ++it) {
        auto& st = *it->second;
        if (st.active || !st.pending_since) continue;
        if (now - *st.pending_since < r.for_) {
          soonest = std::min(soonest, *st.pending_since + r.for_);
          continue;
        }
        const auto id = it->first.substr(prefix.size());
        const auto* dev = registry_->find_device(id);
        const context c{id, dev ? std::string(dev->type) : std::string(), dev, now, nullptr};
        if (paused(r, dev, now)) {
          soonest = std::min(soonest,
                             now + std::chrono::duration_cast<duration>(std::chrono::minutes(1)));
          continue;
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
        vars["since"] = local_when(*st.pending_since, now);
        vars["window"] = describe_duration(r.for_);
        st.active = true;
        st.fired_at = now;
        auto evidence = std::move(st.pending_evidence);
        st.pending_since.reset();
        st.pending_evidence.clear();
        touch("i|" + it->first);
        out.push_back(make_signal(r, c, std::move(evidence), std::move(vars)));
      }
    }
  }
  next_due_ = soonest;
  return out;
}

std::vector<state_row> engine::take_changes(std::size_t max) {
  std::vector<state_row> rows;
  while (rows.size() < max && changed()) {
    if (next_out_ >= out_.size()) {  // a new round: everything changed so far, in key order
      out_.assign(std::make_move_iterator(dirty_.begin()), std::make_move_iterator(dirty_.end()));
      dirty_.clear();
      std::sort(out_.begin(), out_.end());
      next_out_ = 0;
    }
    // A key touched again meanwhile is in `dirty_` as well and goes out again next round.
    for (; next_out_ < out_.size() && rows.size() < max; ++next_out_) {
      const auto& key = out_[next_out_];
      state_row row{key, {}};
      const auto id = key.substr(2);
      if (key.starts_with("d|")) {
        if (auto it = devices_.find(id); it != devices_.end())
          row.json = json::serialize(it->second->to_json());
      } else if (key.starts_with("i|")) {
        if (auto it = instances_.find(id); it != instances_.end())
          row.json = json::serialize(it->second->to_json());
      } else if (key.starts_with("a|")) {
        if (auto it = away_.find(id); it != away_.end())
          row.json = json::serialize(json::object{{"until", ms(it->second)}});
      }
      rows.push_back(std::move(row));
    }
    if (next_out_ >= out_.size()) {
      out_.clear();
      next_out_ = 0;
    }
  }
  return rows;
}

std::vector<state_row> engine::snapshot() const {
  std::vector<state_row> rows;
  for (const auto& [id, d] : devices_)
    rows.push_back({"d|" + id, json::serialize(d->to_json())});
  for (const auto& [id, st] : instances_)
    rows.push_back({"i|" + id, json::serialize(st->to_json())});
  for (const auto& [id, t] : away_)
    rows.push_back({"a|" + id, json::serialize(json::object{{"until", ms(t)}})});
  return rows;
}

void engine::restore(const std::vector<state_row>& rows) {
  next_due_ = {};
  for (const auto& row : rows) {
    if (row.key.size() < 3 || row.json.empty()) continue;
    boost::system::error_code ec;
    auto v = json::parse(row.json, ec);
    if (ec || !v.is_object()) continue;
    const auto id = row.key.substr(2);
    try {
      if (row.key.starts_with("d|")) {
        auto d = std::make_unique<device_state>();
        d->from_json(v.get_object());
        devices_[id] = std::move(d);
      } else if (row.key.starts_with("i|")) {
        auto st = std::make_unique<instance_state>();
        st->from_json(v.get_object());
        instances_[id] = std::move(st);
      } else if (row.key.starts_with("a|")) {
        away_[id] = at_ms(int_of(v.get_object(), "until"));
      }
    } catch (const std::exception&) {
      // A row this version cannot read is dropped: the rule starts afresh for that key.
    }
  }
}

}  // namespace hearth::engine
