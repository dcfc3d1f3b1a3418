// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The message catalogue over HTTP, and the caller's language.
///
/// `GET /api/v1/messages/{locale}` answers every text of the catalogue in that locale:
/// `{"locale","locales":[...],"messages":{"key":"wording" | {"one","other"}}}`. It needs no
/// credentials: the login screen must speak the operator's language before anyone has
/// logged in, and the catalogue holds no personal data. `GET /api/v1/messages` picks the
/// locale from `Accept-Language`. An unsupported locale is 404.
///
/// Every API answer that carries words (alert titles and summaries, timelines) is in the
/// caller's language: `caller_locale` reads `Accept-Language`, and falls back to the
/// config's `locale`. The chosen one is sent back as `Content-Language`.

#include <string_view>

#include "api/http_server.hpp"
#include "i18n/catalogue.hpp"

namespace hearth::api {

/// The caller's locale: from `Accept-Language` (see i18n::negotiate), else `fallback`.
std::string_view caller_locale(const request& r, std::string_view fallback);

/// `r` with `Content-Language: locale`.
response in_language(response r, std::string_view locale);

/// Serves /api/v1/messages and /api/v1/messages/{locale}; `rest` is the path after
/// /api/v1/ ("messages" or "messages/zh-CN").
response messages_response(const i18n::catalogue& words, const request& r, std::string_view rest,
                           std::string_view fallback_locale);

}  // namespace hearth::api
