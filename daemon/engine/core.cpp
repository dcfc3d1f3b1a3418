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

core::~core() = default;

// --- handles ------------------------------------------------------------------------------

void core::set_registry(std::shared_ptr<const registry::registry> r) {
  spill_dirty();  // changed rows keep their keys; handles are about to move
  const auto old_size = static_cast<handle>(registry_->all().devices.size());
  const auto& fresh = r->all().devices;
  // Old handle -> new handle, for every handle that has state.
  std::size_t span = devices_.size();
  for (const auto& t : tables_)
    for (const auto& [h, st] : t->rows)
      span = std::max<std::size_t>(span, h + 1);
  for (const auto& [h, t] : tilts_)
    span = std::max<std::size_t>(span, h + 1);
  std::vector<char> used(span, 0);
  for (handle h = 0; h < devices_.size(); ++h)
    used[h] = devices_[h].present;
  for (const auto& t : tables_)
    for (const auto& [h, st] : t->rows)
      used[h] = 1;
  for (const auto& [h, t] : tilts_)
    used[h] = 1;
  for (const auto& d : devices_)
    for (auto g : d.via)
      if (g != k_no_handle && g < span) used[g] = 1;
  std::vector<handle> moved(span, k_no_handle);
  std::vector<std::string> extra_ids;
  decltype(extra_handles_) extra_handles;
  auto place = [&](std::string_view id) -> handle {
    if (const auto* d = r->find_device(id)) return static_cast<handle>(d - fresh.data());
    auto [it, added] = extra_handles.try_emplace(
        std::string(id), static_cast<handle>(fresh.size() + extra_ids.size()));
    if (added) extra_ids.emplace_back(id);
    return it->second;
  };
  for (handle h = 0; h < span; ++h)
    if (used[h])
      moved[h] =
          place(h < old_size ? registry_->all().devices[h].id.view() : extra_ids_[h - old_size]);
  std::vector<device_state> devices(devices_.empty() ? 0 : fresh.size() + extra_ids.size());
  for (handle h = 0; h < devices_.size(); ++h)
    if (moved[h] != k_no_handle) {
      auto& d = devices[moved[h]] = devices_[h];
      for (auto& g : d.via)
        if (g != k_no_handle) g = g < span ? moved[g] : k_no_handle;
    }
  std::unordered_map<handle, tilt_state> tilts;
  for (auto& [h, t] : tilts_)
    if (moved[h] != k_no_handle) tilts[moved[h]] = t;
  for (auto& t : tables_) {
    std::unordered_map<handle, std::unique_ptr<instance_state>> rows;
    for (auto& [h, st] : t->rows)
      if (moved[h] != k_no_handle) rows[moved[h]] = std::move(st);
    t->rows = std::move(rows);
  }
  devices_ = std::move(devices);
  tilts_ = std::move(tilts);
  extra_ids_ = std::move(extra_ids);
  extra_handles_ = std::move(extra_handles);
  registry_ = std::move(r);
  link_bridges();
  due_now();
}

void core::set_catalog(std::shared_ptr<const catalog::catalog> c) {
  catalog_ = std::move(c);
  link_bridges();
  due_now();
}

void core::link_bridges() {
  // One look-up per device type, not per device: every device of a type sits behind the
  // same bridge (its base topic's).
  struct of_type {
    handle bridge = k_no_handle;
    bool gateway = false;
  };
  std::unordered_map<std::string_view, of_type> by_type;
  const auto& all = registry_->all().devices;
  bridge_.assign(all.size(), k_no_handle);
  gateway_.assign(all.size(), 0);
  auto is_bridge = [&](const registry::device& d) {
    const auto* t = catalog_->find(d.type);
    return t && t->role == catalog::role::bridge;
  };
  for (handle h = 0; h < all.size(); ++h) {
    auto [it, added] = by_type.try_emplace(all[h].type);
    if (added) {
      const auto* type = catalog_->find(all[h].type);
      it->second.gateway = type && type->role == catalog::role::bridge;
      if (type && type->transport == catalog::transport::zigbee2mqtt)
        if (auto ext = catalog::bridge_external_id(*type))
          if (const auto* b = registry_->find_device_by_external_id(*ext); b && is_bridge(*b))
            it->second.bridge = handle_of(*b);
    }
    gateway_[h] = it->second.gateway;
    if (it->second.bridge != h) bridge_[h] = it->second.bridge;
  }
}

std::optional<handle> core::find_handle(std::string_view device_id) const {
  if (const auto* d = registry_->find_device(device_id)) return handle_of(*d);
  if (auto it = extra_handles_.find(device_id); it != extra_handles_.end()) return it->second;
  return std::nullopt;
}

handle core::handle_of(std::string_view device_id, bool create) {
  if (auto h = find_handle(device_id)) return *h;
  if (!create) return k_no_handle;
  const auto h = static_cast<handle>(registry_->all().devices.size() + extra_ids_.size());
  extra_ids_.emplace_back(device_id);
  extra_handles_.emplace(std::string(device_id), h);
  return h;
}

std::string_view core::id_of(handle h) const {
  const auto n = registry_->all().devices.size();
  if (h < n) return registry_->all().devices[h].id;
  return h - n < extra_ids_.size() ? std::string_view(extra_ids_[h - n]) : std::string_view();
}

void core::ensure(handle h) {
  if (h < devices_.size()) return;
  // The whole registry at once, on the first report (as set_registry sizes it): grown handle
  // by handle, the vector doubled its way up to twice what it holds (146 MB for 1 M
  // devices' 103). A handle past the registry (a device it does not list) adds a little
  // room, not another registry's worth.
  const std::size_t want = std::max<std::size_t>(h + 1, registry_->all().devices.size());
  if (want > devices_.capacity()) devices_.reserve(devices_.empty() ? want : want + want / 64);
  devices_.resize(want);
}

device_state& core::device(handle h) {
  ensure(h);
  auto& d = devices_[h];
  d.present = true;
  dirty_.insert(key(kind_device, 0, h));
  return d;
}

const device_state* core::find_device(handle h) const {
  return h < devices_.size() && devices_[h].present ? &devices_[h] : nullptr;
}

const tilt_state* core::tilt(handle h) const {
  auto it = tilts_.find(h);
  return it == tilts_.end() ? nullptr : &it->second;
}

void core::set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg) {
  const auto h = handle_of(device_id, true);
  device(h);
  auto& t = tilts_[h];
  t.base_x = x_deg;
  t.base_y = y_deg;
}

time_point core::silent_since(const device_state& d) const {
  auto since = d.heard;
  for (const auto& [stopped, started] : downtimes_)
    if (started > d.heard) since += started - std::max(stopped, d.heard);
  return since;
}

duration core::interval_of(const device_state& d, const catalog::device_type& type) const {
  if (type.report_interval.count() <= 0) return duration{0};
  return std::max(type.report_interval, d.every.learned().value_or(duration{0}));
}

std::size_t core::behind(handle gateway) const {
  std::size_t n = 0;
  for (handle h = 0; h < std::max(bridge_.size(), devices_.size()); ++h)
    if (h != gateway && sits_behind(h, gateway)) ++n;
  return n;
}

context core::tick_context(handle h, time_point now) const {
  const auto* dev = device_of(h);
  context c{id_of(h), dev ? dev->type : std::string_view(), dev, now, nullptr};
  c.h = h;
  return c;
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

bool core::selected(const rule& r, std::string_view device_type, const catalog::device_type* type,
                    const registry::device* dev, time_point at, residents_memo* memo) const {
  const auto& s = r.select;
  if (s.bridges && (!type || (type->role == catalog::role::bridge) != *s.bridges)) return false;
  if (!s.device_types.empty() &&
      std::find(s.device_types.begin(), s.device_types.end(), device_type) == s.device_types.end())
    return false;
  if (!s.buildings.empty() && (!dev || std::find(s.buildings.begin(), s.buildings.end(),
                                                 dev->building) == s.buildings.end()))
    return false;
  if (s.min_age || s.lives_alone) {
    if (!dev || dev->household_id.empty()) return false;
    residents_memo own;
    if (!memo) memo = &own;
    if (!*memo) *memo = registry_->residents_with(*dev);
    const auto& residents = **memo;
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
  for (const auto* p : reg.residents_with(*dev)) {
    if (r.select.min_age && year - p->birth_year < *r.select.min_age) continue;
    if (r.select.lives_alone && p->lives_alone != *r.select.lives_alone) continue;
    out.push_back(p);
  }
  return out;
}
}  // namespace

bool core::paused(const rule& r, const registry::device* dev, time_point at) const {
  if (!r.welfare || away_.empty()) return false;  // nobody is away: the common case
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
  if (!dev || dev->household_id.empty() || away_.empty()) return end;
  for (const auto* p : registry_->residents_with(*dev)) {
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
  dirty_keys_.insert("a|" + resident_id);
  due_now();
}

bool core::is_gateway(handle h) const {
  return h < gateway_.size() && gateway_[h];
}

bool core::behind_offline_gateway(handle h) const {
  auto offline = [&](handle g) {
    const auto* b = find_device(g);
    return b && !b->online;
  };
  if (h < bridge_.size() && bridge_[h] != k_no_handle) return offline(bridge_[h]);
  // A LoRaWAN device is cut off when every gateway that heard its last uplink is offline.
  const auto* d = find_device(h);
  if (!d || d->via[0] == k_no_handle) return false;
  return offline(d->via[0]) && (d->via[1] == k_no_handle || offline(d->via[1]));
}

bool core::sits_behind(handle h, handle gateway) const {
  if (h < bridge_.size() && bridge_[h] == gateway) return true;
  return h < devices_.size() && (devices_[h].via[0] == gateway || devices_[h].via[1] == gateway);
}

std::vector<std::string_view> core::via_ids(const device_state& d) const {
  std::vector<std::string_view> ids;
  for (auto g : d.via)
    if (g != k_no_handle) ids.push_back(id_of(g));
  return ids;
}

// --- device state -------------------------------------------------------------------------

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

std::optional<meter_step> core::on_report(const report& rep, context& c) {
  const auto now = clock_.now();
  auto& d = device(c.h);
  // An availability "offline" is the bridge speaking about the device, not the device.
  c.only_offline = std::all_of(rep.readings.begin(), rep.readings.end(), [](const reading& r) {
    return r.metric == metric::device_online && r.value == 0;
  });
  if (!c.only_offline) {
    c.came_back = d.seen;
    if (d.seen) d.every.add(now - silent_since(d));
    d.seen = true;
    d.last_seen = std::max(d.last_seen, now);
    d.heard = std::max(d.heard, now);
  }
  if (!rep.gateways.empty()) {
    // The gateways that heard this uplink: the device sits behind them (until another
    // uplink says otherwise). Only registered gateways count.
    handle via[2] = {k_no_handle, k_no_handle};
    std::size_t n = 0;
    for (const auto& ext : rep.gateways) {
      const auto* g = registry_->find_device_by_external_id(ext);
      if (!g || n == 2) continue;
      const auto gh = handle_of(*g);
      if (is_gateway(gh) && gh != via[0]) via[n++] = gh;
    }
    if (n > 0) std::copy(via, via + 2, d.via);
  }
  if (const auto* on = find_reading(rep, metric::device_online)) {
    const bool was = d.online;
    d.online = on->value != 0;
    if (is_gateway(c.h) && d.online && !was) {
      // Back online: the devices behind it get a full interval to speak before they count
      // as offline, so a reconnect never turns into a wave of device-offline alerts.
      due_now();
      for (handle h = 0; h < devices_.size(); ++h) {
        auto& st = devices_[h];
        if (h == c.h || !sits_behind(h, c.h) || !st.present || !st.seen) continue;
        // Only when it may speak again: its last message stays when it was.
        if (st.heard < now) {
          st.heard = now;
          dirty_.insert(key(kind_device, 0, h));
        }
      }
    }
  }
  auto step = step_counter(d, rep, c.type);
  const auto* tx = find_reading(rep, metric::tilt_x_deg);
  const auto* ty = find_reading(rep, metric::tilt_y_deg);
  if (tx || ty) {
    auto& t = tilts_[c.h];
    if (tx) t.x = tx->value;
    if (ty) t.y = ty->value;
    if (t.x && t.y && !t.base_x) {  // installation angles: the first readings after registration
      t.base_x = t.x;
      t.base_y = t.y;
    }
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
      for (const auto* p : registry_->residents_with(*dev))
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
  vars.try_emplace("behind",
                   arg::of_number(dev && is_gateway(c.h) ? static_cast<double>(behind(c.h)) : 0.0));
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

void core::deadline_queue::push(time_point at, handle h) {
  heap.emplace_back(at, h);
  std::push_heap(heap.begin(), heap.end(), std::greater<>{});
}

std::pair<time_point, handle> core::deadline_queue::pop() {
  std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
  const auto top = heap.back();
  heap.pop_back();
  return top;
}

void core::bind_rules(const std::vector<rule>& rules) {
  table_of_rule_.clear();
  last_rule_ = nullptr;
  last_table_ = nullptr;
  for (const auto& r : rules)
    table_of_rule_[&r] = &table_named(r.id);
}

core::instance_table& core::table_named(std::string_view rule_id) {
  auto it = table_by_id_.find(std::string(rule_id));
  if (it != table_by_id_.end()) return *it->second;
  auto t = std::make_unique<instance_table>();
  t->id = static_cast<std::uint32_t>(tables_.size());
  t->rule_id = rule_id;
  auto* p = t.get();
  tables_.push_back(std::move(t));
  table_by_id_.emplace(std::string(rule_id), p);
  return *p;
}

void core::alive(time_point now) {
  if (now - alive_ < std::chrono::minutes(1)) return;
  alive_ = now;
  dirty_keys_.insert("e|alive");
}

std::string core::row_key(std::uint64_t k) const {
  const auto h = static_cast<handle>(k & 0xffffffffu);
  if (k >> 62 == kind_device) return "d|" + std::string(id_of(h));
  const auto& t = *tables_[(k >> 32) & 0x3fffffffu];
  return "i|" + t.rule_id + "|" + std::string(id_of(h));
}

void core::spill_dirty() {
  for (auto k : dirty_)
    dirty_keys_.insert(row_key(k));
  dirty_.clear();
  // The round's rows not yet handed out keep their place, as keys.
  if (next_out_ < round_.size()) {
    std::vector<std::string> keys;
    keys.reserve(round_.size() - next_out_ + round_keys_.size());
    for (auto i = next_out_; i < round_.size(); ++i)
      keys.push_back(row_key(round_[i]));
    keys.insert(keys.end(), std::make_move_iterator(round_keys_.begin()),
                std::make_move_iterator(round_keys_.end()));
    round_.clear();
    round_keys_ = std::move(keys);
    next_out_ = 0;
  }
}

std::vector<state_row> core::take_rows(std::size_t max) {
  std::vector<state_row> rows;
  if (!round_open()) {  // a new round: everything changed so far
    // By handle: sorting integers, and finding each row by its handle, costs a fraction of
    // doing both by key (thousands of rows a second under load, on the domain thread).
    round_.assign(dirty_.begin(), dirty_.end());
    dirty_.clear();
    std::sort(round_.begin(), round_.end());
    round_keys_.assign(std::make_move_iterator(dirty_keys_.begin()),
                       std::make_move_iterator(dirty_keys_.end()));
    dirty_keys_.clear();
    std::sort(round_keys_.begin(), round_keys_.end());
    next_out_ = 0;
  }
  for (; next_out_ < round_.size() && rows.size() < max; ++next_out_)
    rows.push_back(row(round_[next_out_]));
  for (; next_out_ >= round_.size() && next_out_ < round_.size() + round_keys_.size() &&
         rows.size() < max;
       ++next_out_)
    rows.push_back(row(round_keys_[next_out_ - round_.size()]));
  if (!round_open()) {
    round_.clear();
    round_keys_.clear();
    next_out_ = 0;
  }
  return rows;
}

namespace {
std::string away_json(time_point t) {
  return json::serialize(json::object{{"until", ms(t)}});
}
}  // namespace

std::string core::row_json(std::uint64_t k) const {
  const auto h = static_cast<handle>(k & 0xffffffffu);
  if (k >> 62 == kind_device) {
    const auto* d = find_device(h);
    return d ? json::serialize(d->to_json(tilt(h), via_ids(*d))) : std::string();
  }
  const auto& t = *tables_[(k >> 32) & 0x3fffffffu];
  const auto it = t.rows.find(h);
  return it != t.rows.end() ? json::serialize(it->second->to_json()) : std::string();
}

state_row core::row(std::uint64_t k) const {
  return {row_key(k), row_json(k)};
}

state_row core::row(const std::string& key) const {
  state_row row{key, {}};
  const auto id = std::string_view(key).substr(std::min<std::size_t>(2, key.size()));
  if (key.starts_with("d|")) {
    if (auto h = find_handle(id)) row.json = row_json(core::key(kind_device, 0, *h));
  } else if (key.starts_with("i|")) {
    // The longest rule id that is a prefix of "<rule>|<device>" whose device is known.
    for (const auto& t : tables_) {
      if (id.size() <= t->rule_id.size() || id[t->rule_id.size()] != '|' ||
          !id.starts_with(t->rule_id))
        continue;
      auto h = find_handle(id.substr(t->rule_id.size() + 1));
      if (!h || !t->rows.contains(*h)) continue;
      row.json = row_json(core::key(kind_instance, t->id, *h));
      break;
    }
  } else if (key.starts_with("a|")) {
    if (auto it = away_.find(id); it != away_.end()) row.json = away_json(it->second);
  } else if (key == "e|alive") {
    row.json = json::serialize(json::object{{"at", ms(alive_)}});
  } else if (key == "e|down" && !downtimes_.empty()) {
    row.json = downtimes_json();
  }
  return row;
}

std::vector<state_row> core::all_rows() {
  std::vector<state_row> rows;
  for (handle h = 0; h < devices_.size(); ++h)
    if (devices_[h].present)
      rows.push_back({"d|" + std::string(id_of(h)),
                      json::serialize(devices_[h].to_json(tilt(h), via_ids(devices_[h])))});
  for (const auto& t : tables_)
    for (const auto& [h, st] : t->rows)
      rows.push_back(
          {"i|" + t->rule_id + "|" + std::string(id_of(h)), json::serialize(st->to_json())});
  for (const auto& [id, t] : away_)
    rows.push_back({"a|" + id, away_json(t)});
  if (alive_ != time_point{})
    rows.push_back({"e|alive", json::serialize(json::object{{"at", ms(alive_)}})});
  if (!downtimes_.empty()) rows.push_back({"e|down", downtimes_json()});
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return rows;
}

void core::restore(const std::vector<state_row>& rows, const std::vector<rule>& rules,
                   state_factory new_state) {
  due_now();
  for (const auto& row : rows) {
    if (row.key.size() < 3 || row.json.empty()) continue;
    boost::system::error_code ec;
    auto v = json::parse(row.json, ec);
    if (ec || !v.is_object()) continue;
    const auto id = std::string_view(row.key).substr(2);
    try {
      if (row.key.starts_with("d|")) {
        const auto h = handle_of(id, true);
        ensure(h);
        std::optional<tilt_state> t;
        std::vector<std::string> via;
        devices_[h].from_json(v.get_object(), t, via);
        for (std::size_t i = 0; i < via.size() && i < 2; ++i)
          devices_[h].via[i] = handle_of(via[i], true);
        if (t)
          tilts_[h] = *t;
        else
          tilts_.erase(h);
      } else if (row.key.starts_with("i|")) {
        auto o = new_state(rules, id);
        std::string_view rule_id, device_id;
        if (o.r) {
          rule_id = o.r->id;
          device_id = id.substr(rule_id.size() + 1);
        } else {
          // No loaded rule owns it: kept as written, under the id before the first '|'.
          const auto bar = id.find('|');
          if (bar == std::string_view::npos) continue;
          rule_id = id.substr(0, bar);
          device_id = id.substr(bar + 1);
          o.state = std::make_unique<stored_state>(row.json);
        }
        o.state->from_json(v.get_object());
        auto& t = table_named(rule_id);
        t.rows[handle_of(device_id, true)] = std::move(o.state);
      } else if (row.key.starts_with("a|")) {
        away_[std::string(id)] = at_ms(int_of(v.get_object(), "until"));
      } else if (row.key == "e|alive") {
        alive_ = at_ms(int_of(v.get_object(), "at"));
        stopped_at_ = alive_;
      } else if (row.key == "e|down") {
        downtimes_.clear();
        if (const auto* a = v.get_object().if_contains("spans"); a && a->is_array())
          for (const auto& p : a->get_array())
            if (p.is_array() && p.get_array().size() == 2)
              downtimes_.emplace_back(at_ms(p.get_array()[0].to_number<std::int64_t>()),
                                      at_ms(p.get_array()[1].to_number<std::int64_t>()));
      }
    } catch (const std::exception&) {
      // A row this version cannot read is dropped: the rule starts afresh for that key.
    }
  }
  // hearthd was down from its last tick until now: that span is not any device's silence.
  const auto now = clock_.now();
  if (stopped_at_ && now - *stopped_at_ >= std::chrono::minutes(1)) {
    downtimes_.emplace_back(*stopped_at_, now);
    std::sort(downtimes_.begin(), downtimes_.end());
    if (downtimes_.size() > 16) downtimes_.erase(downtimes_.begin(), downtimes_.end() - 16);
    dirty_keys_.insert("e|down");
  }
}

std::string core::downtimes_json() const {
  json::array spans;
  for (const auto& [a, b] : downtimes_)
    spans.push_back(json::array{ms(a), ms(b)});
  return json::serialize(json::object{{"spans", std::move(spans)}});
}

}  // namespace hearth::engine
