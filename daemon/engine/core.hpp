// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What the engine lends each rule kind (engine/kinds/): the registry and catalog
/// snapshots, the state of devices and of rule instances (persisted as key/json rows),
/// away periods, local time in the engine's zone, and the making of signals. A kind keeps
/// no state of its own: everything that must survive a restart lives here, in rows.
///
/// State is flat and keyed by integer device handles: a registered device's handle is its
/// position in the registry snapshot (remapped when a new snapshot comes), so a report finds
/// its state without a string look-up. A device that is not in the registry (a row restored
/// for a device since removed) gets a handle after the registry's.
///
/// Threading: the domain thread only, like the engine. Nothing here reads the wall clock.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_map>
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

using handle = std::uint32_t;
inline constexpr handle k_no_handle = static_cast<handle>(-1);

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
  handle h = k_no_handle;
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
  ~core();
  core(const core&) = delete;
  core& operator=(const core&) = delete;

  const clock& clk() const { return clock_; }
  const registry::registry& reg() const { return *registry_; }
  const catalog::catalog& types() const { return *catalog_; }
  /// Remaps every handle to its position in the new snapshot.
  void set_registry(std::shared_ptr<const registry::registry> r);
  void set_catalog(std::shared_ptr<const catalog::catalog> c);
  /// The rules in force: each gets its instance table (kept by rule id across reloads).
  void bind_rules(const std::vector<rule>& rules);

  // --- devices ----------------------------------------------------------------------------
  /// The handle of a device id, made when `create` (nullopt otherwise, when unknown).
  handle handle_of(std::string_view device_id, bool create);
  handle handle_of(const registry::device& dev) const {
    return static_cast<handle>(&dev - registry_->all().devices.data());
  }
  std::string_view id_of(handle h) const;
  /// The registry entry behind a handle (nullptr for a device not in the registry).
  const registry::device* device_of(handle h) const {
    return h < registry_->all().devices.size() ? &registry_->all().devices[h] : nullptr;
  }
  /// The device's state, marked changed.
  device_state& device(handle h);
  /// nullptr when nothing is known of the device.
  const device_state* find_device(handle h) const;
  /// Every device with state, in handle order.
  template <class F>
  void for_each_device(F&& fn) {
    for (handle h = 0; h < devices_.size(); ++h)
      if (devices_[h].present) fn(h, devices_[h]);
  }
  /// Updates what a report tells of its device (last seen, online, counter, tilt). Returns
  /// the counter's step when the report moved it.
  std::optional<meter_step> on_report(const report& rep, context& c);
  void set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg);
  const tilt_state* tilt(handle h) const;
  /// When the device's silence began, as hearthd heard it: its last message (or its
  /// bridge's return), moved on by every span in which hearthd itself was down since. So
  /// after a restart silence is judged over the time hearthd was listening, not from the
  /// last message before it stopped.
  time_point silent_since(const device_state& d) const;
  /// The interval a device is judged on: its type's `report_interval` (prior and floor), or
  /// the cadence it has been seen to keep when that is longer. Zero for event-only types.
  duration interval_of(const device_state& d, const catalog::device_type& type) const;
  /// The number of devices behind a bridge or gateway.
  std::size_t behind(handle bridge) const;

  /// The message catalogue summaries are written from, and the locale of a signal's
  /// `title`/`summary` (the config's `locale`). Until it is set, the catalogue is empty
  /// and texts show their keys.
  void set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale);
  const i18n::catalogue& words() const { return *words_; }

  // --- selection --------------------------------------------------------------------------
  /// A household's residents, looked up once for all the rules one report is judged by.
  using residents_memo = std::optional<registry::picked<registry::resident>>;
  /// The rule's `select` picks this device (types, buildings, residents' age and living).
  /// `memo`, when given, holds the device's residents once a rule has needed them.
  bool selected(const rule& r, std::string_view device_type, const catalog::device_type* type,
                const registry::device* dev, time_point at, residents_memo* memo = nullptr) const;
  /// A welfare rule while every resident it is about is away.
  bool paused(const rule& r, const registry::device* dev, time_point at) const;
  /// The latest return from away of a resident of the device's household in (from, to].
  std::optional<time_point> away_end_in(const registry::device* dev, time_point from,
                                        time_point to) const;
  void set_away(const std::string& resident_id, std::optional<time_point> until);
  /// A bridge or gateway (its type's role is `bridge`).
  bool is_gateway(handle h) const;
  /// A Zigbee2MQTT device whose bridge is offline, or a LoRaWAN device whose gateways (those
  /// that heard its last uplink) are all offline: gateway-offline speaks for it.
  bool behind_offline_gateway(handle h) const;
  /// The device reports through this bridge or gateway.
  bool sits_behind(handle h, handle gateway) const;

  // --- rule instances ---------------------------------------------------------------------
  /// The rule's state for one device, of the kind's type `S`: created on first use and
  /// marked changed. A row restored for another type is read into a fresh `S`.
  template <class S = instance_state>
  S& instance(const rule& r, handle h) {
    auto& slot = table(r).rows[h];
    touch_instance(r, h);
    return as<S>(slot);
  }
  /// The same, without creating or marking: nullptr when the rule never kept state for it.
  template <class S = instance_state>
  S* find_instance(const rule& r, handle h) {
    auto& t = table(r);
    auto it = t.rows.find(h);
    return it == t.rows.end() ? nullptr : &as<S>(it->second);
  }
  /// Every instance of the rule (in no particular order).
  template <class S = instance_state, class F>
  void for_each_instance(const rule& r, F&& fn) {
    for (auto& [h, slot] : table(r).rows)
      fn(h, as<S>(slot));
  }
  void touch_instance(const rule& r, handle h) {
    dirty_.insert(key(kind_instance, table(r).id, h));
  }

  // --- deadlines --------------------------------------------------------------------------
  /// Something is due at `t`: `tick` must not skip it.
  void due(time_point t) { next_due_ = std::min(next_due_, t); }
  void due_now() {
    next_due_ = {};
    ++due_resets_;
  }
  /// How often everything was made due at once (rules, registry, catalog, an away, a
  /// gateway back, a restore): a kind that keeps its own queue of deadlines builds it again
  /// from every device when this has changed since it last did.
  std::uint64_t due_resets() const { return due_resets_; }
  /// A rule's deadlines by device, soonest first (a min-heap); a kind may keep one
  /// (no_data does, so that a tick looks only at the devices that are due).
  struct deadline_queue {
    std::vector<std::pair<time_point, handle>> heap;
    std::uint64_t built_at = ~std::uint64_t{0};  ///< due_resets() when it was built
    void push(time_point at, handle h);
    std::pair<time_point, handle> pop();
  };
  deadline_queue& deadlines(const rule& r) { return table(r).deadlines; }
  time_point next_due() const { return next_due_; }
  void set_next_due(time_point t) { next_due_ = t; }
  /// The engine is alive at `now` (ticks): kept as a row at most once a minute, so that
  /// after a restart the time hearthd was down is known.
  void alive(time_point now);
  /// Set by `restore` from the last row of `alive`: when the engine last ticked before it
  /// stopped, and when it started again. nullopt when unknown (a first start).
  std::optional<time_point> stopped_at() const { return stopped_at_; }

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
  /// The context of a tick's signal about device `h`.
  context tick_context(handle h, time_point now) const;

  // --- persistence (the engine's take_changes/snapshot/restore) ---------------------------
  bool dirty() const { return !dirty_.empty() || !dirty_keys_.empty() || round_open(); }
  /// A round is being handed out (take_rows): rows of it are left.
  bool round_open() const { return next_out_ < round_.size() + round_keys_.size(); }
  /// At most `max` changed rows ("d|..", "i|..", "a|..", "e|alive", "e|down"; empty json
  /// when the row is gone). A call with no round open starts one: everything changed so far,
  /// in order (by handle, then by key), handed out over as many calls as it takes. A round
  /// never runs into the next within a call, so a caller that starts one a second writes
  /// each row at most about once a second however fast it goes; a row changed again
  /// meanwhile goes out in the next round.
  std::vector<state_row> take_rows(std::size_t max);
  /// The row of one key; empty json when the key is gone.
  state_row row(const std::string& key) const;
  /// Every row, sorted by key.
  std::vector<state_row> all_rows();
  /// Makes the state for an instance row's "<rule>|<device>": the rule (the longest id that
  /// is a prefix) and a fresh state of its kind, or {nullptr, nullptr} when no loaded rule
  /// owns it (the row is then kept as written).
  struct owner {
    const rule* r = nullptr;
    std::unique_ptr<instance_state> state;
  };
  using state_factory = owner (*)(const std::vector<rule>&, std::string_view);
  /// Reads rows written by `take_dirty`/`row`. Unreadable rows are skipped.
  void restore(const std::vector<state_row>& rows, const std::vector<rule>& rules,
               state_factory new_state);

 private:
  enum : std::uint64_t { kind_device = 1, kind_instance = 2 };
  static std::uint64_t key(std::uint64_t kind, std::uint64_t table, handle h) {
    return kind << 62 | table << 32 | h;
  }
  struct instance_table {
    std::uint32_t id = 0;
    std::string rule_id;
    std::unordered_map<handle, std::unique_ptr<instance_state>> rows;
    deadline_queue deadlines;
  };
  instance_table& table(const rule& r) {
    if (last_rule_ == &r) return *last_table_;
    auto it = table_of_rule_.find(&r);
    instance_table& t = it != table_of_rule_.end() ? *it->second : table_named(r.id);
    last_rule_ = &r;
    last_table_ = &t;
    return t;
  }
  instance_table& table_named(std::string_view rule_id);
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
  /// Turns the handle-keyed changes into row keys (before handles are remapped).
  void spill_dirty();
  state_row row(std::uint64_t k) const;
  /// The row of a handle-keyed change as JSON; empty when it is gone.
  std::string row_json(std::uint64_t k) const;
  std::string row_key(std::uint64_t k) const;
  std::optional<handle> find_handle(std::string_view device_id) const;
  std::string downtimes_json() const;
  std::vector<std::string_view> via_ids(const device_state& d) const;
  void ensure(handle h);
  /// Fills `bridge_` from the registry and catalog.
  void link_bridges();

  const clock& clock_;
  const date::time_zone* tz_ = nullptr;
  std::shared_ptr<const i18n::catalogue> words_ = std::make_shared<i18n::catalogue>();
  std::string locale_{i18n::k_default_locale};
  std::shared_ptr<const registry::registry> registry_ = std::make_shared<registry::registry>();
  std::shared_ptr<const catalog::catalog> catalog_ = std::make_shared<catalog::catalog>();
  /// By handle: the registry's devices first, then `extra_ids_`.
  std::vector<device_state> devices_;
  std::vector<std::string> extra_ids_;  ///< handle - registry size -> id
  /// Looked up by view, without making a string (households' rows are found this way for
  /// each report an activity rule reads).
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, handle, id_hash, std::equal_to<>> extra_handles_;
  /// The bridge each Zigbee2MQTT device sits behind (by handle; k_no_handle for others).
  std::vector<handle> bridge_;
  std::vector<char> gateway_;  ///< by handle: a bridge or gateway
  std::unordered_map<handle, tilt_state> tilts_;
  std::vector<std::unique_ptr<instance_table>> tables_;
  std::unordered_map<std::string, instance_table*> table_by_id_;
  std::unordered_map<const rule*, instance_table*> table_of_rule_;
  const rule* last_rule_ = nullptr;
  instance_table* last_table_ = nullptr;
  std::map<std::string, time_point, std::less<>> away_;  ///< resident -> until
  /// Changes since they were last handed out: by handle while handles hold, as row keys
  /// once a registry swap has moved them (and for away rows and the alive row).
  std::unordered_set<std::uint64_t> dirty_;
  std::unordered_set<std::string> dirty_keys_;
  /// The round being handed out (take_rows): by handle, then by key; a registry swap turns
  /// what is left of the first into keys.
  std::vector<std::uint64_t> round_;
  std::vector<std::string> round_keys_;
  std::size_t next_out_ = 0;  ///< into round_, then round_keys_
  time_point alive_{};        ///< last `alive` kept as a row
  std::optional<time_point> stopped_at_;
  /// When hearthd was down: (stopped, started again), oldest first, the last 16.
  std::vector<std::pair<time_point, time_point>> downtimes_;
  /// Nothing is due before this: `tick` returns at once until then (replay ticks per line).
  time_point next_due_{};
  std::uint64_t due_resets_ = 0;
};

}  // namespace hearth::engine
