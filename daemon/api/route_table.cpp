// SPDX-License-Identifier: Apache-2.0
#include "api/route_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/reply.hpp"

namespace hearth::api {

namespace {
std::vector<std::string_view> split(std::string_view p) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto slash = p.find('/');
    out.push_back(p.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    p.remove_prefix(slash + 1);
  }
}

/// Whether `pattern` matches `segments`; the "{}" segments go to `args`, and `literal`
/// marks which pattern segments were literal (for choosing the most specific route).
bool match(std::string_view pattern, const std::vector<std::string_view>& segments,
           std::vector<std::string>& args, std::vector<bool>& literal) {
  const auto parts = split(pattern);
  if (parts.size() != segments.size()) return false;
  args.clear();
  literal.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "{}") {
      if (segments[i].empty()) return false;
      args.emplace_back(segments[i]);
      literal.push_back(false);
    } else if (parts[i] == segments[i]) {
      literal.push_back(true);
    } else {
      return false;
    }
  }
  return true;
}
}  // namespace

void route_table::add(std::vector<route> rs) {
  for (auto& r : rs)
    routes_.push_back(std::move(r));
}

response route_table::dispatch(const request& r, const auth::principal& who,
                               std::string_view path) const {
  const auto segments = split(path);
  const route* best = nullptr;
  std::vector<std::string> best_args, args;
  std::vector<bool> best_literal, literal;
  std::vector<std::string_view> methods;  // of the routes that have the path
  for (const auto& rt : routes_) {
    if (!match(rt.path, segments, args, literal)) continue;
    if (rt.method != r.method) {
      if (std::find(methods.begin(), methods.end(), rt.method) == methods.end())
        methods.push_back(rt.method);
      continue;
    }
    if (!best || literal > best_literal) {
      best = &rt;
      best_args = args;
      best_literal = literal;
    }
  }
  if (!best) {
    if (methods.empty()) return json_error(404, "not-found", "no such resource");
    return json_error(405, "method-not-allowed", fmt::format("use {}", fmt::join(methods, " or ")));
  }
  if (best->needs && !auth::allowed(who.role, *best->needs)) return forbidden(best->refusal);
  return best->handle(call{r, who, std::move(best_args)});
}

}  // namespace hearth::api
