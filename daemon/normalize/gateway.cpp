// SPDX-License-Identifier: Apache-2.0
#include "normalize/gateway.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cstdint>

#include "normalize/normalizer.hpp"

namespace hearth::normalize {
namespace json = boost::json;

namespace {

/// protobuf `gw.ConnState`: field 2 (varint) is the state; absent means OFFLINE (0). Other
/// fields (the gateway id, 1 and 3) are skipped. nullopt when the bytes are not protobuf.
std::optional<bool> conn_state_protobuf(std::string_view b) {
  std::size_t i = 0;
  auto varint = [&]() -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && i < b.size(); shift += 7) {
      const auto c = static_cast<unsigned char>(b[i++]);
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    return std::nullopt;
  };
  bool online = false;
  while (i < b.size()) {
    const auto tag = varint();
    if (!tag || (*tag >> 3) == 0) return std::nullopt;
    switch (*tag & 7) {
      case 0: {
        const auto v = varint();
        if (!v) return std::nullopt;
        if ((*tag >> 3) == 2) online = *v == 1;
        break;
      }
      case 2: {
        const auto len = varint();
        if (!len || *len > b.size() - i) return std::nullopt;
        i += static_cast<std::size_t>(*len);
        break;
      }
      default:
        return std::nullopt;  // ConnState has no other wire types
    }
  }
  return online;
}

const json::value* member(const json::value& v, std::string_view k) {
  const auto* o = v.if_object();
  return o ? o->if_contains(k) : nullptr;
}

std::optional<std::string> text(const json::value* v) {
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

result<gateway_status> gateway_state(const catalog::device_type& type, std::string_view topic,
                                     std::string_view payload) {
  auto ext = match_topic(type.topic, topic);
  if (!ext || ext->empty())
    return make_error(reason::unknown_topic, "not this gateway type's state topic");
  gateway_status st{std::string(*ext), std::nullopt};
  const auto first = payload.find_first_not_of(" \t\r\n");
  const bool is_json = first != std::string_view::npos && payload[first] == '{';
  if (type.transport == catalog::transport::chirpstack) {
    if (!is_json) {
      auto on = conn_state_protobuf(payload);
      if (!on)
        return make_error(reason::bad_frame,
                          "not a ChirpStack gateway state (ConnState as JSON or protobuf)");
      st.online = *on;
      return st;
    }
    auto doc = parse_json(payload);
    if (!doc) return doc.err();
    const auto* s = member(*doc, "state");
    if (!s) {
      st.online = false;  // proto3 JSON leaves the default (OFFLINE) out
    } else if (s->is_string() && (s->get_string() == "ONLINE" || s->get_string() == "OFFLINE")) {
      st.online = s->get_string() == "ONLINE";
    } else if (s->is_int64() && (s->get_int64() == 0 || s->get_int64() == 1)) {
      st.online = s->get_int64() == 1;
    } else {
      return make_error(reason::wrong_type, "'state' must be ONLINE or OFFLINE");
    }
    return st;
  }
  // The Things Stack: one event from its Events API.
  auto doc = parse_json(payload);
  if (!doc) return doc.err();
  const json::value* ev = &*doc;
  if (const auto* r = member(*doc, "result")) ev = r;
  const auto name = text(member(*ev, "name"));
  if (!name) return make_error(reason::missing_field, "no event 'name'");
  if (*name == "gs.gateway.connect") st.online = true;
  if (*name == "gs.gateway.disconnect") st.online = false;
  return st;
}

std::vector<std::string> uplink_gateways(catalog::transport t, const json::value& doc) {
  std::vector<std::string> out;
  const json::value* list = nullptr;
  if (t == catalog::transport::chirpstack)
    list = member(doc, "rxInfo");
  else if (t == catalog::transport::tts)
    if (const auto* up = member(doc, "uplink_message")) list = member(*up, "rx_metadata");
  if (!list || !list->is_array()) return out;
  auto keep = [&](std::optional<std::string> id) {
    if (id && !id->empty() && id->size() <= 64 && out.size() < 8) out.push_back(std::move(*id));
  };
  for (const auto& rx : list->get_array()) {
    if (t == catalog::transport::chirpstack) {
      keep(text(member(rx, "gatewayId")));
    } else if (const auto* ids = member(rx, "gateway_ids")) {
      // Either may be what the registry knows the gateway by.
      keep(text(member(*ids, "gateway_id")));
      keep(text(member(*ids, "eui")));
    }
  }
  return out;
}

}  // namespace hearth::normalize
