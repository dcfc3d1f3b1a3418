// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Decoding and normalization: from a raw MQTT message and a device type to canonical
/// values. Pure functions; no registry, no clock, no I/O. Rejections are `error` values
/// whose `code` is the quarantine reason and the metric label.
///
/// Two steps, so that the payload is parsed once:
///  1. `open_envelope` applies the transport (Zigbee2MQTT, ChirpStack v4, The Things
///     Stack v3, native, json): external id, event time, frame counter, and the object the
///     field paths read (the decoded object, or fields decoded from the binary frame; for
///     json the whole payload, with the time and counter where the type declares them).
///  2. `map_fields` applies the device type's field mappings to that object.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"
#include "base/result.hpp"
#include "catalog/device_type.hpp"

namespace hearth::normalize {

inline constexpr std::size_t k_max_payload = 64 * 1024;

/// An event time before this cannot be true: no device hearth serves reported before
/// 2000, and a clock that says 1970 was never set. Such a message is `bad-timestamp`.
inline constexpr time_point k_earliest_event_time{std::chrono::milliseconds{946'684'800'000}};

/// Rejects an impossible event time (`bad-timestamp`); `field` names it in the message.
status check_event_time(time_point t, std::string_view field);

/// Reason codes (quarantine `reason`, `/metrics` label `reason`).
namespace reason {
inline constexpr const char* oversized = "oversized";
inline constexpr const char* malformed_json = "malformed-json";
inline constexpr const char* missing_field = "missing-field";
inline constexpr const char* wrong_type = "wrong-type";
inline constexpr const char* out_of_range = "out-of-range";
inline constexpr const char* bad_timestamp = "bad-timestamp";
inline constexpr const char* future_timestamp = "future-timestamp";
inline constexpr const char* bad_frame = "bad-frame";
inline constexpr const char* unknown_metric = "unknown-metric";
inline constexpr const char* unknown_topic = "unknown-topic";
inline constexpr const char* unregistered_device = "unregistered-device";
inline constexpr const char* wrong_device_type = "wrong-device-type";
inline constexpr const char* duplicate = "duplicate";
inline constexpr const char* overload = "overload";
}  // namespace reason

struct envelope {
  std::string external_id;
  std::optional<time_point> event_time;        ///< from the payload; nullopt: use receipt time
  std::optional<std::uint32_t> frame_counter;  ///< LoRaWAN fCnt (or json's), for duplicates
  boost::json::value object;                   ///< what field paths read (an object)
};

/// One canonical value; the device and time are attached by the pipeline.
struct value {
  hearth::metric metric;
  double v;
  bool operator==(const value&) const = default;
};

struct decoded {
  std::vector<value> values;
  /// Fields that were present but unusable (out of range, wrong type). The message's
  /// other values still count: a bad battery figure must not drop an SOS press.
  std::vector<error> field_errors;
  std::optional<time_point> event_time;  ///< the envelope's; nullopt: receipt time
};

/// Matches `topic` against a device-type pattern ("zigbee2mqtt/{external_id}", '+' for any
/// one level). Returns the external id, a view into `topic` ("" when the pattern has none).
/// Allocates nothing: it runs for each type a message might belong to.
std::optional<std::string_view> match_topic(std::string_view pattern, std::string_view topic);

/// Zigbee2MQTT status topics: `<base>/<name>/availability` and `<base>/bridge/state`.
/// Returns the external id ("<base>/bridge" for the bridge) and the online flag, or nullopt
/// when the topic is not a status topic. Accepts `{"state":"online"}` and plain `online`.
struct z2m_status {
  std::string external_id;
  bool online;
};
std::optional<result<z2m_status>> z2m_status_topic(std::string_view topic,
                                                   std::string_view payload);

/// Parses a payload that must be a JSON object, at most 32 levels deep. `storage` is where
/// its values live (the pipeline parses each message into an arena it reuses).
result<boost::json::value> parse_json(std::string_view payload,
                                      boost::json::storage_ptr storage = {});

/// The external id alone, as the transport of `type` finds it (topic or payload path).
/// Enough to look the device up before its own type decodes the message.
result<std::string> external_id_of(const catalog::device_type& type, std::string_view topic,
                                   const boost::json::value& doc);

result<envelope> open_envelope(const catalog::device_type& type, std::string_view topic,
                               boost::json::value doc);

result<decoded> map_fields(const catalog::device_type& type, const envelope& env);

/// Both steps, for tests and `hearthd devices test`.
result<decoded> decode(const catalog::device_type& type, std::string_view topic,
                       std::string_view payload);

/// Standard base64 (RFC 4648, padding optional). nullopt on a bad character.
std::optional<std::string> base64_decode(std::string_view in);

/// Decodes a binary frame into an object of named fields.
result<boost::json::value> decode_frame(const catalog::frame_spec& spec, std::string_view bytes);

}  // namespace hearth::normalize
