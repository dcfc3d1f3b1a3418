// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The shapes every API answer and request body share: JSON bodies, the error object
/// `{"error":"<code>","message":"<text>"}` with its status, 403 refusals, the strict parsing
/// of request bodies and query strings. Pure functions; any thread.

#include <boost/json/value.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_server.hpp"
#include "base/result.hpp"

namespace hearth::api {

/// Request bodies (JSON objects) are at most this long.
inline constexpr std::size_t k_max_body = 16 * 1024;

response json_ok(const boost::json::value& v);
response json_error(int status, std::string_view code, std::string_view message);
/// 204 with no body.
response no_content();
/// The error value as an answer: not-found 404, unauthenticated 401 (with
/// WWW-Authenticate), forbidden 403, conflict 409, too-large 413, anything else 400.
response error_response(const error& e);
/// 403 "your role may not <what>".
response forbidden(std::string_view what);

/// Only these query parameters are accepted; anything else answers 400.
std::optional<response> check_query(const request& r,
                                    std::initializer_list<std::string_view> allowed);

/// A strictly validated JSON request body: an object of at most 16 KiB whose keys are all
/// in `allowed`, each a string, with every `required` key present. An empty body reads as
/// {}. Errors: `too-large` (413) or `bad-request` (400). Pure; the fuzzer calls it directly.
result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required);

/// The value of `k`, or empty.
std::string get(const std::map<std::string, std::string>& m, const std::string& k);

}  // namespace hearth::api
