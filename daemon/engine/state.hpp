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

/// What the engine knows of one device, whatever the rules.
struct device_state {
  bool seen = false;
  time_point last_seen{};  ///< arrival time (the clock) of the last message
  bool online = true;      ///< last `device.online`
  bool has_counter = false;
  double last_raw = 0, total = 0;  ///< raw counter, and its use since first seen (never negative)
  time_point last_sample{};
  std::optional<double> x, y, base_x, base_y;  ///< tilt now, and at installation

  boost::json::value to_json() const;
  void from_json(const boost::json::object& o);
};

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
