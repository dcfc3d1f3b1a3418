// SPDX-License-Identifier: Apache-2.0
#pragma once
/// LoRaWAN gateways, as the network servers tell of them. Pure functions.
///
/// - ChirpStack v4: the ChirpStack Gateway Bridge publishes each gateway's connection state,
///   retained, on `<region prefix>/gateway/<gateway id>/state/conn` as a `gw.ConnState`:
///   JSON `{"gatewayId": "0016c001f153a14c", "state": "ONLINE"}` or protobuf (the bridge's
///   default marshaler). In proto3 JSON a default value may be left out, so a message
///   without `state` means OFFLINE (enum value 0).
/// - The Things Stack v3: gateway connection events (`gs.gateway.connect`,
///   `gs.gateway.disconnect`) come from its Events API, not from its MQTT server; an
///   integrator forwards them to a topic of the gateway type (one event a message, bare or
///   wrapped in `{"result": ...}` as the event stream sends them).
/// - Which gateways heard an uplink: ChirpStack `rxInfo[].gatewayId`, The Things Stack
///   `uplink_message.rx_metadata[].gateway_ids.gateway_id` (and `.eui`).

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "catalog/device_type.hpp"

namespace hearth::normalize {

struct gateway_status {
  std::string external_id;     ///< the gateway id, from the topic
  std::optional<bool> online;  ///< nullopt: an event that says nothing of the connection
};

/// The state message of a gateway type (role bridge, transport chirpstack or tts).
result<gateway_status> gateway_state(const catalog::device_type& type, std::string_view topic,
                                     std::string_view payload);

/// The ids of the gateways that heard an uplink (empty for other transports), at most 8.
std::vector<std::string> uplink_gateways(catalog::transport t, const boost::json::value& doc);

}  // namespace hearth::normalize
