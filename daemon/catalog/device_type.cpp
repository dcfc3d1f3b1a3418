// SPDX-License-Identifier: Apache-2.0
#include "catalog/device_type.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "base/time.hpp"
#include "base/yaml_reader.hpp"

namespace hearth::catalog {
namespace {

struct transport_profile {
  hearth::catalog::transport id;
  std::string_view name;
  std::string_view default_topic;
  std::string_view default_external_id_path;
};

constexpr std::string_view k_z2m_bridge_topic = "zigbee2mqtt/bridge/state";

/// A bridge's (or gateway's) state topic when its type gives none: Zigbee2MQTT's bridge
/// state; ChirpStack v4's gateway connection state (`<region prefix>/gateway/<id>/state/conn`,
/// retained, from the ChirpStack Gateway Bridge); for The Things Stack, whose gateway events
/// come only from its Events API, the topic an integrator forwards them to.
constexpr std::string_view bridge_topic(hearth::catalog::transport t) {
  switch (t) {
    case hearth::catalog::transport::chirpstack:
      return "+/gateway/{external_id}/state/conn";
    case hearth::catalog::transport::tts:
      return "tts/gateways/{external_id}/events";
    default:
      return k_z2m_bridge_topic;
  }
}

constexpr transport_profile k_transports[] = {
    {transport::zigbee2mqtt, "zigbee2mqtt", "zigbee2mqtt/{external_id}", ""},
    {transport::chirpstack, "chirpstack", "application/+/device/{external_id}/event/up",
     "deviceInfo.devEui"},
    {transport::tts, "tts", "v3/+/devices/+/up", "end_device_ids.dev_eui"},
    {transport::native, "native", "hearth/v1/devices/{external_id}/up", ""},
    // Any vendor platform's JSON: the type names the topic, the external id, the event time.
    {transport::json, "json", "", ""},
};

/// Source units a field may declare, converted to the metric's canonical unit.
struct unit_conversion {
  std::string_view from;
  std::string_view to;
  double factor;
};
constexpr unit_conversion k_units[] = {
    {"L", "L", 1},
    {"m3", "L", 1000},
    {"mL", "L", 0.001},
    {"gal", "L", 3.785411784},
    {"deg", "deg", 1},
    {"rad", "deg", 57.29577951308232},
    {"mrad", "deg", 0.05729577951308232},
    {"mm", "mm", 1},
    {"cm", "mm", 10},
    {"m", "mm", 1000},
    {"%", "%", 1},
    {"%LEL", "%LEL", 1},
    {"ppm", "%LEL", 0.002},  // methane: 100 %LEL = 50,000 ppm
    {"kWh", "kWh", 1},
    {"Wh", "kWh", 0.001},
    {"W", "W", 1},
    {"kW", "W", 1000},
    // Battery voltage: only for device.battery_pct, through the field's `empty` and `full`.
    {"V", "V", 1},
    {"mV", "V", 0.001},
};

std::optional<frame_field::kind> frame_kind(std::string_view s) {
  using k = frame_field::kind;
  static const std::pair<std::string_view, k> table[] = {
      {"u8", k::u8},       {"u16le", k::u16le}, {"u16be", k::u16be}, {"u32le", k::u32le},
      {"u32be", k::u32be}, {"i8", k::i8},       {"i16le", k::i16le}, {"i16be", k::i16be},
      {"i32le", k::i32le}, {"i32be", k::i32be}, {"bit", k::bit}};
  for (auto [n, v] : table)
    if (n == s) return v;
  return std::nullopt;
}

std::size_t kind_width(frame_field::kind k) {
  using enum frame_field::kind;
  switch (k) {
    case u8:
    case i8:
    case bit:
      return 1;
    case u16le:
    case u16be:
    case i16le:
    case i16be:
      return 2;
    default:
      return 4;
  }
}

bool valid_path(const std::string& p) {
  if (p.empty() || p.front() == '.' || p.back() == '.') return false;
  if (p.find("..") != std::string::npos) return false;
  // ':' for keys such as Shelly's "switch:0".
  return std::all_of(p.begin(), p.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           c == ':';
  });
}

/// `unit: V` or `mV` on device.battery_pct, with the field's `empty` and `full` voltages
/// (in that unit). Called for every field, so that `empty`/`full` are known keys.
void parse_battery_curve(yaml_map& f, field_mapping& m, const std::optional<std::string>& unit,
                         std::optional<hearth::metric> met, double unit_factor) {
  const auto empty = f.number("empty", false);
  const auto full = f.number("full", false);
  const bool volts = unit && (*unit == "V" || *unit == "mV");
  if (!volts) {
    if (empty || full)
      f.error(f.get(empty ? "empty" : "full"),
              "'empty' and 'full' are battery voltages: they go with unit V or mV on "
              "device.battery_pct");
    return;
  }
  if (met && *met != metric::device_battery_pct) {
    f.error(f.get("unit"), fmt::format("unit '{}' is a battery voltage: it maps to "
                                       "device.battery_pct, not {}",
                                       *unit, info(*met).name));
    return;
  }
  if (!empty || !full) {
    f.error(f.get("unit"),
            fmt::format("a battery voltage in {} needs 'empty' and 'full' (the voltages of 0 % "
                        "and 100 %)",
                        *unit));
    return;
  }
  if (*empty < 0 || *full <= *empty) {
    f.error(f.get("full"),
            fmt::format("'full' ({}) must be above 'empty' ({}), both 0 or more", *full, *empty));
    return;
  }
  if (f.has("scale") || f.has("offset") || f.has("map"))
    f.error(f.get(f.has("scale")    ? "scale"
                  : f.has("offset") ? "offset"
                                    : "map"),
            "a battery voltage goes through 'empty' and 'full'; drop 'scale', 'offset' and 'map'");
  m.battery = battery_curve{*empty * unit_factor, *full * unit_factor};
}

/// `event_time: {path, format}` of a json type.
std::optional<event_time_spec> parse_event_time(yaml_map& doc) {
  const YAML::Node n = doc.get("event_time");
  if (!n.IsDefined()) return std::nullopt;
  yaml_map et(n, doc.file(), doc.out(), "event_time");
  if (!et.valid()) return std::nullopt;
  event_time_spec spec;
  auto path = et.string("path", true);
  auto format = et.string("format", false).value_or("rfc3339");
  bool ok = path.has_value();
  if (path && !valid_path(*path)) {
    et.error(et.get("path"), fmt::format("bad path '{}' for 'event_time'", *path));
    ok = false;
  }
  using f = time_format;
  if (format == "rfc3339")
    spec.format = f::rfc3339;
  else if (format == "epoch_s")
    spec.format = f::epoch_s;
  else if (format == "epoch_ms")
    spec.format = f::epoch_ms;
  else {
    et.error(et.get("format"),
             fmt::format("unknown time format '{}': use rfc3339, epoch_s or epoch_ms", format));
    ok = false;
  }
  et.finish();
  if (!ok) return std::nullopt;
  spec.path = *path;
  return spec;
}

/// YAML scalar or flow mapping given as an example payload: kept as the exact JSON text a
/// device would send.
std::optional<std::string> payload_text(const YAML::Node& n, const std::string& file,
                                        diagnostics& out) {
  if (n.IsScalar()) return n.Scalar();
  // A mapping written in YAML: serialize to JSON so the example reads like the wire.
  std::function<boost::json::value(const YAML::Node&)> conv =
      [&](const YAML::Node& x) -> boost::json::value {
    if (x.IsMap()) {
      boost::json::object o;
      for (const auto& kv : x)
        o[kv.first.Scalar()] = conv(kv.second);
      return o;
    }
    if (x.IsSequence()) {
      boost::json::array a;
      for (const auto& i : x)
        a.push_back(conv(i));
      return a;
    }
    if (x.IsNull()) return nullptr;
    const std::string& s = x.Scalar();
    if (x.Tag() == "!") return boost::json::string(s);  // quoted in YAML
    if (s == "true") return true;
    if (s == "false") return false;
    boost::system::error_code ec;
    auto v = boost::json::parse(s, ec);
    if (!ec && (v.is_number())) return v;
    return boost::json::string(s);
  };
  if (n.IsMap() || n.IsSequence()) return boost::json::serialize(conv(n));
  out.push_back({file, line_of(n), "example payload must be JSON text or a mapping"});
  return std::nullopt;
}

/// Returns the number of entries written in `fields:` (good or bad), so that a broken entry
/// is reported once, not again as "no fields".
std::size_t parse_fields(yaml_map& doc, device_type& t) {
  const YAML::Node list = doc.get("fields");
  if (!list.IsDefined() || list.IsNull()) return 0;
  if (!list.IsSequence()) {
    doc.error(list, "'fields' must be a list of field mappings");
    return 1;
  }
  for (const auto& item : list) {
    yaml_map f(item, doc.file(), doc.out(), "field mapping");
    if (!f.valid()) continue;
    field_mapping m;
    m.line = line_of(item);
    auto path = f.string("path", true);
    auto metric_name = f.string("metric", true);
    if (path && !valid_path(*path))
      f.error(f.get("path"), fmt::format("bad path '{}': use dotted keys like 'a.b'", *path));
    std::optional<hearth::metric> met;
    if (metric_name) {
      met = metric_from_name(*metric_name);
      if (!met) f.error(f.get("metric"), fmt::format("unknown metric '{}'", *metric_name));
    }
    double unit_factor = 1;
    const auto unit = f.string("unit", false);
    if (unit && met) {
      auto it = std::find_if(std::begin(k_units), std::end(k_units),
                             [&](const auto& u) { return u.from == *unit; });
      if (it == std::end(k_units))
        f.error(f.get("unit"), fmt::format("unknown unit '{}'", *unit));
      else if (it->to == "V")
        unit_factor = it->factor;  // a battery voltage: parse_battery_curve checks the rest
      else if (it->to != info(*met).unit)
        f.error(f.get("unit"), fmt::format("unit '{}' does not convert to {} ({})", *unit,
                                           info(*met).name, info(*met).unit));
      else
        unit_factor = it->factor;
    }
    // A battery voltage: scale holds the unit factor, so value x scale is in volts.
    parse_battery_curve(f, m, unit, met, unit_factor);
    m.scale = f.number("scale", false).value_or(1) * unit_factor;
    m.offset = f.number("offset", false).value_or(0);
    m.required = f.boolean("required", false).value_or(false);
    if (met) {
      m.metric = *met;
      m.min = info(*met).min;
      m.max = info(*met).max;
    }
    if (const YAML::Node r = f.get("range"); r.IsDefined()) {
      if (!r.IsSequence() || r.size() != 2) {
        f.error(r, "'range' must be [min, max]");
      } else {
        try {
          m.min = r[0].as<double>();
          m.max = r[1].as<double>();
          if (m.min > m.max) f.error(r, "'range' min is greater than max");
        } catch (const YAML::Exception&) {
          f.error(r, "'range' must hold two numbers");
        }
      }
    }
    if (const YAML::Node mp = f.get("map"); mp.IsDefined()) {
      if (!mp.IsMap()) {
        f.error(mp, "'map' must be a mapping from payload value to reading value");
      } else {
        for (const auto& kv : mp) {
          const std::string& v = kv.second.Scalar();
          double d = 0;
          if (v == "true")
            d = 1;
          else if (v == "false")
            d = 0;
          else {
            try {
              d = kv.second.as<double>();
            } catch (const YAML::Exception&) {
              f.error(kv.second, fmt::format("map value '{}' must be a number or a boolean", v));
              continue;
            }
          }
          if (!m.map.emplace(kv.first.Scalar(), d).second)
            f.error(kv.first, fmt::format("map key '{}' is given twice", kv.first.Scalar()));
        }
      }
    }
    f.finish();
    if (path && met && valid_path(*path)) {
      m.path = *path;
      t.fields.push_back(std::move(m));
    }
  }
  return list.size();
}

void parse_frame(yaml_map& doc, device_type& t) {
  const YAML::Node n = doc.get("frame");
  if (!n.IsDefined()) return;
  yaml_map fm(n, doc.file(), doc.out(), "frame");
  if (!fm.valid()) return;
  frame_spec spec;
  if (auto p = fm.integer("port", false)) spec.port = static_cast<int>(*p);
  const YAML::Node list = fm.get("fields");
  if (!list.IsSequence()) {
    fm.error(list, "'frame.fields' must be a list");
  } else {
    std::set<std::string> names;
    for (const auto& item : list) {
      yaml_map f(item, doc.file(), doc.out(), "frame field");
      if (!f.valid()) continue;
      frame_field ff;
      ff.line = line_of(item);
      auto name = f.string("name", true);
      auto off = f.integer("offset", true);
      auto type = f.string("type", false).value_or("u8");
      auto k = frame_kind(type);
      if (!k) f.error(f.get("type"), fmt::format("unknown frame field type '{}'", type));
      if (auto b = f.integer("bit", false)) {
        if (*b < 0 || *b > 7) f.error(f.get("bit"), "'bit' must be 0..7");
        ff.bit = static_cast<int>(*b);
        if (k && *k != frame_field::kind::bit && f.has("type"))
          f.error(f.get("bit"), "'bit' goes with type 'bit'");
        k = frame_field::kind::bit;
      } else if (k && *k == frame_field::kind::bit) {
        f.error("type 'bit' needs 'bit: 0..7'");
      }
      if (off && *off < 0) f.error(f.get("offset"), "'offset' must not be negative");
      f.finish();
      if (!name || !off || !k || *off < 0) continue;
      if (!names.insert(*name).second)
        f.error(fmt::format("frame field '{}' is defined twice", *name));
      ff.name = *name;
      ff.offset = static_cast<std::size_t>(*off);
      ff.type = *k;
      spec.min_length = std::max(spec.min_length, ff.offset + kind_width(ff.type));
      spec.fields.push_back(ff);
    }
  }
  fm.finish();
  t.frame = std::move(spec);
}

void parse_examples(yaml_map& doc, device_type& t) {
  const YAML::Node list = doc.get("examples");
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    doc.error(list, "'examples' must be a list");
    return;
  }
  for (const auto& item : list) {
    yaml_map e(item, doc.file(), doc.out(), "example");
    if (!e.valid()) continue;
    example ex;
    ex.line = line_of(item);
    ex.name = e.string("name", false).value_or(fmt::format("line {}", ex.line));
    ex.topic = e.string("topic", false).value_or("");
    const YAML::Node p = e.get("payload");
    if (!p.IsDefined())
      e.error("example: missing required key 'payload'");
    else if (auto text = payload_text(p, doc.file(), doc.out()))
      ex.payload = *text;
    ex.rejected = e.string("rejected", false);
    if (auto fe = e.strings("field_errors", false)) ex.field_errors = *fe;
    if (auto et = e.string("event_time", false)) {
      ex.checks_event_time = true;
      if (*et != "receipt") {
        ex.event_time = parse_rfc3339(*et);
        if (!ex.event_time)
          e.error(e.get("event_time"),
                  fmt::format("'event_time' must be an RFC 3339 time or 'receipt', not '{}'", *et));
      }
    }
    const YAML::Node r = e.get("readings");
    if (r.IsDefined() && !r.IsMap() && !(r.IsSequence() && r.size() == 0)) {
      e.error(r, "'readings' must map metric names to values");
    } else if (r.IsMap()) {
      for (const auto& kv : r) {
        const auto m = metric_from_name(kv.first.Scalar());
        if (!m) {
          e.error(kv.first, fmt::format("unknown metric '{}'", kv.first.Scalar()));
          continue;
        }
        if (ex.readings.contains(kv.first.Scalar())) {
          e.error(kv.first, fmt::format("reading '{}' is given twice", kv.first.Scalar()));
          continue;
        }
        const std::string& v = kv.second.Scalar();
        if (v == "true" || v == "false") {
          ex.readings[kv.first.Scalar()] = v == "true" ? 1 : 0;
        } else {
          try {
            ex.readings[kv.first.Scalar()] = kv.second.as<double>();
          } catch (const YAML::Exception&) {
            e.error(kv.second, fmt::format("reading value '{}' must be a number or boolean", v));
          }
        }
      }
    }
    if (!r.IsDefined() && !ex.rejected) e.error("example needs 'readings' or 'rejected'");
    if (r.IsDefined() && ex.rejected)
      e.error(r,
              "an example has 'readings' or 'rejected', not both: a rejected message produces no "
              "readings");
    if (!ex.field_errors.empty() && ex.rejected)
      e.error(e.get("field_errors"), "'field_errors' goes with 'readings', not with 'rejected'");
    e.finish();
    t.examples.push_back(std::move(ex));
  }
}

std::string stem_of(const std::string& file) {
  auto name = std::filesystem::path(file).filename().string();
  if (name.ends_with(".yaml"))
    name.resize(name.size() - 5);
  else if (name.ends_with(".yml"))
    name.resize(name.size() - 4);
  return name;
}

}  // namespace

std::string_view transport_name(transport t) {
  for (const auto& p : k_transports)
    if (p.id == t) return p.name;
  return "?";
}

std::string device_type::subscription() const {
  std::string s = topic;
  if (auto pos = s.find("{external_id}"); pos != std::string::npos) s.replace(pos, 13, "+");
  return s;
}

std::optional<device_type> parse_device_type(const std::string& text, const std::string& file,
                                             diagnostics& out) {
  const auto before = out.size();
  auto root = load_yaml_text(text, file, out);
  if (!root) return std::nullopt;
  yaml_map doc(*root, file, out, "device type");
  if (!doc.valid()) return std::nullopt;
  device_type t;
  t.file = file;
  if (auto name = doc.string("type", true)) {
    t.name = *name;
    t.line = line_of(doc.get("type"));
    if (const auto stem = stem_of(file); !file.empty() && stem != *name && file != "<text>")
      doc.error(doc.get("type"),
                fmt::format("type '{}' must match the file name '{}'", *name, stem));
  }
  if (const auto n = doc.get("name"); n.IsDefined())
    t.human_name = i18n::parse_text(n, file, out, "name");
  t.description = doc.string("description", false).value_or("");
  const transport_profile* profile = nullptr;
  if (auto tr = doc.string("transport", true)) {
    for (const auto& p : k_transports)
      if (p.name == *tr) profile = &p;
    if (!profile)
      doc.error(
          doc.get("transport"),
          fmt::format("unknown transport '{}': use zigbee2mqtt, chirpstack, tts, native or json",
                      *tr));
  }
  if (auto r = doc.string("role", false)) {
    if (*r == "bridge")
      t.role = role::bridge;
    else if (*r != "device")
      doc.error(doc.get("role"), fmt::format("unknown role '{}': use device or bridge", *r));
  }
  const bool bridge = t.role == role::bridge;
  // A Zigbee2MQTT bridge, or a LoRaWAN gateway: its state topic has its own shape.
  const bool z2m_bridge = bridge && profile && profile->id == transport::zigbee2mqtt;
  if (bridge && profile && (profile->id == transport::native || profile->id == transport::json))
    doc.error(doc.get("role"),
              "role 'bridge' is for zigbee2mqtt bridges and chirpstack or tts gateways");
  if (profile) {
    t.transport = profile->id;
    t.topic = bridge ? std::string(bridge_topic(profile->id)) : std::string(profile->default_topic);
    t.external_id_path = bridge ? std::string() : std::string(profile->default_external_id_path);
  }
  bool topic_ok = true;
  if (auto topic = doc.string("topic", false)) {
    t.topic = *topic;
    topic_ok = false;
    if (topic->find('#') != std::string::npos)
      doc.error(doc.get("topic"), "'topic' must not use '#': one device per topic level");
    else if (z2m_bridge &&
             (!topic->ends_with("/bridge/state") || topic->find('+') != std::string::npos ||
              topic->find("{external_id}") != std::string::npos || topic->size() <= 13))
      doc.error(doc.get("topic"),
                fmt::format("a bridge's topic is '<base topic>/bridge/state', not '{}'", *topic));
    else if (bridge && !z2m_bridge && topic->find("{external_id}") == std::string::npos)
      doc.error(doc.get("topic"),
                fmt::format("a gateway's state topic needs an {{external_id}} level (the gateway "
                            "id), as in '{}'",
                            profile ? bridge_topic(profile->id) : ""));
    else
      topic_ok = true;
  }
  if (auto p = doc.string("external_id", false)) {
    if (bridge) {
      doc.error(doc.get("external_id"),
                z2m_bridge ? "a bridge's external id is its topic without '/state'; drop "
                             "'external_id'"
                           : "a gateway's external id is its id in the topic; drop 'external_id'");
    } else if (*p == "topic") {
      t.external_id_path.clear();
    } else if (!valid_path(*p)) {
      doc.error(doc.get("external_id"), fmt::format("bad path '{}' for 'external_id'", *p));
    } else {
      t.external_id_path = *p;
    }
  }
  if (profile && profile->id == transport::json && !doc.has("topic")) {
    doc.error(
        "a json device type needs a 'topic' pattern, e.g. 'nbiot/watermeter/{external_id}/report'");
    topic_ok = false;
  }
  if (profile && topic_ok && !bridge && t.external_id_path.empty() &&
      t.topic.find("{external_id}") == std::string::npos)
    doc.error(doc.get("topic"),
              "the topic has no {external_id} segment and no 'external_id' payload path is set");
  // Event time and frame counter: fixed by the other transports, declared by a json type.
  t.event_time = parse_event_time(doc);
  if (auto fc = doc.string("frame_counter", false)) {
    if (!valid_path(*fc))
      doc.error(doc.get("frame_counter"), fmt::format("bad path '{}' for 'frame_counter'", *fc));
    else
      t.frame_counter_path = *fc;
  }
  if (profile && profile->id != transport::json)
    for (const char* key : {"event_time", "frame_counter"})
      if (doc.has(key))
        doc.error(doc.get(key), fmt::format("'{}' is for the json transport; {} fixes where it is",
                                            key, profile->name));
  if (auto d = doc.duration_value("report_interval", false)) t.report_interval = *d;
  t.life_safety = doc.boolean("life_safety", false).value_or(false);
  if (auto w = doc.number("counter_wrap", false)) {
    if (*w <= 0)  // in the counter's unit: 2^32 Wh is 4294967.296 kWh
      doc.error(doc.get("counter_wrap"), fmt::format("'counter_wrap' must be above 0, not {}", *w));
    else
      t.counter_wrap = *w;
  }
  const auto field_entries = parse_fields(doc, t);
  bool native_metrics = false;
  if (auto ms = doc.strings("metrics", false)) {
    native_metrics = true;
    if (t.transport != transport::native)
      doc.error(doc.get("metrics"),
                "'metrics' is for native types; other types report what their fields map to");
    for (const auto& m : *ms) {
      if (auto met = metric_from_name(m))
        t.reports.set(static_cast<std::size_t>(*met));
      else
        doc.error(doc.get("metrics"), fmt::format("unknown metric '{}' in 'metrics'", m));
    }
  }
  parse_frame(doc, t);
  parse_examples(doc, t);
  doc.finish();
  // What a device of the type can report: how rules and lanes see it (DESIGN.md).
  for (const auto& f : t.fields)
    t.reports.set(static_cast<std::size_t>(f.metric));
  if (bridge || t.transport == transport::zigbee2mqtt)  // a state topic, or availability
    t.reports.set(static_cast<std::size_t>(metric::device_online));
  if (t.transport == transport::native && !native_metrics) t.reports.set();  // anything
  for (auto m : k_life_safety_metrics)
    if (t.can_report(m)) t.life_safety = true;
  if (!profile) {
    // Without a transport, nothing else about the fields can be judged.
  } else if (bridge && field_entries > 0)
    doc.error(doc.get("fields"),
              "a bridge takes no 'fields': its reading is device.online from its state topic");
  else if (t.transport == transport::native && field_entries > 0)
    doc.error(doc.get("fields"),
              "a native device type carries canonical metrics and takes no 'fields'");
  else if (t.transport != transport::native && !bridge && field_entries == 0)
    doc.error("a device type needs at least one entry in 'fields'");
  if (t.frame && t.transport != transport::chirpstack && t.transport != transport::tts)
    doc.error(doc.get("frame"), "'frame' decoding is for LoRaWAN transports (chirpstack, tts)");
  if (t.counter_wrap && std::none_of(t.fields.begin(), t.fields.end(),
                                     [](const field_mapping& f) { return is_counter(f.metric); }))
    doc.error(doc.get("counter_wrap"),
              "'counter_wrap' needs a field mapped to a counter (water.total_l, power.total_kwh)");
  if (out.size() != before) return std::nullopt;
  return t;
}

catalog catalog::load_files(const std::vector<std::string>& files, diagnostics& out) {
  catalog c;
  for (const auto& f : files) {
    const auto text = read_definition_file(f, out);
    if (!text) continue;
    if (auto t = parse_device_type(*text, f, out)) {
      if (c.find(t->name))
        out.push_back({f, 1, fmt::format("device type '{}' is defined twice", t->name)});
      else
        c.add(std::move(*t));
    }
  }
  return c;
}

catalog catalog::load_dir(const std::string& dir, diagnostics& out) {
  return load_files(definition_files(dir, out), out);
}

void catalog::add(device_type t) {
  auto p = std::make_shared<const device_type>(std::move(t));
  by_name_[p->name] = p;
  types_.push_back(std::move(p));
}

const device_type* catalog::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

std::optional<std::string> z2m_base_topic(const device_type& t) {
  if (t.transport != transport::zigbee2mqtt) return std::nullopt;
  if (t.role == role::bridge)
    return t.topic.substr(0, t.topic.size() - std::string_view("/bridge/state").size());
  const auto pos = t.topic.find("/{external_id}");
  if (pos != std::string::npos) return t.topic.substr(0, pos);
  return t.topic.substr(0, t.topic.find('/'));
}

std::optional<std::string> bridge_external_id(const device_type& t) {
  if (t.role == role::bridge) return std::nullopt;
  auto base = z2m_base_topic(t);
  if (!base) return std::nullopt;
  return *base + "/bridge";
}

std::vector<std::string> catalog::subscriptions() const {
  std::set<std::string> subs;
  for (const auto& t : types_) {
    subs.insert(t->subscription());
    if (t->transport == transport::zigbee2mqtt && t->role != role::bridge) {
      // Availability of each device and the bridge's own state (DESIGN.md, transports).
      subs.insert(t->subscription() + "/availability");
      subs.insert(*z2m_base_topic(*t) + "/bridge/state");
    }
  }
  return {subs.begin(), subs.end()};
}

}  // namespace hearth::catalog
