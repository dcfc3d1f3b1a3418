// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The engine's persisted state: what it knows of each device whatever the rules
/// (`device_state`, row "d|<device>"), and each rule's state for one device
/// (`instance_state` and the kinds' own subclasses, row "i|<rule>|<device>"). Each is one
/// JSON object; the row format is what the store keeps, so a field once written must stay
/// readable.

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.hpp"
#include "base/clock.hpp"

namespace hearth::engine {

/// Epoch milliseconds, as the rows store times.
inline std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
inline time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}

/// Readers of one field of a row; a missing or mistyped field reads as the fallback.
double num(const boost::json::object& o, std::string_view k, double fallback = 0);
std::int64_t int_of(const boost::json::object& o, std::string_view k, std::int64_t fallback = 0);
bool flag(const boost::json::object& o, std::string_view k);
std::optional<double> opt_num(const boost::json::object& o, std::string_view k);
boost::json::value evidence_json(const std::vector<alerts::evidence>& ev);
std::vector<alerts::evidence> evidence_from(const boost::json::value* v);

/// A tilt sensor's angles now and at installation (only tilt sensors have one).
struct tilt_state {
  std::optional<double> x, y, base_x, base_y;
};

/// A device's own check-in cadence: the last gaps between its messages, in minutes. The
/// learned interval is a high percentile of them (robust to an outage or two), used once
/// `k_min_gaps` gaps are known. 36 bytes a device.
struct cadence {
  static constexpr std::size_t k_size = 16;
  static constexpr std::size_t k_min_gaps = 8;
  std::uint16_t gaps[k_size] = {};
  std::uint8_t count = 0;  ///< gaps recorded, at most k_size
  std::uint8_t next = 0;   ///< where the next gap goes (a ring)
  /// learned(), in minutes (0: not yet), worked out when a gap is added: the offline rule
  /// reads it for every device at each of its deadlines, far more often than gaps come.
  std::uint16_t percentile = 0;

  /// Records a gap (ignored under a minute: bursts say nothing of the cadence).
  void add(duration gap);
  /// The 85th percentile of the recorded gaps; nullopt until k_min_gaps are known.
  std::optional<duration> learned() const {
    if (percentile == 0) return std::nullopt;
    return std::chrono::duration_cast<duration>(std::chrono::minutes(percentile));
  }
  /// Oldest first.
  std::vector<std::uint16_t> in_order() const;
};

/// What the engine knows of one device, whatever the rules. Flat: one per device handle.
struct device_state {
  time_point last_seen{};  ///< arrival time (the clock) of the last message
  /// When its silence began, for judging it: the last message, or later when the device
  /// could not be heard (its bridge was offline), so an outage of the bridge is not the
  /// device's silence. Equal to `last_seen` unless a bridge came back since.
  time_point heard{};
  cadence every;
  /// The LoRaWAN gateways (device handles) that heard its last uplink: it sits behind them.
  std::uint32_t via[2] = {static_cast<std::uint32_t>(-1), static_cast<std::uint32_t>(-1)};
  // The flags here, in the 4 bytes the 8-byte fields below would otherwise pad: 88 bytes a
  // device instead of 96, one per registered device.
  bool present = false;  ///< anything is known (a row exists)
  bool seen = false;
  bool online = true;  ///< last `device.online`
  bool has_counter = false;
  double last_raw = 0, total = 0;  ///< raw counter, and its use since first seen (never negative)
  time_point last_sample{};

  /// The row; `tilt` (when the device has one) adds its angles, `via` the ids of its
  /// gateways.
  boost::json::value to_json(const tilt_state* tilt,
                             const std::vector<std::string_view>& via) const;
  /// Reads a row; the tilt fields go to `tilt` (nullopt when the row has none), the ids of
  /// its gateways to `via` (the caller resolves them).
  void from_json(const boost::json::object& o, std::optional<tilt_state>& tilt,
                 std::vector<std::string>& via);
};
static_assert(sizeof(device_state) <= 88, "one per registered device: keep it packed");

/// One rule's state for one device: whether it fired. A kind that keeps more derives from
/// it, writing its own fields after these into the same object.
struct instance_state {
  bool active = false;  ///< fired and not yet cleared
  time_point fired_at{};

  virtual ~instance_state() = default;
  boost::json::object to_json() const;
  void from_json(const boost::json::object& o);

 protected:
  virtual void write(boost::json::object&) const {}
  virtual void read(const boost::json::object&) {}
};

/// A row read back before its rule's kind asked for it (a rule no longer loaded, or one
/// whose kind changed): kept as written, and read by the kind on first use.
struct stored_state final : instance_state {
  std::string json;
  explicit stored_state(std::string j) : json(std::move(j)) {}

 protected:
  void write(boost::json::object& o) const override;
};

}  // namespace hearth::engine
