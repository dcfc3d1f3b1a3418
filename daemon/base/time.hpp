// SPDX-License-Identifier: Apache-2.0
#pragma once
/// RFC 3339 parsing and formatting, and durations written the way people write them in
/// YAML ("90s", "12h", "30 min", "1h30m"). Pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"

namespace hearth {

/// Parses "2026-11-20T07:09:59.812Z" or "...+08:00". Fractions beyond milliseconds are
/// truncated. Returns nullopt for anything else.
std::optional<time_point> parse_rfc3339(std::string_view text);

/// Formats as UTC: "2026-11-20T07:09:59Z", or with ".812" when milliseconds are not zero.
std::string format_rfc3339(time_point t);

/// Parses "500ms", "90s", "15m", "15 min", "12h", "2d", "1h30m". Returns nullopt otherwise.
std::optional<duration> parse_duration(std::string_view text);

/// "9 h 50 min", "45 min", "30 s": for summaries read by operators.
std::string describe_duration(duration d);

}  // namespace hearth
