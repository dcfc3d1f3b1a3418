// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kind: activity. The welfare rule that weighs every sign of life of a household with
/// electricity, door or motion sensors (a water-only household is kind inactivity's):
///  - signs of life: at least `min_water` litres used (as kind inactivity counts it),
///    electricity more than `above_standby` W above the sensor's learned standby load
///    (engine/kinds/standby.hpp), a door opening, motion;
///  - it fires when none of the household's activity sensors has shown one for `window`,
///    and for longer than the household's longest quiet spell learned for that time of day
///    (spells starting within `around` of the same local hour, over the last `history`),
///    while at least one of them keeps reporting;
///  - a silent sensor is never read as a quiet resident: a sensor that missed two report
///    intervals in the window, or an electricity sensor whose standby load is not learned
///    yet, counts only with the signs it did show. When none keeps reporting, the rule
///    stays silent (that is no_data's business: device-offline);
///  - the next sign of life clears it; paused while the residents are away (quiet time
///    while away is neither counted nor learned; the standby load learns on).
/// The summary's `{signs}` names each sensor's last sign of life.
///
/// State: one row per sensor ("<rule>|<device>": its last report and sign, its water
/// samples or standby load) and one per household ("<rule>|@<household>": the household's
/// last sign and its learned quiet spells). Household ids and device ids are separate
/// namespaces; the '@' keeps their rows apart.

#include <optional>

#include "engine/kind.hpp"
#include "engine/kinds/quiet.hpp"
#include "engine/kinds/sensors.hpp"
#include "engine/kinds/standby.hpp"

namespace hearth::engine::kinds {

/// A sensor's row, or a household's (only `last_sign` and `spells` are used there).
struct activity_state final : instance_state {
  time_point first_heard{}, last_report{};  ///< event times
  time_point gap_from{}, gap_to{};          ///< its latest silence of more than two intervals
  std::optional<time_point> last_sign;      ///< the last sign of life it showed
  alerts::evidence sign, last;              ///< the reading of that sign; its latest reading
  quiet_samples water;                      ///< a water meter's samples since its last use
  std::optional<bool> door_open;            ///< a door sensor's last state
  bool has_energy = false;       ///< reports an energy counter (power.w is then not summed)
  std::optional<double> held_w;  ///< without a counter: the last power.w, held until the next
  time_point held_since{};
  standby_profile standby;                  ///< an electricity sensor's standby load
  std::optional<time_point> standby_ready;  ///< since when that load is known
  quiet_spells spells;                      ///< a household's learned quiet spells

  bool heard() const { return first_heard != time_point{}; }

 protected:
  void write(boost::json::object& o) const override;
  void read(const boost::json::object& o) override;
};

class activity final : public behaviour {
 public:
  duration window{std::chrono::hours(12)};
  duration history{std::chrono::hours(24 * 28)};
  duration around{std::chrono::hours(1)};
  double min_water = 10;      ///< litres that are a sign of life
  double above_standby = 50;  ///< W above the standby load that are a sign of life

  void inputs(std::vector<metric>& m) const override;
  void on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const override;
  std::unique_ptr<instance_state> new_state() const override {
    return std::make_unique<activity_state>();
  }

 private:
  /// Updates a sensor's row from a report; returns the sign of life it showed, if any.
  std::optional<time_point> observe(activity_state& st, const context& c, core& k) const;
  /// Sums electricity over [from, to] into the standby load; notes use clearly above it.
  void electricity(activity_state& st, const context& c, core& k, time_point from, time_point to,
                   double kwh, std::optional<time_point>& sign) const;
  /// The household's verdict after a report from one of its sensors.
  void judge(const rule& r, const context& c, core& k, const std::vector<activity_sensor>& sensors,
             std::optional<time_point> sign, std::vector<signal>& out) const;
  duration allowed_gap(const catalog::device_type& t) const;
};

}  // namespace hearth::engine::kinds
