// SPDX-License-Identifier: Apache-2.0
#include "normalize/normalizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "base/time.hpp"

namespace hearth::normalize {
namespace json = boost::json;
using catalog::transport;

namespace {

const json::value* at_path(const json::value& root, std::string_view path) {
  const json::value* cur = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const auto key = path.substr(0, dot);
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

std::optional<std::string> string_at(const json::value& root, std::string_view path) {
  const auto* v = at_path(root, path);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::uint32_t> u32_at(const json::value& root, std::string_view path) {
  const auto* v = at_path(root, path);
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= 0xffffffffLL)
    return static_cast<std::uint32_t>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= 0xffffffffULL)
    return static_cast<std::uint32_t>(v->get_uint64());
  return std::nullopt;
}

/// The text form of a scalar, used as the key into a field's `map`.
std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  return {};
}

std::optional<double> number_of(const json::value& v) {
  if (v.is_bool()) return v.get_bool() ? 1.0 : 0.0;
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  if (v.is_string()) {
    const auto s = v.get_string();
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc{} && p == s.data() + s.size()) return d;
  }
  return std::nullopt;
}

error field_error(const char* code, const std::string& message) {
  return make_error(code, message);
}

result<time_point> time_field(const json::value& doc, std::string_view path, bool required) {
  const auto* v = at_path(doc, path);
  if (!v) {
    if (required) return field_error(reason::missing_field, fmt::format("no '{}' field", path));
    return time_point{};
  }
  if (!v->is_string())
    return field_error(reason::bad_timestamp, fmt::format("'{}' is not an RFC 3339 string", path));
  auto t = parse_rfc3339(v->get_string());
  if (!t)
    return field_error(reason::bad_timestamp,
                       fmt::format("'{}' is not an RFC 3339 time: '{}'", path,
                                   std::string_view(v->get_string()).substr(0, 40)));
  if (auto c = check_event_time(*t, path); !c) return c.err();
  return *t;
}

/// The event time of a json type: absent or null means receipt time (nullopt); present but
/// unusable rejects the message (`bad-timestamp`), since a wrong time misplaces every reading.
result<std::optional<time_point>> json_event_time(const json::value& doc,
                                                  const catalog::event_time_spec& spec) {
  using f = catalog::time_format;
  const auto* v = at_path(doc, spec.path);
  if (!v || v->is_null()) return std::optional<time_point>{};
  if (spec.format == f::rfc3339) {
    auto t = time_field(doc, spec.path, false);
    if (!t) return t.err();
    return std::optional<time_point>{*t};
  }
  const char* unit = spec.format == f::epoch_s ? "seconds" : "milliseconds";
  const auto n = v->is_bool() ? std::nullopt : number_of(*v);
  if (!n || !std::isfinite(*n) || *n < 0)
    return field_error(reason::bad_timestamp,
                       fmt::format("'{}' is not a count of epoch {}", spec.path, unit));
  const double ms = spec.format == f::epoch_s ? *n * 1000 : *n;
  // Before 2000 (or past 9999) is no meter's clock: most likely seconds sent as milliseconds
  // or the other way round, or a clock that was never set.
  constexpr double k_2000_ms = 946'684'800'000.0, k_9999_ms = 253'402'300'799'000.0;
  if (ms < k_2000_ms || ms > k_9999_ms)
    return field_error(reason::bad_timestamp,
                       fmt::format("'{}' = {} epoch {} is not between 2000 and 9999 (is the "
                                   "format epoch_s or epoch_ms?)",
                                   spec.path, *n, unit));
  return std::optional<time_point>{
      time_point{duration{static_cast<std::int64_t>(std::llround(ms))}}};
}

}  // namespace

status check_event_time(time_point t, std::string_view field) {
  if (t >= k_earliest_event_time) return ok();
  return field_error(reason::bad_timestamp,
                     fmt::format("'{}' is {}, before 2000: the device's clock is not set", field,
                                 format_rfc3339(t)));
}

std::optional<std::string_view> match_topic(std::string_view pattern, std::string_view topic) {
  std::string_view ext;
  while (true) {
    const auto ps = pattern.find('/');
    const auto ts = topic.find('/');
    const auto p = pattern.substr(0, ps);
    const auto t = topic.substr(0, ts);
    if (p == "{external_id}") {
      if (t.empty()) return std::nullopt;
      ext = t;
    } else if (p == "+") {
      if (t.empty()) return std::nullopt;
    } else if (p != t) {
      return std::nullopt;
    }
    if (ps == std::string_view::npos || ts == std::string_view::npos) {
      if (ps == std::string_view::npos && ts == std::string_view::npos) return ext;
      return std::nullopt;
    }
    pattern.remove_prefix(ps + 1);
    topic.remove_prefix(ts + 1);
  }
}

std::optional<result<z2m_status>> z2m_status_topic(std::string_view topic,
                                                   std::string_view payload) {
  std::string ext;
  if (topic.ends_with("/bridge/state")) {
    ext = std::string(topic.substr(0, topic.size() - 6));  // "<base>/bridge"
  } else if (topic.ends_with("/availability")) {
    auto rest = topic.substr(0, topic.size() - 13);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) return std::nullopt;
    ext = std::string(rest.substr(slash + 1));
  } else {
    return std::nullopt;
  }
  std::string state;
  if (payload == "online" || payload == "offline") {
    state = std::string(payload);  // Zigbee2MQTT before 1.28 sent plain text
  } else {
    auto doc = parse_json(payload);
    if (!doc) return result<z2m_status>(doc.err());
    auto s = string_at(*doc, "state");
    if (!s) return result<z2m_status>(field_error(reason::missing_field, "no 'state' field"));
    state = *s;
  }
  if (state != "online" && state != "offline")
    return result<z2m_status>(field_error(
        reason::wrong_type,
        fmt::format("'state' must be online or offline, not '{}'", state.substr(0, 40))));
  return result<z2m_status>(z2m_status{std::move(ext), state == "online"});
}

result<json::value> parse_json(std::string_view payload, json::storage_ptr storage) {
  if (payload.size() > k_max_payload)
    return field_error(reason::oversized, fmt::format("payload is {} bytes; the limit is {}",
                                                      payload.size(), k_max_payload));
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 32;
  auto v = json::parse(payload, ec, std::move(storage), opt);
  if (ec)
    return field_error(reason::malformed_json, fmt::format("not valid JSON: {}", ec.message()));
  if (!v.is_object())
    return field_error(reason::malformed_json, "the payload is not a JSON object");
  return v;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=')
    in.remove_suffix(1);
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character cannot be a whole byte
  return out;
}

result<json::value> decode_frame(const catalog::frame_spec& spec, std::string_view bytes) {
  if (bytes.size() < spec.min_length)
    return field_error(reason::bad_frame, fmt::format("frame is {} bytes; the type needs {}",
                                                      bytes.size(), spec.min_length));
  auto u = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  json::object o;
  using k = catalog::frame_field::kind;
  for (const auto& f : spec.fields) {
    const auto o0 = f.offset;
    std::int64_t v = 0;
    switch (f.type) {
      case k::u8:
        v = u(o0);
        break;
      case k::i8:
        v = static_cast<std::int8_t>(u(o0));
        break;
      case k::u16le:
        v = u(o0) | u(o0 + 1) << 8;
        break;
      case k::u16be:
        v = u(o0) << 8 | u(o0 + 1);
        break;
      case k::i16le:
        v = static_cast<std::int16_t>(u(o0) | u(o0 + 1) << 8);
        break;
      case k::i16be:
        v = static_cast<std::int16_t>(u(o0) << 8 | u(o0 + 1));
        break;
      case k::u32le:
        v = u(o0) | u(o0 + 1) << 8 | u(o0 + 2) << 16 | u(o0 + 3) << 24;
        break;
      case k::u32be:
        v = u(o0) << 24 | u(o0 + 1) << 16 | u(o0 + 2) << 8 | u(o0 + 3);
        break;
      case k::i32le:
        v = static_cast<std::int32_t>(u(o0) | u(o0 + 1) << 8 | u(o0 + 2) << 16 | u(o0 + 3) << 24);
        break;
      case k::i32be:
        v = static_cast<std::int32_t>(u(o0) << 24 | u(o0 + 1) << 16 | u(o0 + 2) << 8 | u(o0 + 3));
        break;
      case k::bit:
        o[f.name] = ((u(o0) >> f.bit) & 1u) != 0;
        continue;
    }
    o[f.name] = v;
  }
  return json::value(std::move(o));
}

result<std::string> external_id_of(const catalog::device_type& type, std::string_view topic,
                                   const json::value& doc) {
  auto from_topic = match_topic(type.topic, topic);
  if (!from_topic)
    return field_error(reason::unknown_topic,
                       fmt::format("topic does not match the type's pattern '{}'", type.topic));
  std::string id(*from_topic);
  if (!type.external_id_path.empty()) {
    auto from_payload = string_at(doc, type.external_id_path);
    if (!from_payload)
      return field_error(reason::missing_field,
                         fmt::format("no '{}' field", type.external_id_path));
    id = std::move(*from_payload);
  }
  if (id.empty()) return field_error(reason::missing_field, "the external id is empty");
  return id;
}

result<envelope> open_envelope(const catalog::device_type& type, std::string_view topic,
                               json::value doc) {
  envelope env;
  auto id = external_id_of(type, topic, doc);
  if (!id) return id.err();
  env.external_id = std::move(id.value());

  auto frame_object = [&](std::string_view data_path,
                          std::string_view port_path) -> result<json::value> {
    if (!type.frame)
      return field_error(reason::missing_field,
                         "no decoded object, and the type declares no 'frame' to decode the bytes");
    auto b64 = string_at(doc, data_path);
    if (!b64) return field_error(reason::missing_field, fmt::format("no '{}' field", data_path));
    if (type.frame->port) {
      const auto port = u32_at(doc, port_path);
      if (!port || static_cast<int>(*port) != *type.frame->port)
        return field_error(reason::bad_frame,
                           fmt::format("frame is not on port {}", *type.frame->port));
    }
    auto bytes = base64_decode(*b64);
    if (!bytes) return field_error(reason::bad_frame, fmt::format("'{}' is not base64", data_path));
    return decode_frame(*type.frame, *bytes);
  };

  switch (type.transport) {
    case transport::zigbee2mqtt:
      env.object = std::move(doc);
      break;
    case transport::native: {
      auto t = time_field(doc, "ts", true);
      if (!t) return t.err();
      env.event_time = *t;
      const auto* m = at_path(doc, "metrics");
      if (!m) return field_error(reason::missing_field, "no 'metrics' field");
      if (!m->is_object()) return field_error(reason::wrong_type, "'metrics' must be an object");
      env.object = *m;
      break;
    }
    case transport::chirpstack: {
      auto t = time_field(doc, "time", false);
      if (!t) return t.err();
      if (t.value() != time_point{}) env.event_time = *t;
      env.frame_counter = u32_at(doc, "fCnt");
      if (const auto* o = at_path(doc, "object"); o && o->is_object()) {
        env.object = *o;
      } else {
        auto fo = frame_object("data", "fPort");
        if (!fo) return fo.err();
        env.object = std::move(fo.value());
      }
      break;
    }
    case transport::tts: {
      auto t = time_field(doc, "received_at", false);
      if (!t) return t.err();
      if (t.value() != time_point{}) env.event_time = *t;
      env.frame_counter = u32_at(doc, "uplink_message.f_cnt");
      if (const auto* o = at_path(doc, "uplink_message.decoded_payload"); o && o->is_object()) {
        env.object = *o;
      } else {
        auto fo = frame_object("uplink_message.frm_payload", "uplink_message.f_port");
        if (!fo) return fo.err();
        env.object = std::move(fo.value());
      }
      break;
    }
    case transport::json: {
      if (type.event_time) {
        auto t = json_event_time(doc, *type.event_time);
        if (!t) return t.err();
        env.event_time = *t;
      }
      if (!type.frame_counter_path.empty())
        env.frame_counter = u32_at(doc, type.frame_counter_path);
      env.object = std::move(doc);
      break;
    }
  }
  return env;
}

namespace {

/// Checks one value against its valid range and returns the reading or a field error.
std::optional<value> checked(metric m, double v, double min, double max, std::string_view field,
                             std::vector<error>& errors) {
  if (!std::isfinite(v) || v < min || v > max) {
    errors.push_back(field_error(
        reason::out_of_range,
        fmt::format("{} = {} is outside [{}, {}] for {}", field, v, min, max, name(m))));
    return std::nullopt;
  }
  if (info(m).boolean) v = v != 0 ? 1 : 0;
  return value{m, v};
}

/// A boolean metric takes true or false, a quantity a number: `water.total_l: true` is
/// not one litre, and `sos.pressed: 1` is not a press. (A type that receives 0/1 for a
/// state maps it explicitly with `map: {"1": true, "0": false}`.)
std::optional<error> type_mismatch(metric m, const json::value& v, std::string_view field) {
  if (info(m).boolean && !v.is_bool())
    return field_error(reason::wrong_type,
                       fmt::format("'{}' is true or false for {}, not {}", field, name(m),
                                   scalar_text(v).substr(0, 40)));
  if (!info(m).boolean && v.is_bool())
    return field_error(reason::wrong_type,
                       fmt::format("'{}' must be a number for {}, not {}", field, name(m),
                                   v.get_bool() ? "true" : "false"));
  return std::nullopt;
}

}  // namespace

result<decoded> map_fields(const catalog::device_type& type, const envelope& env) {
  decoded out;
  out.event_time = env.event_time;
  if (type.transport == transport::native) {
    for (const auto& [key, v] : env.object.get_object()) {
      const auto m = metric_from_name(key);
      if (!m) {
        out.field_errors.push_back(field_error(
            reason::unknown_metric,
            fmt::format("'{}' is not a canonical metric", std::string_view(key).substr(0, 60))));
        continue;
      }
      if (!type.can_report(*m)) {  // its type declares `metrics:` without this one
        out.field_errors.push_back(field_error(
            reason::unknown_metric, fmt::format("type {} does not report '{}' (its 'metrics')",
                                                type.name, std::string_view(key))));
        continue;
      }
      const auto n = number_of(v);
      if (!n || v.is_string()) {
        out.field_errors.push_back(
            field_error(reason::wrong_type,
                        fmt::format("'{}' must be a number or a boolean", std::string_view(key))));
        continue;
      }
      if (auto e = type_mismatch(*m, v, std::string_view(key))) {
        out.field_errors.push_back(std::move(*e));
        continue;
      }
      if (auto r = checked(*m, *n, info(*m).min, info(*m).max, key, out.field_errors))
        out.values.push_back(*r);
    }
    if (out.values.empty() && !out.field_errors.empty()) return out.field_errors.front();
    return out;
  }
  for (const auto& f : type.fields) {
    const auto* v = at_path(env.object, f.path);
    if (!v || v->is_null()) {
      if (f.required)
        return field_error(reason::missing_field, fmt::format("no '{}' field", f.path));
      continue;
    }
    double d = 0;
    if (!f.map.empty()) {
      auto it = f.map.find(scalar_text(*v));
      if (it == f.map.end()) continue;  // a value the type does not map (e.g. action "single")
      d = it->second;
    } else {
      auto n = number_of(*v);
      if (!n) {
        out.field_errors.push_back(field_error(
            reason::wrong_type, fmt::format("'{}' is not a number or a boolean", f.path)));
        continue;
      }
      if (auto e = type_mismatch(f.metric, *v, f.path)) {
        out.field_errors.push_back(std::move(*e));
        continue;
      }
      d = *n * f.scale + f.offset;
      if (f.battery) {
        // d is in volts. Far outside the declared span is a mis-declared unit (mV sent as V),
        // not a battery state: rejected alone, like any out-of-range value.
        const auto [empty, full] = *f.battery;
        if (!std::isfinite(d) || d < 0 || d > 1.5 * full) {
          out.field_errors.push_back(field_error(
              reason::out_of_range,
              fmt::format("{} = {} V is not a plausible voltage for a battery that is full at {} V",
                          f.path, d, full)));
          continue;
        }
        d = std::clamp((d - empty) / (full - empty) * 100, 0.0, 100.0);
      }
    }
    if (auto r = checked(f.metric, d, f.min, f.max, f.path, out.field_errors))
      out.values.push_back(*r);
  }
  if (out.values.empty() && !out.field_errors.empty()) return out.field_errors.front();
  return out;
}

result<decoded> decode(const catalog::device_type& type, std::string_view topic,
                       std::string_view payload) {
  if (type.transport == transport::zigbee2mqtt) {
    if (auto st = z2m_status_topic(topic, payload)) {
      if (!*st) return st->err();
      return decoded{{value{metric::device_online, (*st)->online ? 1.0 : 0.0}}, {}, std::nullopt};
    }
  }
  auto doc = parse_json(payload);
  if (!doc) return doc.err();
  auto env = open_envelope(type, topic, std::move(doc.value()));
  if (!env) return env.err();
  return map_fields(type, *env);
}

}  // namespace hearth::normalize
