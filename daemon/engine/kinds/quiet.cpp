// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/quiet.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <string>

#include "base/time.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

void quiet_samples::restart(const sample& s) {
  quiet.clear();
  quiet.push_back(s);
}

bool quiet_samples::push(const sample& s, double min_change) {
  const auto before = quiet.empty() ? s.ts : quiet.front().ts;
  quiet.push_back(s);
  std::size_t drop = 0;  // from the front, erased at once
  while (quiet.size() - drop > 1 && s.total - quiet[drop].total >= min_change)
    ++drop;
  drop = std::max(drop, quiet.size() > 5000 ? quiet.size() - 5000 : 0);
  quiet.erase(quiet.begin(), quiet.begin() + static_cast<std::ptrdiff_t>(drop));
  return quiet.front().ts != before;
}

void quiet_samples::write(json::object& o) const {
  if (quiet.empty()) return;
  json::array q;
  for (const auto& s : quiet)
    q.push_back(json::array{ms(s.ts), s.total, s.raw});
  o["quiet"] = std::move(q);
}

void quiet_samples::read(const json::object& o) {
  if (const auto* q = o.if_contains("quiet"); q && q->is_array())
    for (const auto& s : q->get_array())
      if (s.is_array() && s.get_array().size() == 3)
        quiet.push_back({at_ms(s.get_array()[0].to_number<std::int64_t>()),
                         s.get_array()[1].to_number<double>(),
                         s.get_array()[2].to_number<double>()});
}

void quiet_spells::learn(const core& k, time_point start, duration length, duration history) {
  if (length < 1h) return;  // short pauses say nothing about a resident's routine
  const auto day = k.local_day(start);
  auto& cell = spells[k.local_hour(start)][day];
  cell = std::max(cell, static_cast<long long>(length.count()));
  const long long oldest = day - std::chrono::floor<date::days>(history).count() - 1;
  for (auto& [h, days] : spells)
    days.erase(days.begin(), days.lower_bound(oldest));
}

std::optional<duration> quiet_spells::longest(const core& k, time_point since, time_point now,
                                              duration history, duration around) const {
  const int h = k.local_hour(since);
  const int margin = static_cast<int>(std::chrono::floor<std::chrono::hours>(around).count());
  const long long oldest = k.local_day(now) - std::chrono::floor<date::days>(history).count();
  std::optional<duration> best;
  for (int dh = -margin; dh <= margin; ++dh) {
    auto it = spells.find(((h + dh) % 24 + 24) % 24);
    if (it == spells.end()) continue;
    for (const auto& [day, len] : it->second)
      if (day >= oldest) best = std::max(best.value_or(duration{0}), duration{len});
  }
  return best;
}

void quiet_spells::write(json::object& o) const {
  if (spells.empty()) return;
  json::object sp;
  for (const auto& [h, days] : spells) {
    json::object d;
    for (const auto& [day_, len] : days)
      d[std::to_string(day_)] = len;
    sp[std::to_string(h)] = std::move(d);
  }
  o["spells"] = std::move(sp);
}

void quiet_spells::read(const json::object& o) {
  if (const auto* sp = o.if_contains("spells"); sp && sp->is_object())
    for (const auto& [h, days] : sp->get_object())
      if (days.is_object())
        for (const auto& [d, len] : days.get_object())
          if (len.is_number())
            spells[std::stoi(std::string(h))][std::stoll(std::string(d))] =
                len.to_number<long long>();
}

void fill_quiet_vars(args& vars, time_point since, time_point now, duration window,
                     duration history, std::optional<duration> longest) {
  using i18n::arg;
  vars["since"] = arg::of_time(since);
  vars["quiet_for"] = arg::of_span(now - since);
  vars["window"] = arg::of_span(window);
  vars["longest_quiet"] =
      longest ? arg::of_span(*longest) : arg::of_message({"inactivity.none_learned", {}});
  vars["baseline"] =
      longest
          ? arg::of_message(
                {"inactivity.longest_learned",
                 {{"history", arg::of_span(history)}, {"longest", arg::of_span(*longest)}}})
          : arg::of_message({"inactivity.nothing_learned", {{"history", arg::of_span(history)}}});
  vars["last_seen"] = arg::of_time(now);
}

}  // namespace hearth::engine::kinds
