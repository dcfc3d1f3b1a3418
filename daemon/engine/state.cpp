// SPDX-License-Identifier: Apache-2.0
#include "engine/state.hpp"

#include <algorithm>

#include "base/time.hpp"

namespace hearth::engine {
namespace json = boost::json;

double num(const json::object& o, std::string_view k, double fallback) {
  const auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}
std::int64_t int_of(const json::object& o, std::string_view k, std::int64_t fallback) {
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

json::value device_state::to_json(const tilt_state* tilt,
                                  const std::vector<std::string_view>& gateways) const {
  json::object o;
  o["seen"] = seen;
  o["last_seen"] = ms(last_seen);
  o["online"] = online;
  if (has_counter) {
    o["last_raw"] = last_raw;
    o["total"] = total;
    o["last_sample"] = ms(last_sample);
  }
  if (heard != last_seen) o["heard"] = ms(heard);
  if (every.count > 0) {
    json::array g;
    for (auto m : every.in_order())
      g.push_back(m);
    o["gaps"] = std::move(g);
  }
  if (!gateways.empty()) {
    json::array g;
    for (auto id : gateways)
      g.push_back(json::string(id));
    o["via"] = std::move(g);
  }
  if (tilt) {
    if (tilt->x) o["x"] = *tilt->x;
    if (tilt->y) o["y"] = *tilt->y;
    if (tilt->base_x) o["base_x"] = *tilt->base_x;
    if (tilt->base_y) o["base_y"] = *tilt->base_y;
  }
  return o;
}

void device_state::from_json(const json::object& o, std::optional<tilt_state>& tilt,
                             std::vector<std::string>& gateways) {
  present = true;
  seen = flag(o, "seen");
  last_seen = at_ms(int_of(o, "last_seen"));
  heard = o.contains("heard") ? at_ms(int_of(o, "heard")) : last_seen;
  every = {};
  if (const auto* g = o.if_contains("gaps"); g && g->is_array())
    for (const auto& m : g->get_array())
      if (m.is_number()) every.add(std::chrono::minutes(m.to_number<std::int64_t>()));
  online = !o.contains("online") || flag(o, "online");
  gateways.clear();
  if (const auto* g = o.if_contains("via"); g && g->is_array())
    for (const auto& id : g->get_array())
      if (id.is_string()) gateways.emplace_back(id.get_string());
  has_counter = o.contains("last_raw");
  last_raw = num(o, "last_raw");
  total = num(o, "total");
  last_sample = at_ms(int_of(o, "last_sample"));
  tilt_state t{opt_num(o, "x"), opt_num(o, "y"), opt_num(o, "base_x"), opt_num(o, "base_y")};
  if (t.x || t.y || t.base_x || t.base_y)
    tilt = t;
  else
    tilt.reset();
}

void cadence::add(duration gap) {
  if (gap < std::chrono::minutes(1)) return;
  const auto m = std::chrono::ceil<std::chrono::minutes>(gap).count();
  gaps[next] = static_cast<std::uint16_t>(std::min<std::int64_t>(m, 65535));
  next = static_cast<std::uint8_t>((next + 1) % k_size);
  if (count < k_size) ++count;
}

std::optional<duration> cadence::learned() const {
  if (count < k_min_gaps) return std::nullopt;
  std::uint16_t sorted[k_size];
  std::copy(gaps, gaps + count, sorted);
  std::sort(sorted, sorted + count);
  // The rank ceil(0.85 n): the second largest of 8, the third largest of 16.
  const std::size_t rank = (count * 85 + 99) / 100;
  return std::chrono::duration_cast<duration>(std::chrono::minutes(sorted[rank - 1]));
}

std::vector<std::uint16_t> cadence::in_order() const {
  std::vector<std::uint16_t> out;
  const std::size_t start = count < k_size ? 0 : next;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(gaps[(start + i) % k_size]);
  return out;
}

json::object instance_state::to_json() const {
  json::object o;
  o["active"] = active;
  o["fired_at"] = ms(fired_at);
  write(o);
  return o;
}

void instance_state::from_json(const json::object& o) {
  active = flag(o, "active");
  fired_at = at_ms(int_of(o, "fired_at"));
  read(o);
}

void stored_state::write(json::object& o) const {
  boost::system::error_code ec;
  auto v = json::parse(json, ec);
  if (!ec && v.is_object()) o = std::move(v.get_object());
}

}  // namespace hearth::engine
