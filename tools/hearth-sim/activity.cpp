// SPDX-License-Identifier: Apache-2.0
#include "activity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth::sim {
using namespace std::chrono_literals;

namespace {

enum stream_id : std::uint64_t {
  s_routine = 201,
  s_energy,
  s_door,
  s_motion,
};

/// One local day of a resident's routine, in minutes since local midnight.
struct routine {
  int wake = 0, bed = 0;
  int kettle = 0;
  int lunch = 0, lunch_len = 0, dinner = 0, dinner_len = 0;
  std::vector<std::pair<int, int>> out;  ///< outings: door opened at first, again at second
};

routine routine_of(std::uint64_t seed, int household, long long day) {
  auto r = stream(seed, s_routine,
                  static_cast<std::uint64_t>(household) * 100000 + static_cast<std::uint64_t>(day));
  routine x;
  x.wake = 390 + r.range(-30, 45);
  x.bed = 1305 + r.range(-30, 30);
  x.kettle = x.wake + r.range(10, 25);
  x.lunch = 690 + r.range(0, 30);
  x.lunch_len = r.range(20, 40);
  x.dinner = 1050 + r.range(0, 45);
  x.dinner_len = r.range(25, 45);
  const int morning = 510 + r.range(0, 90);
  x.out.push_back({morning, morning + r.range(40, 120)});
  if (r.chance(0.5)) {
    const int afternoon = 900 + r.range(0, 90);
    x.out.push_back({afternoon, afternoon + r.range(20, 60)});
  }
  return x;
}

class local_time {
 public:
  explicit local_time(int utc_offset_hours) : offset_s_(utc_offset_hours * 3600LL) {}
  long long day(time_point t) const { return floor_div(seconds(t), 86400); }
  int minute(time_point t) const { return static_cast<int>((seconds(t) - day(t) * 86400) / 60); }
  time_point at(long long day, int minute) const {
    return time_point{std::chrono::seconds(day * 86400 + minute * 60LL - offset_s_)};
  }

 private:
  static long long floor_div(long long a, long long b) { return a / b - (a % b < 0 ? 1 : 0); }
  long long seconds(time_point t) const {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count() + offset_s_;
  }
  long long offset_s_;
};

time_point ms_after(time_point t, double seconds) {
  return t + duration(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

bool at_home(const routine& x, int m) {
  return std::none_of(x.out.begin(), x.out.end(),
                      [&](const auto& o) { return m >= o.first && m < o.second; });
}

/// The draw (W) in minute `m` of a day with routine `x`: standby always, use while the
/// resident is up, at home and not idle.
double watts(const household& h, const routine& x, int m, long long epoch_minute, bool idle) {
  double w = h.standby_w + ((epoch_minute + h.building_index * 7) % 50 < 15 ? 70 : 0);  // fridge
  if (idle || m < x.wake || m >= x.bed || !at_home(x, m)) return w;
  if (m >= x.kettle && m < x.kettle + 3) w += 1800;
  if ((m >= x.lunch && m < x.lunch + x.lunch_len) || (m >= x.dinner && m < x.dinner + x.dinner_len))
    w += 1000;
  if (m >= 1140) w += 110;  // television and lights until bed
  return w;
}

class sensor {
 public:
  sensor(const community& c, int index, const activity_window& w, const activity_plan& p)
      : d_(c.devices[static_cast<std::size_t>(index)]),
        h_(c.households[static_cast<std::size_t>(d_.household)]),
        w_(w),
        p_(p),
        lt_(w.utc_offset_hours),
        index_(index) {}

  /// An energy meter's cumulative kWh at the window's end (after `run`; < 0 for others).
  double kwh() const { return kwh_; }

  std::vector<message> run() {
    switch (d_.kind) {
      case device_kind::energy:
        energy();
        break;
      case device_kind::door:
        door();
        break;
      default:
        motion();
        break;
    }
    return std::move(out_);
  }

 private:
  void emit(time_point ts, std::string payload) {
    if (ts < w_.start || ts >= w_.end) return;
    out_.push_back({ts, "zigbee2mqtt/" + d_.external_id, std::move(payload), index_});
  }
  const routine& day(long long d) {
    if (d != day_) {
      day_ = d;
      routine_ = routine_of(w_.seed, d_.household, d);
    }
    return routine_;
  }
  bool idle(time_point t) const { return p_.idle.contains(t) || t >= p_.leave_at; }

  /// Every 10 minutes, the cumulative kWh (two decimals, as Zigbee2MQTT shows it) and the
  /// draw at that moment.
  void energy() {
    auto r = stream(w_.seed, s_energy, static_cast<std::uint64_t>(index_));
    double kwh = w_.kwh >= 0 ? w_.kwh : d_.kwh;
    const auto first = w_.start + std::chrono::minutes(d_.offset_s % 10);
    for (auto t = w_.start; t < w_.end; t += 1min) {
      const auto epoch_minute = std::chrono::floor<std::chrono::minutes>(t).time_since_epoch();
      const double w = watts(h_, day(lt_.day(t)), lt_.minute(t), epoch_minute.count(), idle(t));
      kwh += w / 60 / 1000;
      if (t < first || (t - first) % 10min != 0min) continue;
      const double now_w = std::round(w * 10) / 10;
      emit(
          ms_after(t, r.uniform(0.05, 0.9)),
          fmt::format(
              R"({{"current":{:.2f},"energy":{:.2f},"linkquality":{},"power":{},"state":"ON","voltage":{}}})",
              now_w / 230, std::floor(kwh * 100) / 100, r.range(60, 160), now_w,
              r.range(226, 234)));
    }
    kwh_ = kwh;
  }

  std::string contact(bool open, double battery, rng& r) const {
    return fmt::format(
        R"({{"battery":{},"contact":{},"device_temperature":{},"linkquality":{},"voltage":{}}})",
        std::clamp(static_cast<int>(std::lround(battery)), 0, 100), open ? "false" : "true",
        r.range(18, 26), r.range(40, 160), 2800 + static_cast<int>(battery) * 3);
  }

  /// Openings (each closed a minute later) and check-ins every 55 to 110 minutes.
  void door() {
    auto r = stream(w_.seed, s_door, static_cast<std::uint64_t>(index_));
    std::vector<std::pair<time_point, bool>> changes;  // the door opens (true) or closes
    for (auto d = lt_.day(w_.start); lt_.at(d, 0) < w_.end; ++d) {
      const auto& x = day(d);
      for (const auto& [go, back] : x.out)
        for (int m : {go, back}) {
          const auto t = lt_.at(d, m) + std::chrono::seconds(r.range(0, 59));
          if (idle(t) || p_.door_open.contains(t)) continue;
          changes.push_back({t, true});
          changes.push_back({t + std::chrono::seconds(r.range(30, 90)), false});
        }
    }
    if (p_.leave_at < w_.end) {
      changes.push_back({p_.leave_at, true});
      changes.push_back({p_.leave_at + 50s, false});
    }
    if (p_.door_open.from < w_.end) {
      changes.push_back({p_.door_open.from, true});
      changes.push_back({p_.door_open.until, false});
    }
    std::sort(changes.begin(), changes.end());
    double battery = d_.battery;
    bool open = false;
    std::size_t next = 0;
    for (auto t = ms_after(w_.start, d_.offset_s * 1.5); t < w_.end || next < changes.size();) {
      if (next < changes.size() && changes[next].first <= t) {
        open = changes[next].second;
        emit(changes[next].first, contact(open, battery, r));
        ++next;
        continue;
      }
      if (t >= w_.end) break;
      battery -= d_.drain_per_day / 16;
      emit(t, contact(open, battery, r));
      t = ms_after(t, r.uniform(55, 110) * 60);
    }
  }

  /// Motion while the resident is up and at home, every 10 to 70 minutes (occupancy false
  /// again 90 s later), and check-ins every 55 to 110 minutes.
  void motion() {
    auto r = stream(w_.seed, s_motion, static_cast<std::uint64_t>(index_));
    const auto payload = [&](bool seen, double battery) {
      return fmt::format(
          R"({{"battery":{},"illuminance":{},"illuminance_lux":{},"linkquality":{},"occupancy":{},"voltage":{}}})",
          std::clamp(static_cast<int>(std::lround(battery)), 0, 100), r.range(5, 300),
          r.range(5, 300), r.range(40, 160), seen, 2900 + static_cast<int>(battery) * 2);
    };
    double battery = d_.battery;
    for (auto d = lt_.day(w_.start); lt_.at(d, 0) < w_.end; ++d) {
      const auto& x = day(d);
      for (int m = x.wake + r.range(0, 10); m < x.bed; m += r.range(10, 70)) {
        const auto t = lt_.at(d, m) + std::chrono::seconds(r.range(0, 59));
        if (idle(t) || !at_home(x, m)) continue;
        emit(t, payload(true, battery));
        emit(t + 90s, payload(false, battery));
      }
    }
    for (auto t = ms_after(w_.start, d_.offset_s * 1.5); t < w_.end;
         t = ms_after(t, r.uniform(55, 110) * 60)) {
      battery -= d_.drain_per_day / 16;
      emit(t, payload(false, battery));
    }
  }

  const device& d_;
  const household& h_;
  const activity_window& w_;
  const activity_plan& p_;
  local_time lt_;
  int index_;
  long long day_ = std::numeric_limits<long long>::min();
  routine routine_;
  std::vector<message> out_;
  double kwh_ = -1;
};

}  // namespace

std::vector<message> activity_stream(const community& c, int index, const activity_window& w,
                                     const activity_plan& p, double* kwh_end) {
  sensor s(c, index, w, p);
  auto out = s.run();
  if (kwh_end) *kwh_end = s.kwh();
  return out;
}

}  // namespace hearth::sim
