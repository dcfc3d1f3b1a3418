// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The alert (DESIGN.md, "Alert"): one piece of work for a person. Serialized the same way
/// for the API, the MQTT topic `hearth/alerts/<id>`, webhooks and replay.
/// Titles and summaries never carry names or phone numbers: they travel over MQTT and
/// webhooks. Personal data is joined in only by the API, for roles that may see it.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/metric.hpp"

namespace hearth::alerts {

enum class state { open, acknowledged, resolved };
std::string_view state_name(state s);
std::optional<state> state_from_name(std::string_view s);

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

struct alert {
  std::string id;
  std::string rule;
  int priority = 4;
  alerts::state state = state::open;
  std::string title, summary;
  alerts::subject subject;
  time_point opened_at, updated_at;
  int occurrences = 1;
  std::vector<alerts::evidence> evidence;
  std::string assignee, outcome;
  /// Dedup key: rule and subject. One open alert per key at a time (the episode).
  std::string key;
};

boost::json::value to_json(const alert& a);
boost::json::value to_json(const evidence& e);
/// Reads an alert back (store, tests). Returns nullopt when a required field is missing.
std::optional<alert> alert_from_json(const boost::json::value& v);

}  // namespace hearth::alerts
