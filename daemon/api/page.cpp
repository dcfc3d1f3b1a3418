// SPDX-License-Identifier: Apache-2.0
#include "api/page.hpp"

#include <fmt/format.h>

#include <charconv>

#include "api/reply.hpp"

namespace hearth::api {

namespace {
constexpr char k_separator = '\x1f';  // unit separator: never in an id, a time or a number

std::optional<std::string> unhex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc{} || p != s.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}
}  // namespace

std::string make_cursor(const std::vector<std::string>& key) {
  std::string raw;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i) raw.push_back(k_separator);
    raw += key[i];
  }
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw)
    out += fmt::format("{:02x}", c);
  return out;
}

result<page> read_page(const request& r, std::size_t key_parts) {
  page p;
  if (auto it = r.query.find("limit"); it != r.query.end()) {
    const auto& v = it->second;
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || ptr != v.data() + v.size() || n < 1 || n > k_max_page)
      return make_error("bad-request", fmt::format("limit must be 1 to {}", k_max_page));
    p.limit = n;
  }
  if (auto it = r.query.find("cursor"); it != r.query.end() && !it->second.empty()) {
    auto raw = it->second.size() <= 2048 ? unhex(it->second) : std::nullopt;
    std::vector<std::string> parts;
    if (raw) {
      std::string_view rest = *raw;
      for (;;) {
        const auto sep = rest.find(k_separator);
        parts.emplace_back(rest.substr(0, sep));
        if (sep == std::string_view::npos) break;
        rest.remove_prefix(sep + 1);
      }
    }
    if (!raw || parts.size() != key_parts)
      return make_error("bad-request",
                        "cursor is not one this endpoint gave (use next_cursor as it came)");
    p.after = std::move(parts);
  }
  return p;
}

void set_next_cursor(boost::json::object& o,
                     const std::optional<std::vector<std::string>>& last_key) {
  if (last_key)
    o["next_cursor"] = make_cursor(*last_key);
  else
    o["next_cursor"] = nullptr;
}

response bad_cursor() {
  return json_error(400, "bad-request", "cursor is not one this endpoint gave");
}

}  // namespace hearth::api
