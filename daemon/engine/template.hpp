// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Title and summary templates: "SOS pressed in {place} ({location}) at {time}".
/// Each rule kind fills a known set of placeholders (`kind_info::fills`); a rule's texts
/// may use only those of its kind, checked in every language when the rule is loaded
/// (`check_placeholders`), so that `{baseline}` in a threshold rule is a `file:line` error
/// instead of a summary that shows "{baseline}" to an operator at 3 a.m.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "i18n/text.hpp"

namespace hearth::engine {

struct kind_info;

/// Placeholders every kind fills (about the device and where it is; `behind`: how many
/// devices sit behind a bridge or gateway, 0 for other devices). None of them, nor any of
/// a kind's, is personal data: titles and summaries travel over MQTT and webhooks.
inline constexpr std::string_view k_common_placeholders[] = {
    "device_id", "device_type", "location", "household_id", "unit",
    "building",  "place",       "time",     "date",         "behind",
};

/// True when a rule of kind `k` fills `{name}`.
bool fills(const kind_info& k, std::string_view name);
/// True when some registered kind fills `{name}`.
bool known_placeholder(std::string_view name);

/// A message for each placeholder of `t` that a rule of kind `k` never fills, with the
/// line of the language that uses it: "unknown placeholder '{resident_name}'" or
/// "placeholder '{baseline}' is never filled by a threshold rule (it fills ...)".
std::vector<std::pair<int, std::string>> check_placeholders(const i18n::text& t,
                                                            const kind_info& k);

}  // namespace hearth::engine
