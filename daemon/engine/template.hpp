// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Title and summary templates: "SOS pressed in {place} ({location}) at {time}".
/// Placeholders are checked against a fixed vocabulary when a rule is loaded.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::engine {

/// Placeholders a template may use. None of them is personal data.
inline constexpr std::string_view k_placeholders[] = {
    "device_id", "device_type",   "location", "household_id", "unit",      "building", "place",
    "metric",    "value",         "time",     "date",         "condition", "limit",    "since",
    "quiet_for", "longest_quiet", "baseline", "change",       "window",    "used",     "interval",
    "last_seen", "declared",      "dropouts", "behind",
};

/// Returns a message for the first unknown or unbalanced placeholder, or nullopt.
std::optional<std::string> check_template(std::string_view tmpl);

/// Replaces {name} with vars[name]; unknown names are left as written.
std::string render(std::string_view tmpl, const std::map<std::string, std::string>& vars);

}  // namespace hearth::engine
