// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The languages hearth speaks, and how a caller's language is chosen. zh-CN is the
/// default: the call centres hearth serves are Chinese. Pure functions.

#include <array>
#include <optional>
#include <string_view>

namespace hearth::i18n {

/// Every text of the catalogue exists in each of these (checked when it is loaded).
inline constexpr std::array<std::string_view, 2> k_locales{"zh-CN", "en"};
inline constexpr std::string_view k_default_locale = "zh-CN";

/// The supported locale a BCP 47 tag means, case-insensitively: "zh", "zh-cn", "zh-Hans",
/// "zh-Hans-CN", "zh-SG" → zh-CN; "en", "en-US", "en-GB" → en. nullopt otherwise (also for
/// "zh-TW" and "zh-Hant": traditional script is not shipped).
std::optional<std::string_view> locale_from_tag(std::string_view tag);

/// The caller's language from an `Accept-Language` header ("zh-CN,zh;q=0.9,en;q=0.8"):
/// the supported locale with the highest q (the first on a tie); `fallback` when none
/// matches or the header is empty. Malformed parts are skipped, never an error.
std::string_view negotiate(std::string_view accept_language, std::string_view fallback);

}  // namespace hearth::i18n
