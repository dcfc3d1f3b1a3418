// SPDX-License-Identifier: Apache-2.0
#include "engine/core.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>

#include "engine/template.hpp"
#include "i18n/keys.hpp"
#include "normalize/counter.hpp"

namespace hearth::engine {
namespace json = boost::json;

const reading* find_reading(const report& r, metric m) {
  for (const auto& rd : r.readings)
    if (rd.metric == m) return &rd;
  return nullptr;
}

core::core(const clock& clk, const std::string& tz) : clock_(clk) {
  try {
    tz_ = date::locate_zone(tz);
  } catch (const std::exception&) {
    tz_ = date::locate_zone("UTC");
  }
}

void core::set_registry(std::shared_ptr<const registry::registry> r) {
  registry_ = std::move(r);
  next_due_ = {};
}

void core::set_catalog(std::shared_ptr<const catalog::catalog> c) {
  catalog_ = std::move(c);
  next_due_ = {};
}

void core::set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale) {
  words_ = std::move(words);
  locale_ = std::move(locale);
}

// --- local time ---------------------------------------------------------------------------

std::string core::local_time(time_point t) const {
  const auto local =
      date::make_zoned(tz_, std::chrono::floor<std::chrono::minutes>(t)).get_local_time();
  return date::format("%H:%M", local);
}

long long core::local_day(time_point t) const {
  const auto local = date::make_zoned(tz_, t).get_local_time();
  return std::chrono::floor<date::days>(local).time_since_epoch().count();
}

int core::local_hour(time_point t) const {
  const auto local = date::make_zoned(tz_, t).get_local_time();
  const auto since_midnight = local - std::chrono::floor<date::days>(local);
  return static_cast<int>(std::chrono::floor<std::chrono::hours>(since_midnight).count());
}

int core::local_minute(time_point t) const {
  const auto local = date::make_zoned(tz_, t).get_local_time();
  const auto since_midnight = local - std::chrono::floor<date::days>(local);
  return static_cast<int>(std::chrono::floor<std::chrono::minutes>(since_midnight).count());
}

time_point core::local_instant(long long day, int minute) const {
  const auto local = date::local_days{date::days{day}} + std::chrono::minutes{minute};
  // A local time skipped or repeated by a clock change reads as its earliest instant.
  return std::chrono::time_point_cast<duration>(tz_->to_sys(local, date::choose::earliest));
}

std::string core::local_when(time_point t, time_point now) const {
  if (local_day(t) == local_day(now)) return local_time(t);
  const auto local =
      date::make_zoned(tz_, std::chrono::floor<std::chrono::minutes>(t)).get_local_time();
  return date::format("%d %b %H:%M", local);
}

// --- selection ----------------------------------------------------------------------------

bool core::selected(const rule& r, std::string_view device_type, const registry::device* dev,
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

bool core::paused(const rule& r, const registry::device* dev, time_point at) const {
  if (!r.welfare) return false;
  const auto who = chosen(*registry_, r, dev, at);
  if (who.empty()) return false;
  return std::all_of(who.begin(), who.end(), [&](const registry::resident* p) {
    auto it = away_.find(p->id);
    return it != away_.end() && it->second > at;
  });
}

std::optional<time_point> core::away_end_in(const registry::device* dev, time_point from,
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

void core::set_away(const std::string& resident_id, std::optional<time_point> until) {
  if (until)
    away_[resident_id] = *until;
  else
    away_.erase(resident_id);
  touch("a|" + resident_id);
  next_due_ = {};
}

bool core::is_gateway(const registry::device& d) const {
  return d.external_id.ends_with("/bridge");
}

bool core::behind_offline_gateway(const registry::device& dev) const {
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

// --- device state -------------------------------------------------------------------------

device_state& core::device(std::string_view id) {
  auto it = devices_.find(id);
  if (it == devices_.end())
    it = devices_.emplace(std::string(id), std::make_unique<device_state>()).first;
  touch("d|" + std::string(id));
  return *it->second;
}

const device_state* core::find_device(std::string_view id) const {
  auto it = devices_.find(id);
  return it == devices_.end() ? nullptr : it->second.get();
}

void core::for_each_device(const std::function<void(std::string_view, device_state&)>& fn) {
  for (auto& [id, d] : devices_)
    fn(id, *d);
}

void core::set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg) {
  auto& d = device(device_id);
  d.base_x = x_deg;
  d.base_y = y_deg;
}

namespace {
std::optional<meter_step> step_counter(device_state& d, const report& rep,
                                       const catalog::device_type* type) {
  // One counter a device: its water counter, else its energy counter.
  const auto* rd = find_reading(rep, metric::water_total_l);
  if (!rd) rd = find_reading(rep, metric::power_total_kwh);
  if (!rd) return std::nullopt;
  meter_step s;
  s.metric = rd->metric;
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
  // A step larger than a burst pipe could deliver (60 L/min, plus 1 m³ of slack), or than a
  // household's supply could draw (30 kW, plus 1 kWh), is not usage: it is a reset, a
  // replaced meter or a corrupted frame. A decrease is a wrap when the wrapped difference is
  // plausible, a reset otherwise. Usage is never negative.
  const double minutes =
      std::chrono::duration<double, std::ratio<60>>(rep.ts - d.last_sample).count();
  const double bound = s.metric == metric::water_total_l ? 1000 + 60 * minutes : 1 + 0.5 * minutes;
  const auto step =
      normalize::counter_step(d.last_raw, s.raw, type ? type->counter_wrap : std::nullopt, bound);
  s.used = step.used_l;
  s.reset = step.what == normalize::counter_delta::kind::reset;
  d.total += s.used;
  d.last_raw = s.raw;
  d.last_sample = rep.ts;
  return s;
}
}  // namespace

std::optional<meter_step> core::on_report(const report& rep, const registry::device* dev,
                                          const catalog::device_type* type, context& c) {
  const auto now = clock_.now();
  auto& d = device(rep.device_id);
  // An availability "offline" is the bridge speaking about the device, not the device.
  c.only_offline = std::all_of(rep.readings.begin(), rep.readings.end(), [](const reading& r) {
    return r.metric == metric::device_online && r.value == 0;
  });
  if (!c.only_offline) {
    c.came_back = d.seen;
    d.seen = true;
    d.last_seen = std::max(d.last_seen, now);
  }
  if (const auto* on = find_reading(rep, metric::device_online)) {
    const bool was = d.online;
    d.online = on->value != 0;
    if (dev && is_gateway(*dev) && d.online && !was) {
      // Back online: the devices behind it get a full interval to speak before they count
      // as offline, so a reconnect never turns into a wave of device-offline alerts.
      next_due_ = {};
      const auto base =
          dev->external_id.substr(0, dev->external_id.size() - std::string_view("bridge").size());
      for (auto& [id, st] : devices_) {
        const auto* behind = registry_->find_device(id);
        if (!behind || behind == dev || !st->seen) continue;
        const auto* t = catalog_->find(behind->type);
        if (!t || t->transport != catalog::transport::zigbee2mqtt || !t->topic.starts_with(base))
          continue;
        if (st->last_seen < now) {
          st->last_seen = now;
          touch("d|" + id);
        }
      }
    }
  }
  auto step = step_counter(d, rep, type);
  const auto* tx = find_reading(rep, metric::tilt_x_deg);
  const auto* ty = find_reading(rep, metric::tilt_y_deg);
  if (tx) d.x = tx->value;
  if (ty) d.y = ty->value;
  if (d.x && d.y && !d.base_x) {  // installation angles: the first readings after registration
    d.base_x = d.x;
    d.base_y = d.y;
  }
  c.tilt = tx || ty;
  return step;
}

// --- signals ------------------------------------------------------------------------------

signal core::make_signal(const rule& r, const context& c, std::vector<alerts::evidence> evidence,
                         args vars, signal::kind what) const {
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
      subject_id =
          s.subject.household_id.empty() ? std::string(c.device_id) : s.subject.household_id;
      break;
    case subject_scope::building:
      subject_id = s.subject.building.empty() ? std::string(c.device_id) : s.subject.building;
      break;
  }
  s.key = r.id + "|" + subject_id;
  const auto* hh = dev ? registry_->find_household(dev->household_id) : nullptr;
  using i18n::arg;
  auto text = [](std::string_view v) { return arg::of_text(std::string(v)); };
  auto words = [](std::string key, args a = {}) {
    return arg::of_message({std::move(key), std::move(a)});
  };
  vars["device_id"] = text(c.device_id);
  // What people call the device ("烟雾报警器" / "smoke alarm"); its type id only when the
  // catalogue does not know the type (a test's ad-hoc type).
  const auto type_key = i18n::device_type_name_key(c.device_type);
  vars["device_type"] = words_->has(type_key) ? words(type_key) : text(c.device_type);
  vars["location"] =
      dev && !dev->location.empty() ? text(dev->location) : words("location.unknown");
  vars["household_id"] = text(s.subject.household_id);
  vars["building"] = text(s.subject.building);
  vars["unit"] = text(hh ? hh->unit : std::string_view());
  if (hh)
    vars["place"] =
        words("place.household", {{"building", text(hh->building)}, {"unit", text(hh->unit)}});
  else if (!s.subject.building.empty())
    vars["place"] = words("place.building", {{"building", text(s.subject.building)}});
  else
    vars["place"] = words("place.device", {{"device_id", text(c.device_id)}});
  vars.try_emplace("time", arg::of_time(c.at));
  const auto now = clock_.now();
  // A report that came late: when it happened, how late, and when it arrived. Said in
  // every summary, whatever the rule's template, so that no old event reads as new.
  std::optional<i18n::message> late;
  if (what == signal::kind::fire && c.rep && c.rep->received_at != time_point{} &&
      c.rep->received_at - c.rep->ts >= k_late_after)
    late = i18n::message{"late.arrival",
                         {{"event_time", arg::of_time(c.rep->ts)},
                          {"age", arg::of_age(c.rep->ts)},
                          {"delay", arg::of_span(c.rep->received_at - c.rep->ts)},
                          {"arrived", arg::of_time(c.rep->received_at)}}};
  for (auto loc : i18n::k_locales) {
    const i18n::context in{*words_, loc, tz_, now};
    auto v = vars;
    v.try_emplace("date", arg::of_text(i18n::format_date(in, c.at)));
    auto& w = s.texts[std::string(loc)];
    // A rule made in code rather than loaded may have its one-language texts only.
    const auto title = r.title_text.str(loc), summary = r.summary_text.str(loc);
    w.title = i18n::render_template(in, title.empty() ? r.title : title, v);
    w.summary = i18n::render_template(in, summary.empty() ? r.summary : summary, v);
    if (late) w.summary += i18n::render(in, *late);
    // A sentence starts with a capital, also when it starts with a name from the catalogue
    // ("Smoke alarm tampered with in B3 unit 502"); Chinese has no case.
    for (auto* t : {&w.title, &w.summary})
      if (!t->empty() && (*t)[0] >= 'a' && (*t)[0] <= 'z')
        (*t)[0] = static_cast<char>((*t)[0] - 'a' + 'A');
  }
  if (auto it = s.texts.find(locale_); it != s.texts.end()) {
    s.title = it->second.title;
    s.summary = it->second.summary;
  }
  return s;
}

// --- persistence --------------------------------------------------------------------------

std::vector<std::string> core::take_dirty() {
  std::vector<std::string> keys(std::make_move_iterator(dirty_.begin()),
                                std::make_move_iterator(dirty_.end()));
  dirty_.clear();
  return keys;
}

state_row core::row(const std::string& key) const {
  state_row row{key, {}};
  const auto id = std::string_view(key).substr(2);
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
  return row;
}

std::vector<state_row> core::all_rows() const {
  std::vector<state_row> rows;
  for (const auto& [id, d] : devices_)
    rows.push_back({"d|" + id, json::serialize(d->to_json())});
  for (const auto& [id, st] : instances_)
    rows.push_back({"i|" + id, json::serialize(st->to_json())});
  for (const auto& [id, t] : away_)
    rows.push_back({"a|" + id, json::serialize(json::object{{"until", ms(t)}})});
  return rows;
}

void core::restore(const state_row& row, const state_factory& new_state) {
  if (row.key.size() < 3 || row.json.empty()) return;
  boost::system::error_code ec;
  auto v = json::parse(row.json, ec);
  if (ec || !v.is_object()) return;
  const auto id = row.key.substr(2);
  try {
    if (row.key.starts_with("d|")) {
      auto d = std::make_unique<device_state>();
      d->from_json(v.get_object());
      devices_[id] = std::move(d);
    } else if (row.key.starts_with("i|")) {
      auto st = new_state(id);
      if (!st) st = std::make_unique<stored_state>(row.json);
      st->from_json(v.get_object());
      instances_[id] = std::move(st);
    } else if (row.key.starts_with("a|")) {
      away_[id] = at_ms(int_of(v.get_object(), "until"));
    }
  } catch (const std::exception&) {
    // A row this version cannot read is dropped: the rule starts afresh for that key.
  }
}

}  // namespace hearth::engine
