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
/// The engine dispatches; each rule kind (engine/kinds/, behind `engine/kind.hpp`) decides.
/// The state kinds keep lives in `engine/core.hpp`.
///
/// State that must survive a restart (pending `for:` windows, no-data deadlines, counter
/// positions, learned quiet spells, tilt baselines, away periods) is kept per key and
/// handed out as JSON by `take_changes`; `restore` reads it back. After a restart, the
/// first `tick` fires every deadline that passed while the daemon was down.
///
/// Threading: every call runs on the domain thread (the io_context). Time comes only from
/// the injected `clock` and from event times in reports; nothing here reads the wall clock.

#include <bitset>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/reading.hpp"
#include "catalog/device_type.hpp"
#include "engine/rule.hpp"
#include "engine/signal.hpp"
#include "i18n/catalogue.hpp"
#include "registry/registry.hpp"

namespace hearth::engine {

class core;

class engine {
 public:
  /// `tz` names the IANA zone used for times in summaries and daily windows.
  engine(std::vector<rule> rules, const clock& clk, const std::string& tz);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Swaps in a new registry snapshot (after import or SIGHUP). The engine keeps a copy.
  void set_registry(std::shared_ptr<const registry::registry> r);
  /// Device types: report intervals (no-data), counter wraps and transports (gateways).
  void set_catalog(std::shared_ptr<const catalog::catalog> c);
  /// The message catalogue titles and summaries are written from (device type names,
  /// metric names, units, dates), and `locale`, the language of `signal::title`/`summary`.
  /// Every signal also carries its texts in every locale (`signal::texts`).
  void set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale);
  void set_rules(std::vector<rule> rules);
  const std::vector<rule>& rules() const { return rules_; }

  /// Evaluates one report (one message's readings from one device).
  /// `known`, when the caller has it, is the reporting device's entry in the registry
  /// snapshot the engine was given (looked up by `r.device_id` otherwise).
  std::vector<signal> on_report(const report& r, const registry::device* known = nullptr);

  /// When `tick` next has something to do: the earliest deadline of a time-driven rule
  /// (at or before now: tick at once; time_point::max(): nothing until the next report).
  /// Replay steps its clock to it.
  time_point next_due() const;
  /// Fires what time alone decides: no-data deadlines and `for:` windows that have passed.
  std::vector<signal> tick(time_point now);

  /// Pauses welfare rules for one resident until `until` (the social worker's "away");
  /// nullopt ends the pause. Quiet time while away never counts, nor is it learned.
  void set_away(const std::string& resident_id, std::optional<time_point> until);
  /// Sets a tilt sensor's installation angles by hand (otherwise: its first readings).
  void set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg);

  /// State rows changed since the last call (for the store). Deterministic order.
  /// At most `max` rows of one round (core::take_rows): a call with no round open starts
  /// one from everything changed so far; what changes meanwhile waits for the next round.
  std::vector<state_row> take_changes(std::size_t max = static_cast<std::size_t>(-1));
  bool changed() const;
  /// Rows of the round being handed out are left.
  bool round_open() const;
  /// Every state row, for a full snapshot.
  std::vector<state_row> snapshot() const;
  /// Reads rows written by `take_changes`/`snapshot` (at start). Unreadable rows are skipped.
  void restore(const std::vector<state_row>& rows);

  /// Local wall time of `t` as "07:05" (for summaries), in the engine's zone.
  std::string local_time(time_point t) const;

  /// A quiet spell an inactivity rule has learned for a device: the longest one that began
  /// in one local hour of one day (the rule keeps no finer start), for charts of a
  /// household's days. engine/learned.cpp.
  struct learned_spell {
    std::string rule;
    time_point start;  ///< the start of the local hour it began in
    duration length;
  };
  /// Every spell the inactivity rules have learned for `device_id` (a meter), or the
  /// activity rules for a household (`"@" + household_id`), oldest first; read from the
  /// rules' state rows, so it is what survives a restart.
  std::vector<learned_spell> learned_spells(std::string_view device_id) const;

 private:
  void bind();
  std::vector<rule> rules_;
  std::string timezone_;
  std::vector<std::bitset<64>> reads_;  ///< by rule: the metrics it reads (none: every report)
  std::unique_ptr<core> core_;          ///< state and the services rule kinds use
};

}  // namespace hearth::engine
