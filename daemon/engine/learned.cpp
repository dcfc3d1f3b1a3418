// SPDX-License-Identifier: Apache-2.0
// What the inactivity rules have learned of a household's routine, for people to look at:
// read back from the rules' state rows ("spells": local start hour -> local day -> longest
// length in ms, see kinds/inactivity.cpp), so the engine's internals stay its own.
#include <date/tz.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "engine/core.hpp"
#include "engine/engine.hpp"

namespace hearth::engine {
namespace json = boost::json;

namespace {
template <class T>
bool number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}
}  // namespace

std::vector<engine::learned_spell> engine::learned_spells(std::string_view device_id) const {
  std::vector<learned_spell> out;
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(timezone_);
  } catch (const std::exception&) {
    zone = date::locate_zone("UTC");
  }
  for (const auto& r : rules_) {
    if (r.kind != "inactivity") continue;
    const auto row = core_->row("i|" + r.id + "|" + std::string(device_id));
    if (row.json.empty()) continue;
    boost::system::error_code ec;
    auto v = json::parse(row.json, ec);
    if (ec || !v.is_object()) continue;
    const auto* spells = v.as_object().if_contains("spells");
    if (!spells || !spells->is_object()) continue;
    for (const auto& [hour, days] : spells->get_object()) {
      int h = 0;
      if (!number(hour, h) || h < 0 || h > 23 || !days.is_object()) continue;
      for (const auto& [day, len] : days.get_object()) {
        long long d = 0;
        if (!number(day, d) || !len.is_number()) continue;
        const auto local = date::local_days{date::days{d}} + std::chrono::hours{h};
        // A local hour skipped or repeated by a clock change: the earlier instant.
        const auto start = zone->to_sys(local, date::choose::earliest);
        out.push_back({r.id, std::chrono::time_point_cast<duration>(start),
                       duration{len.to_number<long long>()}});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start, a.rule) < std::tie(b.start, b.rule);
  });
  return out;
}

}  // namespace hearth::engine
