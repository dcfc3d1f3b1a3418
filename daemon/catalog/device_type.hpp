// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Device-type definitions: one YAML file in `devices/` each (format in the README and
/// `schemas/device-type.schema.json`). Parsing is a pure function from text to a
/// `device_type` plus diagnostics; `catalog` scans a folder. Definitions are immutable
/// once loaded; a reload builds a new catalog and swaps it in on the domain thread.

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/diagnostic.hpp"
#include "base/metric.hpp"
#include "i18n/text.hpp"

namespace hearth::catalog {

enum class transport { zigbee2mqtt, chirpstack, tts, native, json };
std::string_view transport_name(transport t);

/// A binary frame field, decoded from the base64 uplink when the network server did not
/// decode it. Decoded fields form an object whose keys the `fields:` paths then read.
struct frame_field {
  std::string name;
  std::size_t offset = 0;
  enum class kind {
    u8,
    u16le,
    u16be,
    u32le,
    u32be,
    i8,
    i16le,
    i16be,
    i32le,
    i32be,
    bit
  } type = kind::u8;
  int bit = 0;  ///< for kind::bit
  int line = 0;
};

struct frame_spec {
  std::optional<int> port;  ///< only frames on this fPort are decoded
  std::vector<frame_field> fields;
  std::size_t min_length = 0;  ///< derived: the frame must hold every field
};

/// A battery voltage read as `device.battery_pct`: linear from `empty_v` (0 %) to `full_v`
/// (100 %), clamped to that span (a fresh cell reads a little above its nominal voltage).
struct battery_curve {
  double empty_v = 0;  ///< volts
  double full_v = 0;   ///< volts; > empty_v
};

/// How a `json` type's event time is written: an RFC 3339 string, or epoch seconds or
/// milliseconds (a number, or a string of digits).
enum class time_format { rfc3339, epoch_s, epoch_ms };

/// Where a `json` type reads the event time, and how it is written there.
struct event_time_spec {
  std::string path;  ///< dotted payload path
  time_format format = time_format::rfc3339;
};

/// One payload field mapped onto a canonical metric.
struct field_mapping {
  std::string path;  ///< dotted path from the transport's object root: "battery", "a.b"
  hearth::metric metric;
  double scale = 1;  ///< value * scale + offset, after unit conversion
  double offset = 0;
  double min = 0;  ///< valid range (defaults to the metric's range)
  double max = 0;
  /// Maps a scalar, as text ("emergency", "true", "1"), to a value. When a map is given,
  /// values not in it produce no reading (e.g. z2m `action: single` on an SOS button).
  std::map<std::string, double> map;
  bool required = false;  ///< absence is a `missing-field` rejection
  /// Unit V or mV on `device.battery_pct`: the value (times the unit factor, in volts) goes
  /// through this curve instead of scale and offset.
  std::optional<battery_curve> battery;
  int line = 0;
};

/// An example: an input and the exact readings it must produce (`hearthd devices test`).
struct example {
  std::string name;
  std::string topic;                       ///< defaults to the pattern with a sample external id
  std::string payload;                     ///< raw text, as it would arrive on the wire
  std::map<std::string, double> readings;  ///< metric name -> value (booleans as 0/1)
  std::optional<std::string> rejected;     ///< or: the rejection reason it must produce
  /// Reasons of single fields it must reject while keeping the rest ("out-of-range").
  std::vector<std::string> field_errors;
  /// When `checks_event_time`: the event time the message must carry (nullopt: none, so the
  /// reading is stored at its receipt time). Written `event_time: <RFC 3339>` or `receipt`.
  bool checks_event_time = false;
  std::optional<time_point> event_time;
  int line = 0;
};

/// What a device of the type is. A `bridge` is what other devices report through: a
/// Zigbee2MQTT bridge (coordinator and zigbee2mqtt process: its one reading is
/// `device.online`, from `<base>/bridge/state`; its external id is `<base>/bridge`; the
/// devices behind it are the zigbee2mqtt devices under the same base topic,
/// `bridge_external_id`), or a LoRaWAN gateway (chirpstack: its connection state; tts: its
/// connection events; its external id is the gateway id in the topic; the devices behind it
/// are learned from the gateway ids in their uplinks).
enum class role { device, bridge };

/// Metrics that make a device life-safety on every transport (DESIGN.md): its messages take
/// the priority lane and the priority session.
inline constexpr metric k_life_safety_metrics[] = {metric::sos_pressed, metric::smoke_alarm,
                                                   metric::gas_alarm, metric::gas_lel_pct};

struct device_type {
  std::string name;  ///< "z2m.sos-button"; equals the file name without ".yaml"
  /// What people call it, in every language (`name: {zh-CN: 烟雾报警器, en: smoke alarm}`):
  /// the words summaries use. The parser accepts a type without one; the catalogue that
  /// the daemon runs on refuses it (`app::load_definitions`).
  std::optional<i18n::text> human_name;
  std::string description;
  catalog::transport transport = transport::native;
  catalog::role role = role::device;
  std::string topic;  ///< pattern with one "{external_id}" segment, or '+' wildcards
  /// Payload path of the external id; empty when the topic carries it.
  std::string external_id_path;
  /// `json` only: where the event time is; nullopt (or absent from a message): receipt time.
  std::optional<event_time_spec> event_time;
  /// `json` only: payload path of a frame counter (a uint32 that a redelivery repeats), for
  /// duplicate detection; empty: none.
  std::string frame_counter_path;
  std::vector<field_mapping> fields;
  std::optional<frame_spec> frame;
  duration report_interval{0};  ///< 0: the device only reports events (no offline rule)
  /// Never shed under overload; priority lane and session. Declared (`life_safety: true`),
  /// or because the type can report one of `k_life_safety_metrics`.
  bool life_safety = false;
  /// Metrics a device of the type can report: its fields' (and `device.online` from
  /// Zigbee2MQTT availability or a bridge's state); for `native`, its `metrics:` or any.
  /// A rule applies to the types that can report what it reads.
  std::bitset<64> reports;
  std::optional<double> counter_wrap;  ///< counter modulus in its metric's unit (e.g. 2^32 L)
  std::vector<example> examples;
  std::string file;
  int line = 0;  ///< of the `type:` key

  /// The MQTT subscription filter for `topic` ("{external_id}" becomes '+').
  std::string subscription() const;
  bool can_report(metric m) const { return reports.test(static_cast<std::size_t>(m)); }
  /// Can report any metric at all (a `native` type without `metrics:`).
  bool reports_anything() const { return reports.all(); }
};

/// Zigbee2MQTT base topic of a zigbee2mqtt type ("zigbee2mqtt" for the pattern
/// "zigbee2mqtt/{external_id}" and for the bridge topic "zigbee2mqtt/bridge/state");
/// nullopt for other transports.
std::optional<std::string> z2m_base_topic(const device_type& t);

/// The external id of the bridge a zigbee2mqtt device sits behind ("zigbee2mqtt/bridge"),
/// for `gateway-offline`: when that bridge is offline, its devices are not reported one by
/// one. nullopt for other transports and for a bridge itself.
std::optional<std::string> bridge_external_id(const device_type& t);

/// Parses one definition. `file` names it in diagnostics; the type name must match it.
std::optional<device_type> parse_device_type(const std::string& text, const std::string& file,
                                             diagnostics& out);

/// All device types of a folder, by name.
class catalog {
 public:
  /// Loads every `*.yaml` under `dir`. Diagnostics for every broken file are collected;
  /// broken files are left out, good ones are kept.
  static catalog load_dir(const std::string& dir, diagnostics& out);
  static catalog load_files(const std::vector<std::string>& files, diagnostics& out);

  const device_type* find(std::string_view name) const;
  const std::vector<std::shared_ptr<const device_type>>& types() const { return types_; }
  /// Distinct subscription filters over all types (plus the z2m availability/bridge topics).
  std::vector<std::string> subscriptions() const;

  void add(device_type t);

 private:
  std::vector<std::shared_ptr<const device_type>> types_;
  std::map<std::string, std::shared_ptr<const device_type>, std::less<>> by_name_;
};

}  // namespace hearth::catalog
