// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the engine lends each rule kind (engine/kinds/): the registry and catalog
/// snapshots, the state of devices and of rule instances (persisted as key/json rows),
/// away periods, local time in the engine's zone, and the making of signals. A kind keeps
/// no state of its own: everything that must survive a restart lives here, in rows.
///
/// Threading: the domain thread only, like the engine. Nothing here reads the wall clock.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include "base/clock.hpp"
#include "base/reading.hpp"
#include "catalog/device_type.hpp"
#include "engine/rule.hpp"
#include "engine/signal.hpp"
#include "engine/state.hpp"
#include "i18n/catalogue.hpp"
#include "i18n/format.hpp"
#include "i18n/locale.hpp"
#include "registry/registry.hpp"

namespace date {
class time_zone;
}

namespace hearth::engine {

/// The change of a counter (water.total_l, or power.total_kwh for a device without a
/// water counter) between two reports of one device.
struct meter_step {
  hearth::metric metric = hearth::metric::water_total_l;  ///< which counter moved
  bool first = false;  ///< the first reading ever: nothing to compare with
  bool reset = false;  ///< the counter went back (or jumped) implausibly: usage unknown
  time_point from, to;
  double used = 0;  ///< in the counter's unit (L, kWh) between `from` and `to`, never negative
  double raw = 0, prev_raw = 0;
};

/// Who and when a signal is about; for a report, also what the report changed.
struct context {
  std::string_view device_id, device_type;
  const registry::device* dev = nullptr;
  time_point at;
  const report* rep = nullptr;  ///< null for signals from `tick`
  // Set for reports only:
  const catalog::device_type* type = nullptr;
  const meter_step* step = nullptr;  ///< the report moved the device's counter
  bool tilt = false;                 ///< the report carried a tilt angle
  bool only_offline = false;         ///< only `device.online` false: a bridge speaking of it
  bool came_back = false;            ///< a message (not only offline) from a device seen before
};

/// The first reading of `m` in the report, or nullptr.
const reading* find_reading(const report& r, metric m);

/// A summary's placeholders with typed values (a reading in its unit, a time, a duration,
/// a catalogue text), rendered in each language by `core::make_signal`.
using args = std::map<std::string, i18n::arg>;

/// An event that reached hearthd this much after its event time arrived late: its summary
/// says so, with both times.
inline constexpr duration k_late_after = std::chrono::minutes(5);

class core {
 public:
  core(const clock& clk, const std::string& tz);
  core(const core&) = delete;
  core& operator=(const core&) = delete;

  const clock& clk() const { return clock_; }
  const registry::registry& reg() const { return *registry_; }
  const catalog::catalog& types() const { return *catalog_; }
  void set_registry(std::shared_ptr<const registry::registry> r);
  void set_catalog(std::shared_ptr<const catalog::catalog> c);
  /// The message catalogue summaries are written from, and the locale of a signal's
  /// `title`/`summary` (the config's `locale`). Until it is set, the catalogue is empty
  /// and texts show their keys.
  void set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale);
  const i18n::catalogue& words() const { return *words_; }

  // --- selection --------------------------------------------------------------------------
  /// The rule's `select` picks this device (types, buildings, residents' age and living).
  bool selected(const rule& r, std::string_view device_type, const registry::device* dev,
                time_point at) const;
  /// A welfare rule while every resident it is about is away.
  bool paused(const rule& r, const registry::device* dev, time_point at) const;
  /// The latest return from away of a resident of the device's household in (from, to].
  std::optional<time_point> away_end_in(const registry::device* dev, time_point from,
                                        time_point to) const;
  void set_away(const std::string& resident_id, std::optional<time_point> until);
  bool is_gateway(const registry::device& d) const;
  /// A Zigbee2MQTT device whose bridge is offline: gateway-offline speaks for it.
  bool behind_offline_gateway(const registry::device& dev) const;

  // --- device state -----------------------------------------------------------------------
  /// Created on first use, and marked changed.
  device_state& device(std::string_view id);
  const device_state* find_device(std::string_view id) const;
  /// In device-id order.
  void for_each_device(const std::function<void(std::string_view, device_state&)>& fn);
  /// Updates what a report tells of its device (last seen, online, counter, tilt). Returns
  /// the counter's step when the report moved it.
  std::optional<meter_step> on_report(const report& rep, const registry::device* dev,
                                      const catalog::device_type* type, context& c);
  void set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg);

  // --- rule instances ---------------------------------------------------------------------
  /// The rule's state for one device, of the kind's type `S`: created on first use and
  /// marked changed. A row restored for another type is read into a fresh `S`.
  template <class S = instance_state>
  S& instance(const rule& r, std::string_view device_id) {
    auto& slot = instances_[instance_key(r, device_id)];
    touch_instance(r, device_id);
    return as<S>(slot);
  }
  /// The same, without creating or marking: nullptr when the rule never kept state for it.
  template <class S = instance_state>
  S* find_instance(const rule& r, std::string_view device_id) {
    auto it = instances_.find(instance_key(r, device_id));
    return it == instances_.end() ? nullptr : &as<S>(it->second);
  }
  /// Every instance of the rule, in device-id order.
  template <class S = instance_state, class F>
  void for_each_instance(const rule& r, F&& fn) {
    const auto prefix = r.id + "|";
    for (auto it = instances_.lower_bound(prefix);
         it != instances_.end() && it->first.starts_with(prefix); ++it)
      fn(std::string_view(it->first).substr(prefix.size()), as<S>(it->second));
  }
  void touch_instance(const rule& r, std::string_view device_id) {
    touch("i|" + instance_key(r, device_id));
  }

  // --- deadlines --------------------------------------------------------------------------
  /// Something is due at `t`: `tick` must not skip it.
  void due(time_point t) { next_due_ = std::min(next_due_, t); }
  void due_now() { next_due_ = {}; }
  time_point next_due() const { return next_due_; }
  void set_next_due(time_point t) { next_due_ = t; }

  // --- local time -------------------------------------------------------------------------
  std::string local_time(time_point t) const;  ///< "07:05"
  long long local_day(time_point t) const;     ///< days since the epoch, in local time
  int local_hour(time_point t) const;          ///< 0..23
  int local_minute(time_point t) const;        ///< minutes since local midnight, 0..1439
  /// The instant of `minute` past local midnight on local day `day` (a `local_day` value).
  time_point local_instant(long long day, int minute) const;
  /// "06:10" on the day of `now`, "19 Nov 22:10" on another day.
  std::string local_when(time_point t, time_point now) const;

  // --- signals ----------------------------------------------------------------------------
  /// A signal of `r` about `c`, its title and summary rendered in every language from
  /// `vars` and the subject's placeholders (place, location, unit, building, device_type,
  /// time, date). "Today" is judged against the clock's now. A report that arrived
  /// `k_late_after` or more after its event time gets a sentence saying when it happened
  /// and how late it came, in every rule's summary.
  signal make_signal(const rule& r, const context& c, std::vector<alerts::evidence> evidence,
                     args vars, signal::kind what = signal::kind::fire) const;

  // --- persistence (the engine's take_changes/snapshot/restore) ---------------------------
  void touch(const std::string& key) { dirty_.insert(key); }
  bool dirty() const { return !dirty_.empty(); }
  std::vector<std::string> take_dirty();
  /// The row of one key ("d|..", "i|..", "a|.."); empty json when the key is gone.
  state_row row(const std::string& key) const;
  std::vector<state_row> all_rows() const;
  /// Makes the state for an instance row's "<rule>|<device>" (the rule's kind gives its
  /// type), or nullptr when no loaded rule owns it: the row is then kept as written.
  using state_factory = std::function<std::unique_ptr<instance_state>(std::string_view)>;
  /// Reads one row. Unreadable rows are skipped.
  void restore(const state_row& row, const state_factory& new_state);

 private:
  static std::string instance_key(const rule& r, std::string_view device_id) {
    std::string k;
    k.reserve(r.id.size() + 1 + device_id.size());
    k.append(r.id).append(1, '|').append(device_id);
    return k;
  }
  template <class S>
  S& as(std::unique_ptr<instance_state>& slot) {
    if (!slot) {
      slot = std::make_unique<S>();
    } else if (const instance_state& held = *slot; typeid(held) != typeid(S)) {
      auto fresh = std::make_unique<S>();
      fresh->from_json(slot->to_json());
      slot = std::move(fresh);
    }
    return static_cast<S&>(*slot);
  }

  const clock& clock_;
  const date::time_zone* tz_ = nullptr;
  std::shared_ptr<const i18n::catalogue> words_ = std::make_shared<i18n::catalogue>();
  std::string locale_{i18n::k_default_locale};
  std::shared_ptr<const registry::registry> registry_ = std::make_shared<registry::registry>();
  std::shared_ptr<const catalog::catalog> catalog_ = std::make_shared<catalog::catalog>();
  std::map<std::string, std::unique_ptr<device_state>, std::less<>> devices_;  ///< by device id
  std::map<std::string, std::unique_ptr<instance_state>, std::less<>>
      instances_;                                        ///< by "rule|device"
  std::map<std::string, time_point, std::less<>> away_;  ///< resident -> until
  /// Keys changed since they were last handed out ("d|..", "i|..", "a|.."): a hash set,
  /// because every report touches one or two; sorted only when handed out.
  std::unordered_set<std::string> dirty_;
  /// Nothing is due before this: `tick` returns at once until then (replay ticks per line).
  time_point next_due_{};
};

}  // namespace hearth::engine
