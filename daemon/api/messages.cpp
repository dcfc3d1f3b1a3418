// SPDX-License-Identifier: Apache-2.0
#include "api/messages.hpp"

#include <boost/json.hpp>

#include "i18n/locale.hpp"

namespace hearth::api {
namespace json = boost::json;

std::string_view caller_locale(const request& r, std::string_view fallback) {
  auto it = r.headers.find("accept-language");
  return it == r.headers.end() ? fallback : i18n::negotiate(it->second, fallback);
}

response in_language(response r, std::string_view locale) {
  r.headers["Content-Language"] = std::string(locale);
  return r;
}

namespace {
response error(int status, std::string_view code, std::string_view message) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  response res;
  res.status = status;
  res.body = json::serialize(o);
  return res;
}
}  // namespace

response messages_response(const i18n::catalogue& words, const request& r, std::string_view rest,
                           std::string_view fallback_locale) {
  if (r.method != "GET") return error(405, "method-not-allowed", "use GET");
  if (!r.query.empty()) return error(400, "bad-request", "no query parameters here");
  std::string_view locale;
  if (rest == "messages") {
    locale = caller_locale(r, fallback_locale);
  } else {
    const auto asked = rest.substr(std::string_view("messages/").size());
    if (auto l = i18n::locale_from_tag(asked)) locale = *l;  // "zh", "en-US" are fine too
    if (locale.empty()) {
      std::string known;
      for (auto l : i18n::k_locales)
        known += (known.empty() ? "" : ", ") + std::string(l);
      return error(404, "not-found", "no such locale; the locales are " + known);
    }
  }
  json::object o;
  o["locale"] = locale;
  json::array all;
  for (auto l : i18n::k_locales)
    all.emplace_back(l);
  o["locales"] = std::move(all);
  o["messages"] = words.export_locale(locale);
  response res;
  res.body = json::serialize(o);
  res.headers["Content-Language"] = std::string(locale);
  return res;
}

}  // namespace hearth::api
