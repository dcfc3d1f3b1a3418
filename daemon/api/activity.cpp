// SPDX-License-Identifier: Apache-2.0
#include "api/activity.hpp"

#include <algorithm>

#include "normalize/counter.hpp"

namespace hearth::api {

using namespace std::chrono_literals;

std::string_view series_kind_name(series_kind k) {
  switch (k) {
    case series_kind::use:
      return "use";
    case series_kind::count:
      return "count";
    case series_kind::mean:
      return "mean";
  }
  return "mean";
}

series_kind kind_of(metric m) {
  if (m == metric::water_total_l || m == metric::power_total_kwh) return series_kind::use;
  return info(m).boolean ? series_kind::count : series_kind::mean;
}

std::vector<metric> activity_metrics() {
  std::vector<metric> out;
  for (std::string_view n :
       {"water.total_l", "power.total_kwh", "power.w", "door.open", "motion.detected"})
    if (auto m = metric_from_name(n)) out.push_back(*m);
  return out;
}

std::vector<std::optional<double>> hourly(metric m,
                                          const std::vector<store::stored_reading>& readings,
                                          time_point from, std::size_t hours,
                                          std::optional<double> wrap) {
  std::vector<std::optional<double>> out(hours);
  const auto to = from + std::chrono::hours(static_cast<long long>(hours));
  auto bucket = [&](time_point t) -> std::ptrdiff_t {
    return std::chrono::floor<std::chrono::hours>(t - from).count();
  };
  const auto kind = kind_of(m);
  if (kind == series_kind::use) {
    const store::stored_reading* prev = nullptr;
    for (const auto& r : readings) {
      if (r.metric != m) continue;
      if (prev && r.ts > prev->ts && r.ts > from && prev->ts < to) {
        const double used = normalize::counter_step(prev->value, r.value, wrap).used_l;
        const auto span = r.ts - prev->ts;
        // Spread over the hours the step covers, in proportion to the time in each.
        for (auto t = std::max(prev->ts, from); t < std::min(r.ts, to);) {
          const auto b = bucket(t);
          const auto end = std::min({from + std::chrono::hours(b + 1), r.ts, to});
          const double share =
              used * static_cast<double>((end - t).count()) / static_cast<double>(span.count());
          auto& cell = out[static_cast<std::size_t>(b)];
          cell = cell.value_or(0) + share;
          t = end;
        }
      }
      prev = &r;
    }
    return out;
  }
  std::vector<int> n(hours, 0);
  std::optional<std::ptrdiff_t> first, last;
  for (const auto& r : readings) {
    if (r.metric != m || r.ts < from || r.ts >= to) continue;
    const auto b = bucket(r.ts);
    first = std::min(first.value_or(b), b);
    last = std::max(last.value_or(b), b);
    auto& cell = out[static_cast<std::size_t>(b)];
    if (kind == series_kind::count) {
      cell = cell.value_or(0) + (r.value != 0 ? 1 : 0);
    } else {
      cell = cell.value_or(0) + r.value;
      ++n[static_cast<std::size_t>(b)];
    }
  }
  if (kind == series_kind::mean) {
    for (std::size_t i = 0; i < hours; ++i)
      if (out[i]) *out[i] /= n[i];
  } else if (first) {
    for (auto b = *first; b <= *last; ++b)
      if (!out[static_cast<std::size_t>(b)]) out[static_cast<std::size_t>(b)] = 0;
  }
  return out;
}

}  // namespace hearth::api
