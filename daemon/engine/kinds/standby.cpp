// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/standby.hpp"

#include <date/date.h>

#include <algorithm>
#include <limits>
#include <string>

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr duration k_half_hour = 30min;

long long slot_of(time_point t) {
  return static_cast<long long>(
      std::chrono::floor<std::chrono::minutes>(t.time_since_epoch()).count() / 30);
}
time_point start_of(long long slot) {
  return time_point{slot * k_half_hour};
}
double seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Nearest-rank percentile of `v` (reordered), `q` in [0, 1].
double percentile(std::vector<double>& v, double q) {
  const auto i = static_cast<std::size_t>(std::lround(q * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

}  // namespace

std::vector<standby_profile::half_hour> standby_profile::add(const core& k, time_point from,
                                                             time_point to, double kwh,
                                                             duration history) {
  std::vector<half_hour> out;
  if (to <= from) return out;
  const auto span = to - from;
  if (span > 1h) {
    // The sensor was silent: how the energy was spread over that time is unknown, so
    // the half-hours it covers say nothing; the one being filled ends where it stopped.
    if (slot_ >= 0) complete(k, out, history);
    return out;
  }
  const double wh = kwh * 1000;
  for (auto i = slot_of(from); i <= slot_of(to - 1ms); ++i) {
    const auto a = std::max(from, start_of(i)), b = std::min(to, start_of(i) + k_half_hour);
    if (b <= a) continue;
    if (i != slot_) {
      if (slot_ >= 0) complete(k, out, history);
      slot_ = i;
      wh_ = 0;
      covered_s_ = 0;
    }
    wh_ += wh * seconds(b - a) / seconds(span);
    covered_s_ += seconds(b - a);
  }
  if (slot_ < 0) return out;
  const auto end = start_of(slot_) + k_half_hour;
  if (to >= end)
    complete(k, out, history);
  else
    out.push_back({start_of(slot_), end, wh_ / 0.5, false});
  return out;
}

void standby_profile::complete(const core& k, std::vector<half_hour>& out, duration history) {
  const auto start = start_of(slot_);
  slot_ = -1;
  if (covered_s_ < seconds(k_half_hour) / 2) return;  // too little of it was seen
  const double watts = wh_ / (covered_s_ / 3600);
  const auto day = k.local_day(start);
  auto [it, added] = days_.try_emplace(day);
  if (added) it->second.fill(std::numeric_limits<float>::quiet_NaN());
  it->second[static_cast<std::size_t>(k.local_minute(start) / 30)] = static_cast<float>(watts);
  const long long oldest = day - std::chrono::floor<date::days>(history).count();
  days_.erase(days_.begin(), days_.lower_bound(oldest));
  out.push_back({start, start + k_half_hour, watts, true});
}

int standby_profile::nights() const {
  int n = 0;
  for (const auto& [day, slots] : days_) {
    int seen = 0;
    for (int s = k_night_from; s < k_night_to; ++s)
      seen += std::isnan(slots[static_cast<std::size_t>(s)]) ? 0 : 1;
    n += seen >= 4 ? 1 : 0;
  }
  return n;
}

std::optional<double> standby_profile::at(const core& k, time_point t) const {
  if (nights() < k_nights_needed) return std::nullopt;
  const int slot = k.local_minute(t) / 30;
  std::vector<double> near, night;
  for (const auto& [day, slots] : days_) {
    for (int ds = -2; ds <= 2; ++ds) {  // within an hour of the time of day
      const float v = slots[static_cast<std::size_t>(((slot + ds) % k_slots + k_slots) % k_slots)];
      if (!std::isnan(v)) near.push_back(v);
    }
    for (int s = k_night_from; s < k_night_to; ++s)
      if (const float v = slots[static_cast<std::size_t>(s)]; !std::isnan(v)) night.push_back(v);
  }
  if (near.size() < 6) return std::nullopt;  // this time of day is not known well enough yet
  const double level = percentile(near, 0.25);
  const double swing = std::max(0.0, percentile(night, 0.98) - percentile(night, 0.25));
  return level + swing;
}

void standby_profile::write(json::object& o) const {
  if (days_.empty() && slot_ < 0) return;
  json::object sb;
  if (slot_ >= 0) sb["filling"] = json::array{slot_, wh_, covered_s_};
  json::object days;
  for (const auto& [day, slots] : days_) {
    json::array a;
    for (float v : slots)
      a.push_back(std::isnan(v) ? json::value(nullptr) : json::value(std::round(v * 10) / 10));
    days[std::to_string(day)] = std::move(a);
  }
  sb["days"] = std::move(days);
  o["standby"] = std::move(sb);
}

void standby_profile::read(const json::object& o) {
  const auto* sb = o.if_contains("standby");
  if (!sb || !sb->is_object()) return;
  if (const auto* f = sb->get_object().if_contains("filling");
      f && f->is_array() && f->get_array().size() == 3) {
    slot_ = f->get_array()[0].to_number<long long>();
    wh_ = f->get_array()[1].to_number<double>();
    covered_s_ = f->get_array()[2].to_number<double>();
  }
  if (const auto* days = sb->get_object().if_contains("days"); days && days->is_object())
    for (const auto& [day, a] : days->get_object()) {
      if (!a.is_array() || a.get_array().size() != k_slots) continue;
      auto& slots = days_[std::stoll(std::string(day))];
      for (std::size_t i = 0; i < slots.size(); ++i)
        slots[i] = a.get_array()[i].is_number()
                       ? static_cast<float>(a.get_array()[i].to_number<double>())
                       : std::numeric_limits<float>::quiet_NaN();
    }
}

}  // namespace hearth::engine::kinds
