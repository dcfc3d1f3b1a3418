// SPDX-License-Identifier: Apache-2.0
#include "api/reply.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

namespace hearth::api {
namespace json = boost::json;

response json_ok(const json::value& v) {
  return {200, "application/json", json::serialize(v), {}, {}, {}};
}

response json_error(int status, std::string_view code, std::string_view message) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  return {status, "application/json", json::serialize(o), {}, {}, {}};
}

response no_content() {
  return {204, "application/json", "", {}, {}, {}};
}

namespace {
int status_of(const error& e) {
  if (e.code == "not-found") return 404;
  if (e.code == "unauthenticated") return 401;
  if (e.code == "forbidden") return 403;
  if (e.code == "conflict") return 409;
  if (e.code == "too-large") return 413;
  return 400;
}
}  // namespace

response error_response(const error& e) {
  auto res = json_error(status_of(e), e.code, e.message);
  if (res.status == 401) res.headers["WWW-Authenticate"] = "Bearer realm=\"hearth\"";
  return res;
}

response forbidden(std::string_view what) {
  return json_error(403, "forbidden", fmt::format("your role may not {}", what));
}

std::optional<response> check_query(const request& r,
                                    std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : r.query)
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
      return json_error(
          400, "bad-request",
          fmt::format("unknown query parameter '{}'", std::string_view(k).substr(0, 40)));
  return std::nullopt;
}

result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required) {
  if (body.size() > k_max_body)
    return make_error("too-large",
                      fmt::format("the body is larger than {} KiB (the limit)", k_max_body / 1024));
  std::map<std::string, std::string> out;
  if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error("bad-request", "the body must be a JSON object");
    for (const auto& [k, x] : v.as_object()) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
        return make_error("bad-request",
                          fmt::format("unknown key '{}'", std::string_view(k).substr(0, 40)));
      if (!x.is_string())
        return make_error("bad-request", fmt::format("'{}' must be a string", std::string_view(k)));
      out[std::string(k)] = std::string(x.get_string());
    }
  }
  for (auto k : required)
    if (!out.count(std::string(k)))
      return make_error("bad-request", fmt::format("'{}' is required", k));
  return out;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace hearth::api
