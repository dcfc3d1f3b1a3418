// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The alert (DESIGN.md, "Alert"): one piece of work for a person. Serialized the same way
/// for the API, the MQTT topic `hearth/alerts/<id>`, webhooks and replay.
/// Titles and summaries never carry names or phone numbers: they travel over MQTT and
/// webhooks. Personal data is joined in only by the API, for roles that may see it.

#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"

namespace hearth::alerts {

enum class state { open, acknowledged, resolved };
std::string_view state_name(state s);
std::optional<state> state_from_name(std::string_view s);

/// Who is expected to act on an alert. An alert starts with the call-centre operator and
/// moves up one tier each time its response target is missed (or on a manual escalate).
enum class tier { operator_desk, supervisor, social_worker };
std::string_view tier_name(tier t);  ///< "operator", "supervisor", "social_worker"
std::optional<tier> tier_from_name(std::string_view s);

/// The fixed vocabulary of outcomes an alert is resolved with (DESIGN.md, resolve).
inline constexpr std::string_view k_outcomes[] = {"help-arrived",       "resident-fine",
                                                  "false-alarm",        "device-fault",
                                                  "emergency-services", "no-answer-visit-sent"};
bool valid_outcome(std::string_view o);

struct subject {
  std::string device_id, household_id, building;
  std::vector<std::string> resident_ids;
  bool operator==(const subject&) const = default;
};

struct evidence {
  std::string device_id;
  hearth::metric metric;
  double value = 0;
  time_point ts;
  bool operator==(const evidence&) const = default;
};

/// An alert's title and summary in one language.
struct wording {
  std::string title, summary;
  bool operator==(const wording&) const = default;
};
/// Title and summary by locale ("zh-CN", "en"): written once, in every language, when the
/// signal is made, so that each reader gets their own.
using wordings = std::map<std::string, wording, std::less<>>;

struct alert {
  std::string id;
  std::string rule;
  int priority = 4;
  alerts::state state = state::open;
  /// In the config's `locale`: what MQTT, webhooks and replay carry.
  std::string title, summary;
  /// The same in every language (empty for alerts written before there were languages).
  wordings texts;
  alerts::subject subject;
  time_point opened_at, updated_at;
  int occurrences = 1;
  std::vector<alerts::evidence> evidence;
  std::string assignee, outcome;
  /// Dedup key: rule and subject. One open alert per key at a time (the episode).
  std::string key;

  // Lifecycle bookkeeping: persisted with the alert and shown by the API (`lifecycle_json`),
  // but not part of the published alert JSON of DESIGN.md.
  alerts::tier tier = tier::operator_desk;
  int urgency = 0;      ///< raised each time a person presses the button again
  int misses = 0;       ///< response targets missed so far
  time_point due_at{};  ///< next deadline: claim target while open, resolve target once claimed
  time_point acknowledged_at{}, resolved_at{};
};

boost::json::value to_json(const alert& a);
/// The same, with the title and summary in `locale` when the alert has them in it.
boost::json::value to_json(const alert& a, std::string_view locale);
boost::json::value to_json(const evidence& e);
/// Reads an alert back (store, tests). Returns nullopt when a required field is missing.
/// Lifecycle fields are read too when present (`lifecycle_json` merged into the object).
std::optional<alert> alert_from_json(const boost::json::value& v);

/// {"tier","urgency","misses","due_at","acknowledged_at","resolved_at"}: the escalation state.
boost::json::object lifecycle_json(const alert& a);
/// {"zh-CN": {"title","summary"}, "en": {...}}: kept with the alert (store), read back by
/// `alert_from_json` from a "texts" member.
boost::json::object texts_json(const alert& a);

}  // namespace hearth::alerts
