// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The catalogue keys the daemon renders by itself, and how they are named. The words are
/// in `messages/*.yaml`; this is the list of what must be there (checked at load).

#include <array>
#include <string>
#include <string_view>

#include "base/metric.hpp"

namespace hearth::i18n {

/// Timeline vocabulary: the audit trail's actions, actors and channels, in words.
inline constexpr std::array<std::string_view, 25> k_actions{"opened",
                                                            "repeated",
                                                            "urgency-raised",
                                                            "claimed",
                                                            "escalated",
                                                            "re-alerted",
                                                            "resolved",
                                                            "auto-resolved",
                                                            "condition-cleared",
                                                            "noted",
                                                            "silenced",
                                                            "suppressed-away",
                                                            "silence-created",
                                                            "silence-deleted",
                                                            "silence-expired",
                                                            "away-set",
                                                            "away-ended",
                                                            "read-personal-data",
                                                            "login",
                                                            "logout",
                                                            "login-failed",
                                                            "personal-data-exported",
                                                            "personal-data-erased",
                                                            "notified",
                                                            "notification-failed"};
inline constexpr std::array<std::string_view, 2> k_actors{"hearthd", "anonymous"};
inline constexpr std::array<std::string_view, 7> k_channels{"api",  "console", "rule", "timer",
                                                            "mqtt", "webhook", "cli"};
inline constexpr std::array<std::string_view, 3> k_tiers{"operator", "supervisor", "social_worker"};
inline constexpr std::array<std::string_view, 6> k_outcome_keys{
    "help-arrived", "resident-fine",      "false-alarm",
    "device-fault", "emergency-services", "no-answer-visit-sent"};
inline constexpr std::array<std::string_view, 3> k_states{"open", "acknowledged", "resolved"};

/// Units of readings and of derived figures, by symbol, with their catalogue name
/// (`unit.<name>`, a text with `{n}`) and how many decimals a summary shows.
struct unit_info {
  std::string_view symbol;  ///< as in base/metric.hpp: "L", "%LEL", "deg", ...
  std::string_view key;     ///< "litre" → unit.litre
  int decimals;
};
inline constexpr std::array<unit_info, 8> k_units{{
    {"L", "litre", 0},
    {"%LEL", "lel", 0},
    {"deg", "degree", 2},
    {"mm", "millimetre", 0},
    {"%", "percent", 0},
    {"permille", "permille", 1},
    {"kWh", "kwh", 1},
    {"W", "watt", 0},
}};
/// The unit of `symbol`, or nullptr.
const unit_info* find_unit(std::string_view symbol);

std::string metric_name_key(metric m);                    ///< "metric.gas.lel_pct.name"
std::string metric_state_key(metric m, bool value);       ///< "metric.smoke.alarm.true"
std::string device_type_name_key(std::string_view type);  ///< "device_type.<type>.name"
std::string rule_title_key(std::string_view rule_id);     ///< "rule.<id>.title"
std::string rule_summary_key(std::string_view rule_id);   ///< "rule.<id>.summary"

}  // namespace hearth::i18n
