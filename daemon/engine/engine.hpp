// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The rule engine: turns reports and the passing of time into signals ("rule R fires for
/// subject S, because of this evidence" / "the condition of R for S has ended"). It owns
/// per-device and per-rule state and knows nothing of alert lifecycles: `alerts::book`
/// turns signals into alerts.
///
/// Two entry points drive it: `on_report` for each message, and `tick(now)` for what time
/// alone decides (no-data deadlines, `for:` windows). Live mode calls `tick` from an Asio
/// timer; replay calls it as capture time advances. Both share all rule code.
///
/// State that must survive a restart (pending `for:` windows, no-data deadlines, counter
/// positions, learned quiet spells, tilt baselines, away periods) is kept per key and
/// handed out as JSON by `take_changes`; `restore` reads it back. After a restart, the
/// first `tick` fires every deadline that passed while the daemon was down.
///
/// Threading: every call runs on the domain thread (the io_context). Time comes only from
/// the injected `clock` and from event times in reports; nothing here reads the wall clock.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "alerts/alert.hpp"
#include "base/clock.hpp"
#include "base/reading.hpp"
#include "catalog/device_type.hpp"
#include "engine/rule.hpp"
#include "registry/registry.hpp"

namespace date {
class time_zone;
}

namespace hearth::engine {

/// A rule's verdict about one subject.
struct signal {
  enum class kind { fire, clear } what = kind::fire;
  std::string rule;
  int priority = 4;
  std::string key;  ///< "rule|subject": the dedup key of the alert
  alerts::subject subject;
  std::string title, summary;
  std::vector<alerts::evidence> evidence;
  time_point at;              ///< event time of the report (or the tick) that produced it
  bool auto_resolve = false;  ///< from the rule: a clear signal may resolve the alert
  bool welfare = false;       ///< from the rule: paused while the resident is away
};

/// One persisted piece of engine state: `json` empty means "delete the key".
struct state_row {
  std::string key;
  std::string json;
  bool operator==(const state_row&) const = default;
};

class engine {
 public:
  /// `tz` names the IANA zone used for times in summaries and daily windows.
  engine(std::vector<rule> rules, const clock& clk, const std::string& tz);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Swaps in a new registry snapshot (after import or SIGHUP). The engine keeps a copy.
  void set_registry(std::shared_ptr<const registry::registry> r) {
    registry_ = std::move(r);
    next_due_ = {};
  }
  /// Device types: report intervals (no-data), counter wraps and transports (gateways).
  void set_catalog(std::shared_ptr<const catalog::catalog> c) {
    catalog_ = std::move(c);
    next_due_ = {};
  }
  void set_rules(std::vector<rule> rules);
  const std::vector<rule>& rules() const { return rules_; }

  /// Evaluates one report (one message's readings from one device).
  std::vector<signal> on_report(const report& r);

  /// Fires what time alone decides: no-data deadlines and `for:` windows that have passed.
  std::vector<signal> tick(time_point now);

  /// Pauses welfare rules for one resident until `until` (the social worker's "away");
  /// nullopt ends the pause. Quiet time while away never counts, nor is it learned.
  void set_away(const std::string& resident_id, std::optional<time_point> until);
  /// Sets a tilt sensor's installation angles by hand (otherwise: its first readings).
  void set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg);

  /// State rows changed since the last call (for the store). Deterministic order.
  /// At most `max` rows; the rest stay changed for the next call (`changed()`).
  std::vector<state_row> take_changes(std::size_t max = static_cast<std::size_t>(-1));
  bool changed() const { return !dirty_.empty() || next_out_ < out_.size(); }
  /// Every state row, for a full snapshot.
  std::vector<state_row> snapshot() const;
  /// Reads rows written by `take_changes`/`snapshot` (at start). Unreadable rows are skipped.
  void restore(const std::vector<state_row>& rows);

  /// Local wall time of `t` as "07:05" (for summaries), in the engine's zone.
  std::string local_time(time_point t) const;

  struct device_state;
  struct instance_state;

 private:
  struct meter_step;
  struct context;

  bool selected(const rule& r, std::string_view device_type, const registry::device* dev,
                time_point at) const;
  signal make_signal(const rule& r, const context& c, std::vector<alerts::evidence> evidence,
                     std::map<std::string, std::string> vars,
                     signal::kind what = signal::kind::fire) const;
  bool paused(const rule& r, const registry::device* dev, time_point at) const;
  std::optional<time_point> away_end_in(const registry::device* dev, time_point from,
                                        time_point to) const;
  std::optional<meter_step> step_counter(device_state& d, const report& rep,
                                         const catalog::device_type* type);
  bool behind_offline_gateway(const registry::device& dev) const;
  void on_gateway(const registry::device& dev, bool online, time_point now);

  void eval_event(const rule& r, const context& c, std::vector<signal>& out);
  void eval_threshold(const rule& r, const context& c, std::vector<signal>& out);
  void eval_inactivity(const rule& r, const context& c, const meter_step& s,
                       std::vector<signal>& out);
  void eval_slots(const rule& r, const context& c, const meter_step& s, std::vector<signal>& out);
  void eval_daily(const rule& r, const context& c, const meter_step& s, std::vector<signal>& out);
  void eval_baseline(const rule& r, const context& c, std::vector<signal>& out);
  std::optional<duration> learned_longest(const instance_state& st, const rule& r, time_point since,
                                          time_point now) const;
  void learn_spell(instance_state& st, const rule& r, time_point start, duration length) const;
  long long local_day(time_point t) const;
  int local_hour(time_point t) const;
  std::string local_when(time_point t, time_point now) const;

  instance_state& instance(const rule& r, const std::string& device_id);
  void touch(const std::string& key) { dirty_.insert(key); }

  std::vector<rule> rules_;
  const clock& clock_;
  const date::time_zone* tz_ = nullptr;
  std::shared_ptr<const registry::registry> registry_ = std::make_shared<registry::registry>();
  std::shared_ptr<const catalog::catalog> catalog_ = std::make_shared<catalog::catalog>();
  std::map<std::string, std::unique_ptr<device_state>> devices_;      ///< by device id
  std::map<std::string, std::unique_ptr<instance_state>> instances_;  ///< by "rule|device"
  std::map<std::string, time_point, std::less<>> away_;               ///< resident -> until
  /// Keys changed since they were last handed out ("d|..", "i|..", "a|.."): a hash set,
  /// because every report touches one or two; sorted only when handed out.
  std::unordered_set<std::string> dirty_;
  std::vector<std::string> out_;  ///< sorted keys being handed out in slices
  std::size_t next_out_ = 0;
  /// Nothing is due before this: `tick` returns at once until then (replay ticks per line).
  time_point next_due_{};
};

}  // namespace hearth::engine
