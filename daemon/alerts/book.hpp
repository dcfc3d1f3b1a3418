// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The alert book: turns engine signals into alerts, exactly once per episode, and carries
/// each alert through its lifecycle (issue 5):
///
///   open ──claim──▶ acknowledged ──resolve(outcome)──▶ resolved
///     └──────────────resolve(outcome)──────────────────────┘
///
/// - Dedup: an alert is keyed on (rule, subject, episode). While one is open or acknowledged,
///   repeats increment `occurrences` and refresh its evidence. After resolution the next
///   fire opens a new episode with a new id.
/// - A repeat whose evidence is a person pressing a button again (`sos.pressed`) raises the
///   alert's urgency and re-notifies its tier; it never opens a silent duplicate.
/// - Escalation: `tick(now)` moves alerts that missed their claim target up a tier
///   (operator → supervisor → social worker) and re-alerts claimed ones that missed their
///   resolve target. Deadlines live in the alert (`due_at`) and are persisted with it, so
///   they survive a restart: after `restore`, the first `tick` fires what is overdue.
/// - Silences (device, household or building) and "resident away" stop non-priority-1
///   signals from opening alerts; what they stop is written to the journal, not queued.
///   Priority 1 is never muted.
/// - Every transition, note, escalation, silence and suppression is appended to the
///   journal (`take_journal`), which the caller writes to the hash-chained audit trail in
///   the same transaction as the alert.
///
/// Threading: domain thread only. Time comes only from the injected clock (and `tick`).
/// Errors are values: `not-found`, `conflict` (wrong state), `bad-request` (bad input).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/escalation.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "engine/engine.hpp"

namespace hearth::alerts {

struct transition {
  enum class kind { opened, updated, resolved } what;
  alert after;
  /// What happened, as written to the audit trail: opened, repeated, urgency-raised,
  /// claimed, escalated, re-alerted, resolved, auto-resolved.
  std::string action;
  /// Set when a tier must be told (escalation, re-alert, raised urgency).
  std::optional<alerts::tier> notify;
  /// Its number in the store's transitions table, once stored (0: not stored). Consoles
  /// that lost their stream ask for what came after the last number they saw.
  std::uint64_t seq = 0;
  /// False for a repeat inside the re-notification window: the alert is stored (its count
  /// is durable) but not published, and nobody is told; the book's next `tick` after the
  /// window publishes one transition for all of them.
  bool publish = true;
};
std::string_view transition_name(transition::kind k);

/// One append-only row of the audit trail, before it is chained and stored.
struct audit_entry {
  time_point at;
  std::string actor;     ///< a user name, "anonymous", or "hearthd" for the daemon itself
  std::string action;    ///< opened, claimed, noted, escalated, silenced, away-set, ...
  std::string alert_id;  ///< empty when the row is not about one alert
  std::string subject;   ///< what else it concerns: "silence:3", "resident:R-1001", a device id
  std::string note;      ///< free text; never a resident's name or phone
  std::string channel;   ///< api, rule, timer, mqtt, webhook, cli
  bool operator==(const audit_entry&) const = default;
};

struct queue_filter {
  std::optional<alerts::state> state;
  std::optional<int> priority;
  std::optional<std::string> building;
};

/// How a rule's signals are treated; the daemon fills this from the rule definitions.
struct rule_policy {
  bool welfare = false;       ///< paused while every resident of the subject is away
  bool auto_resolve = false;  ///< a clear signal resolves an open (never an acknowledged) alert
  /// The rule fires once when a condition starts (not at every report, as an event rule
  /// does): a fire held back by a silence is kept, and alerts when the silence ends if no
  /// clear came meanwhile.
  bool state = false;
};

/// A repeat of an open alert re-notifies and republishes it at most this often; the repeats
/// in between are counted (occurrences, urgency) and told together at the end of the window.
inline constexpr duration k_renotify_every = std::chrono::seconds(30);
/// Fire signals held back by silences, at most (one per rule and subject).
inline constexpr std::size_t k_max_held = 100'000;

/// A maintenance window. Active from `created_at` until `until`.
struct silence {
  enum class scope { device, household, building };
  std::string id;
  scope kind = scope::device;
  std::string target;  ///< device id, household id or building
  time_point created_at, until;
  std::string reason, author;
  bool operator==(const silence&) const = default;
};
std::string_view scope_name(silence::scope s);  ///< "device_id", "household_id", "building"

/// "Resident away until T": welfare rules pause for this resident alone.
struct away {
  std::string resident_id;
  time_point since, until;
  std::string reason, author;
  bool operator==(const away&) const = default;
};

/// The longest a silence or an away may last; a longer one is refused, so that neither
/// becomes a way to ignore a device for good.
inline constexpr duration k_max_silence = std::chrono::hours(24 * 30);
inline constexpr duration k_max_away = std::chrono::hours(24 * 365);
inline constexpr std::size_t k_max_note = 2000;
inline constexpr std::size_t k_max_journal = 100'000;

class book {
 public:
  book(const clock& c, std::uint64_t last_id, escalation_policy p = {})
      : clock_(c), last_id_(last_id), policy_(std::move(p)) {}

  /// Where new alert ids come from when they must be unique across nodes (the shared
  /// database's sequence); by default one more than the highest id known.
  void set_id_source(std::function<std::uint64_t()> f) { id_source_ = std::move(f); }

  /// The injected clock's now.
  time_point now() const { return clock_.now(); }
  void set_policy(escalation_policy p) { policy_ = std::move(p); }
  const escalation_policy& policy() const { return policy_; }
  /// Rule id -> policy. Rules not listed are neither welfare nor auto-resolving.
  void set_rule_policies(std::map<std::string, rule_policy> p) { rules_ = std::move(p); }

  /// Reinstates alerts that were open or acknowledged when the daemon stopped, with their
  /// tiers and deadlines. An alert without a deadline (written by an older hearthd) gets
  /// one from its priority and the time it was opened or claimed.
  void restore(std::vector<alert> active);
  void restore_silences(std::vector<silence> s, std::uint64_t last_silence_id);
  void restore_aways(std::vector<away> a);
  /// Makes a resolved alert known again (read back from the store) so that notes can be
  /// added to it and a claim answers `conflict` rather than `not-found`.
  void remember(alert resolved);

  std::vector<transition> on_signal(const engine::signal& s);

  // Operator actions. `actor` is who did it; `channel` how ("api", "console", "cli").
  result<std::vector<transition>> claim(const std::string& id, const std::string& actor,
                                        const std::string& note, const std::string& channel);
  status add_note(const std::string& id, const std::string& actor, const std::string& text,
                  const std::string& channel);
  result<std::vector<transition>> escalate(const std::string& id, const std::string& actor,
                                           const std::string& note, const std::string& channel);
  result<std::vector<transition>> resolve(const std::string& id, const std::string& outcome,
                                          const std::string& actor, const std::string& note,
                                          const std::string& channel);

  /// Fires every deadline at or before `now`: escalations, re-alerts, and the end of
  /// silences and aways. The daemon calls it from a timer; replay as capture time advances.
  std::vector<transition> tick(time_point now);
  /// Publishes the repeats counted in a re-notification window that has ended (part of
  /// `tick`; replay calls it alone, since it runs no escalation).
  std::vector<transition> publish_repeats(time_point now);
  /// The earliest pending deadline (alert, silence or away), if any.
  std::optional<time_point> next_deadline() const;

  result<silence> add_silence(silence s, const std::string& channel);
  /// Ends a silence early. Conditions that began during it and still hold open their
  /// alerts now (returned).
  result<std::vector<transition>> remove_silence(const std::string& id, const std::string& actor,
                                                 const std::string& channel);
  std::vector<silence> silences() const;
  result<away> set_away(away a, const std::string& channel);
  /// Ends a resident's away now (back early from hospital): welfare rules apply again at
  /// once. Journals `away-ended` with the actor. `not-found` when the resident is not away.
  result<away> end_away(const std::string& resident_id, const std::string& actor,
                        const std::string& channel);
  std::vector<away> aways() const;
  bool is_away(const std::string& resident_id, time_point at) const;

  /// Appends a row that is not about a lifecycle step (e.g. a read of personal data, a
  /// notification sent). Goes out with the next `take_journal`.
  void journal(audit_entry e) { journal_.push_back(std::move(e)); }
  /// Drains the rows recorded since the last call, oldest first.
  std::vector<audit_entry> take_journal();
  /// Puts rows that could not be stored back in front of the journal, for the next try.
  /// Keeps at most `k_max_journal` rows; the oldest beyond that are dropped (returned count).
  std::size_t requeue_journal(std::vector<audit_entry> rows);

  /// Open and acknowledged alerts matching `f`, most urgent first, then oldest first.
  std::vector<alert> queue(const queue_filter& f = {}) const;
  /// An active or recently resolved alert.
  const alert* find(const std::string& id) const;
  /// True when an active or recently resolved alert holds evidence from `device_id` at
  /// exactly `ts`: that event was already counted (a redelivery after a restart).
  bool has_evidence(std::string_view device_id, time_point ts) const;

 private:
  alert* lookup(const std::string& id);
  rule_policy policy_of(const std::string& rule) const;
  const silence* silenced_by(const alerts::subject& s, time_point at) const;
  void record(const alert& a, const std::string& action, const std::string& actor,
              const std::string& note, const std::string& channel, std::string subject = {});
  transition retire(alert& a, const std::string& action);
  /// Opens the held-back fires whose subject no silence covers any more.
  void release_held(std::vector<transition>& out);
  /// One transition for the repeats counted since the last notification (see `publish`).
  void flush_repeats(alert& a, time_point now, std::vector<transition>& out);

  const clock& clock_;
  std::uint64_t last_id_;
  std::function<std::uint64_t()> id_source_;
  escalation_policy policy_;
  std::map<std::string, rule_policy> rules_;
  std::map<std::string, alert> active_;        ///< by id
  std::map<std::string, std::string> by_key_;  ///< dedup key -> id
  std::map<std::string, alert> resolved_;      ///< recently resolved, by id (bounded)
  std::deque<std::string> resolved_order_;
  std::map<std::string, silence> silences_;  ///< by id
  std::uint64_t last_silence_id_ = 0;
  std::map<std::string, away> aways_;  ///< by resident id
  std::vector<audit_entry> journal_;
  /// Fires of state rules that a silence held back, by dedup key (`rule_policy::state`).
  /// Not persisted: after a restart the engine's state says the condition fired, and the
  /// held fire is lost (a known limit; a clear and a new breach alert again).
  std::map<std::string, engine::signal> held_;
  /// Per active alert: when a tier was last told of it, and the repeats since then that
  /// nobody has been told of yet (human presses among them).
  struct quiet_repeats {
    time_point last_told{};
    int repeats = 0, presses = 0;
    int first_occurrence = 0;  ///< the occurrence the uncounted run starts at
  };
  std::map<std::string, quiet_repeats> told_;
  /// The alerts with repeats nobody has been told of, by when they are told: what
  /// publish_repeats and next_deadline look at, so that neither walks every open alert
  /// (replay calls them between every two capture lines).
  std::set<std::pair<time_point, std::string>> repeats_due_;
  void forget_repeats(const std::string& id);
};

/// Orders alerts for the operator queue: priority, then age, then id.
bool queue_order(const alert& a, const alert& b);

}  // namespace hearth::alerts
