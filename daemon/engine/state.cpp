// SPDX-License-Identifier: Apache-2.0
#include "engine/state.hpp"

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

json::value device_state::to_json() const {
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

void device_state::from_json(const json::object& o) {
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
