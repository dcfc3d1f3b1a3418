// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The rule engine: turns reports into signals ("rule R fires for subject S, because of
/// this evidence"). It owns per-device and per-household rule state and knows nothing of
/// alert lifecycles: `alerts::book` turns signals into alerts.
///
/// Threading: every call runs on the domain thread (the io_context). Time comes only from
/// the injected `clock` and from event times in reports.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "base/clock.hpp"
#include "base/reading.hpp"
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
  time_point at;  ///< event time of the report (or the tick) that produced it
};

class engine {
 public:
  /// `tz` names the IANA zone used for times in summaries and daily windows.
  engine(std::vector<rule> rules, const clock& clk, const std::string& tz);
  ~engine();

  /// Swaps in a new registry snapshot (after import or SIGHUP). The engine keeps a copy.
  void set_registry(std::shared_ptr<const registry::registry> r) { registry_ = std::move(r); }
  void set_rules(std::vector<rule> rules);
  const std::vector<rule>& rules() const { return rules_; }

  /// Evaluates one report (one message's readings from one device).
  std::vector<signal> on_report(const report& r);

  /// Local wall time of `t` as "07:05" (for summaries), in the engine's zone.
  std::string local_time(time_point t) const;

 private:
  bool selected(const rule& r, const report& rep, const registry::device* dev) const;
  signal make_signal(const rule& r, const report& rep, const registry::device* dev,
                     std::vector<alerts::evidence> evidence,
                     std::map<std::string, std::string> vars) const;

  std::vector<rule> rules_;
  const clock& clock_;
  const date::time_zone* tz_ = nullptr;
  std::shared_ptr<const registry::registry> registry_ = std::make_shared<registry::registry>();
};

}  // namespace hearth::engine
