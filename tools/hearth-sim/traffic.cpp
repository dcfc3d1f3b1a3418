// SPDX-License-Identifier: Apache-2.0
#include "traffic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "activity.hpp"
#include "base/time.hpp"

namespace hearth::sim {
using namespace std::chrono_literals;

namespace {

enum stream_id : std::uint64_t {
  s_plan = 101,
  s_meter,
  s_zigbee,
  s_tilt,
  s_pendant,
  s_fault,
  s_activity_plan,
  s_death,
};

/// Relative water use by local hour: quiet nights, a morning and an evening peak. Hour 3
/// is always dry so that an ordinary household never looks like a tap left running.
constexpr double k_hourly[24] = {0.6, 0.3, 0.2, 0.0, 0.2, 1.2, 5.0, 9.0, 8.0, 5.0, 3.0, 3.0,
                                 4.0, 3.0, 2.0, 2.0, 3.0, 5.0, 8.0, 9.0, 7.0, 5.0, 3.0, 1.2};
constexpr double k_hourly_sum = [] {
  double s = 0;
  for (double w : k_hourly)
    s += w;
  return s;
}();

constexpr time_point never = time_point::max();

/// std::hash differs between standard libraries; the capture must not.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : s)
    h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ULL;
  return h;
}

time_point ms_after(time_point t, double seconds) {
  return t + duration(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

int clamp_pct(double v) {
  return std::clamp(static_cast<int>(std::lround(v)), 0, 100);
}

/// The welfare rules' `history` (rules/lone-elder-*.yaml): how long an alerted quiet spell
/// stays in what they learn of a household's routine.
constexpr duration k_welfare_history = std::chrono::hours(24 * 28);

struct interval {
  time_point from = never, until = never;
  bool contains(time_point t) const { return t >= from && t < until; }
};

/// What incidents change in a device's regular stream.
struct override_plan {
  interval quiet;                      ///< meters: no water used
  time_point silent_from = never;      ///< no message at all from here on
  time_point tamper_at = never;        ///< the first frame after this has the tamper flag
  time_point battery_drop_at = never;  ///< battery falls to 18 % and a point per report
  time_point drift_from = never;       ///< tilt: angle_x drifts from here on
  double drift_deg_per_h = 0;
  interval skew;              ///< native: device clock 20 min ahead
  bool dies = false;          ///< silent_from is for good: it stays dead in later periods
  activity_plan act;          ///< activity sensors: idle, leaving, the door left open
  time_point spared_until{};  ///< see resume::spared_until
};

class generator {
 public:
  generator(const community& c, const traffic_options& o)
      : c_(c),
        o_(o),
        end_(ms_after(o.start, o.days * 86400.0)),
        plans_(c.devices.size()),
        outage_(c.gateways.size()),
        gateway_dead_(c.gateways.size(), never) {
    out_.end_state.resize(c.devices.size());
    for (std::size_t g = 0; g < c.gateways.size(); ++g)
      if (dead_before(c.gateways[g].device)) gateway_dead_[g] = o.start;
  }

  traffic run() {
    // The death first: a gateway that dies has no outage planned the same day.
    if (o_.gateway_death_at) plan_gateway_death(*o_.gateway_death_at);
    if (o_.incidents) plan_incidents();
    plan_deaths();
    for (std::size_t i = 0; i < c_.devices.size(); ++i) {
      regular(static_cast<int>(i));
      out_.end_state[i].spared_until =
          std::max(spared_until(static_cast<int>(i)), plans_[i].spared_until);
    }
    if (o_.incidents) faults();
    std::stable_sort(out_.messages.begin(), out_.messages.end(),
                     [](const message& a, const message& b) { return a.ts < b.ts; });
    std::stable_sort(out_.incidents.begin(), out_.incidents.end(),
                     [](const incident& a, const incident& b) { return a.at < b.at; });
    for (std::size_t i = 0; i < out_.incidents.size(); ++i)
      out_.incidents[i].id = fmt::format("inc-{:04}", i + 1);
    return std::move(out_);
  }

 private:
  // --- payloads ----------------------------------------------------------------------------

  static std::string chirpstack_topic(const device& d) {
    return fmt::format("application/7d3f/device/{}/event/up", d.external_id);
  }
  static std::string tts_topic(const device& d, const char* app) {
    return fmt::format("v3/{}@hearth/devices/{}/up", app, d.id);
  }

  std::string chirpstack_up(const device& d, rng& r, time_point event, std::uint32_t fcnt,
                            const std::string& data, const std::string& object) const {
    const auto& gw = c_.gateways[static_cast<std::size_t>(d.gateway)];
    return fmt::format(
        R"({{"deduplicationId":"{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}","time":"{}","deviceInfo":{{"tenantId":"52f14cd4-c6f1-4fbd-8f87-4025e1d49242","applicationId":"7d3f","applicationName":"community-meters","deviceProfileName":"hearth-ref-meter","deviceName":"{}","devEui":"{}"}},"devAddr":"{:08x}","fCnt":{},"fPort":1,"dr":{},"data":"{}"{},"rxInfo":[{{"gatewayId":"{}","rssi":{},"snr":{:.1f}}}]}})",
        r.next() & 0xffffffff, r.next() & 0xffff, r.next() & 0xfff, r.next() & 0xfff,
        r.next() & 0xffffffffffffULL, format_rfc3339(event), d.id, d.external_id,
        0x00180000 | (fnv1a(d.external_id) & 0xffff), fcnt, r.range(0, 5), data,
        object.empty() ? "" : ",\"object\":" + object, gw.id, -r.range(70, 118), r.uniform(-7, 11));
  }

  // --- regular streams ---------------------------------------------------------------------

  void emit(time_point ts, std::string topic, std::string payload, int dev) {
    if (ts >= end_ || ts < o_.start) return;
    out_.messages.push_back({ts, std::move(topic), std::move(payload), dev});
  }

  /// The device died in an earlier period.
  bool dead_before(int index) const {
    return index >= 0 && o_.from && static_cast<std::size_t>(index) < o_.from->size() &&
           (*o_.from)[static_cast<std::size_t>(index)].dead;
  }
  /// Its battery is still low from a battery-low incident of an earlier period (nobody
  /// replaces it here): its battery-low alert is open, so another incident would be hidden.
  bool still_low(int index) const {
    const auto* from = carried(index);
    return from && from->battery > 0 && from->battery < 18;
  }
  const resume* carried(int index) const {
    return o_.from && static_cast<std::size_t>(index) < o_.from->size()
               ? &(*o_.from)[static_cast<std::size_t>(index)]
               : nullptr;
  }
  /// Nothing is heard through the device's gateway at `t` (it died).
  bool unheard(const device& d, time_point t) const {
    return d.gateway >= 0 && t >= gateway_dead_[static_cast<std::size_t>(d.gateway)];
  }
  /// The battery as the device's stream left it at the start of the period.
  double battery_now(int index) const {
    const auto* from = carried(index);
    return from && from->battery > 0 ? from->battery
                                     : c_.devices[static_cast<std::size_t>(index)].battery;
  }
  void finish(int index, time_point next, double litres, double battery, std::uint32_t fcnt) {
    // A battery-low incident whose drop no report showed yet (a slow check-in near the end of
    // the period) carries on into the next period.
    if (plans_[static_cast<std::size_t>(index)].battery_drop_at != never)
      battery = std::min(battery, 17.99);
    auto& e = out_.end_state[static_cast<std::size_t>(index)];
    e = {next, litres, battery, fcnt,
         dead_before(index) || plans_[static_cast<std::size_t>(index)].dies};
  }
  time_point spared_until(int index) const {
    const auto* from = carried(index);
    return from ? from->spared_until : time_point{};
  }
  /// The household's resident is still marked away from an earlier period's away incident.
  bool spared(int household) const {
    if (household < 0) return false;
    const auto& h = c_.households[static_cast<std::size_t>(household)];
    for (int i : {h.meter, h.energy, h.door, h.motion})
      if (i >= 0 && spared_until(i) > o_.start) return true;
    return false;
  }

  int local_hour(time_point t) const {
    const auto secs = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count() +
                      o_.utc_offset_hours * 3600LL;
    return static_cast<int>(((secs / 3600) % 24 + 24) % 24);
  }

  void regular(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    switch (d.kind) {
      case device_kind::lora_meter:
      case device_kind::tts_meter:
        meter(index);
        break;
      case device_kind::tilt:
        tilt(index);
        break;
      case device_kind::pendant:
        pendant(index);
        break;
      case device_kind::gateway:
      case device_kind::bridge:
        state(index);
        break;
      case device_kind::energy:
      case device_kind::door:
      case device_kind::motion: {
        // An energy meter's counter carries on from the period before (a month is made a
        // day at a time): restarting it would count backwards at every midnight.
        activity_window w{o_.start, end_, o_.utc_offset_hours, c_.options.seed};
        if (const auto* from = carried(index); from && from->kwh >= 0) w.kwh = from->kwh;
        double kwh_end = -1;
        for (auto& m :
             activity_stream(c_, index, w, plans_[static_cast<std::size_t>(index)].act, &kwh_end))
          emit(m.ts, std::move(m.topic), std::move(m.payload), index);
        out_.end_state[static_cast<std::size_t>(index)].kwh = kwh_end;
        break;
      }
      default:
        zigbee(index);
        break;
    }
  }

  /// A gateway's connection state (ChirpStack v4, retained) and the Zigbee2MQTT bridge's:
  /// online when the community starts, then what outages and a death change.
  void state(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    finish(index, end_, 0, 0, 0);
    if (d.kind == device_kind::bridge) {
      if (!o_.from) emit(o_.start, "zigbee2mqtt/bridge/state", R"({"state":"online"})", index);
      return;
    }
    const auto topic = fmt::format("eu868/gateway/{}/state/conn", d.external_id);
    auto conn = [&](time_point t, bool online) {
      emit(t, topic,
           fmt::format(R"({{"gatewayId":"{}","state":"{}"}})", d.external_id,
                       online ? "ONLINE" : "OFFLINE"),
           index);
    };
    if (dead_before(index)) return;
    if (!o_.from) conn(o_.start, true);
    const auto& out = outage_[static_cast<std::size_t>(d.gateway)];
    if (out.from != never) {
      conn(out.from, false);
      conn(out.until, true);
    }
    if (const auto died = gateway_dead_[static_cast<std::size_t>(d.gateway)]; died != never) {
      conn(died, false);
      out_.end_state[static_cast<std::size_t>(index)].dead = true;
    }
  }

  void meter(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    const auto& plan = plans_[static_cast<std::size_t>(index)];
    const auto& h = c_.households[static_cast<std::size_t>(d.household)];
    auto r = stream(c_.options.seed, s_meter, static_cast<std::uint64_t>(index));
    const auto* from = carried(index);
    double litres = from ? from->litres : d.litres, battery = from ? from->battery : d.battery;
    std::uint32_t fcnt = from ? from->frame_counter : d.frame_counter;
    bool tamper_sent = false;
    std::size_t flushed = 0;
    auto base = from ? from->next : o_.start + std::chrono::seconds(d.offset_s);
    if (dead_before(index)) base = end_;
    for (; base < end_; base += 1h) {
      // A fixed hourly schedule, each report a little early or late.
      const auto t = ms_after(base, r.uniform(-1, 1) * d.jitter * d.cadence_s);
      // Water used in the hour before this report, by the local hour it centres on.
      const auto mid = t - 30min;
      const int hour = local_hour(mid);
      double used = h.daily_litres * k_hourly[hour] / k_hourly_sum * r.uniform(0.4, 1.6);
      if (hour <= 4 && r.chance(0.6)) used = 0;
      if (plan.quiet.contains(mid)) used = 0;
      litres += used;
      battery -= d.drain_per_day / 24;
      // Below 18 % only after a battery-low incident (natural drain never gets there): it
      // keeps falling a point a report into the next period, until the alert.
      if (t >= plan.battery_drop_at || battery < 18)
        battery = std::max(1.0, std::min(battery, 18.0) - 1);  // flat, never 0: still low
      if (t >= plan.silent_from) {
        if (plan.dies) base = end_;
        break;
      }
      const bool tamper = !tamper_sent && t >= plan.tamper_at;
      tamper_sent = tamper_sent || tamper;
      ++fcnt;
      const auto total = static_cast<std::uint32_t>(std::fmod(std::floor(litres), 4294967296.0));
      const int pct = clamp_pct(battery);
      const bool low = battery <= 15;
      const auto event = ms_after(t, -r.uniform(0.1, 0.9));
      time_point receipt = t;
      // A gateway outage holds the uplinks; at reconnect it flushes them in one burst.
      if (d.gateway >= 0 && outage_[static_cast<std::size_t>(d.gateway)].contains(t)) {
        receipt = outage_[static_cast<std::size_t>(d.gateway)].until +
                  duration(static_cast<std::int64_t>(index % 997) * 3 + flushed++ * 40);
      }
      if (unheard(d, receipt)) continue;  // its gateway is dead: the uplink is lost
      if (d.kind == device_kind::lora_meter) {
        const auto data = base64_encode(meter_frame(total, false, false, low, tamper, pct));
        std::string object;
        if (r.chance(0.3))
          object = fmt::format(R"({{"total_l":{},"leak":false,"burst":false,"battery":{}}})", total,
                               pct);
        // A decoded object does not carry the tamper flag: keep the bytes authoritative.
        if (tamper || low) object.clear();
        emit(receipt, chirpstack_topic(d), chirpstack_up(d, r, event, fcnt, data, object), index);
      } else {
        const auto data = base64_encode(meter_frame(total, false, false, low, tamper, pct));
        emit(
            receipt, tts_topic(d, "community-meters"),
            fmt::format(
                R"({{"end_device_ids":{{"device_id":"{}","application_ids":{{"application_id":"community-meters"}},"dev_eui":"{}"}},"received_at":"{}","uplink_message":{{"f_port":1,"f_cnt":{},"frm_payload":"{}","decoded_payload":{{"total_l":{},"leak":false,"burst":false,"battery_low":{},"tamper":{},"battery":{}}},"rx_metadata":[{}]}}}})",
                d.id, d.external_id, format_rfc3339(event), fcnt, data, total, low, tamper, pct,
                tts_rx(d)),
            index);
      }
    }
    finish(index, base, litres, battery, fcnt);
  }

  std::string tts_rx(const device& d) const {
    const auto& gw = c_.gateways[static_cast<std::size_t>(d.gateway)];
    return fmt::format(R"({{"gateway_ids":{{"gateway_id":"gw-{}","eui":"{}"}},"rssi":-{}}})",
                       d.gateway + 1, gw.id, 70 + static_cast<int>(fnv1a(d.id) % 48));
  }

  std::string zigbee_state(const device& d, rng& r, double battery, bool low) const {
    const int lq = r.range(40, 160);
    switch (d.kind) {
      case device_kind::sos_button:
        return fmt::format(R"({{"battery":{},"battery_low":{},"linkquality":{},"voltage":{}}})",
                           clamp_pct(battery), low, lq, 2500 + clamp_pct(battery) * 5);
      case device_kind::smoke:
        return fmt::format(
            R"({{"smoke":false,"test":false,"battery_low":{},"battery":{},"tamper":false,"linkquality":{}}})",
            low, clamp_pct(battery), lq);
      case device_kind::gas:
        return fmt::format(R"({{"gas":false,"gas_value":{},"tamper":false,"linkquality":{}}})",
                           r.range(0, 2), lq);
      case device_kind::water_leak:
        return fmt::format(
            R"({{"water_leak":false,"battery":{},"battery_low":{},"linkquality":{},"voltage":{}}})",
            clamp_pct(battery), low, lq, 2600 + clamp_pct(battery) * 5);
      default:
        return "{}";
    }
  }

  void zigbee(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    const auto& plan = plans_[static_cast<std::size_t>(index)];
    auto r = stream(c_.options.seed, s_zigbee, static_cast<std::uint64_t>(index));
    const auto* from = carried(index);
    double battery = from ? from->battery : d.battery;
    // Check-ins on the device's own timer (its type declares 2 h), each one wandering a little.
    auto t = from ? from->next : ms_after(o_.start, d.cadence_s * (d.offset_s / 3600.0));
    if (dead_before(index)) t = end_;
    for (; t < end_; t = ms_after(t, d.cadence_s * r.uniform(1 - d.jitter, 1 + d.jitter))) {
      battery -= d.drain_per_day * d.cadence_s / 86400.0;
      // Below 18 % only after a battery-low incident (natural drain never gets there): it
      // keeps falling a point a report into the next period, until the alert.
      if (t >= plan.battery_drop_at || battery < 18)
        battery = std::max(1.0, std::min(battery, 18.0) - 1);  // flat, never 0: still low
      if (t >= plan.silent_from) {
        if (plan.dies) t = end_;
        break;
      }
      emit(t, "zigbee2mqtt/" + d.external_id, zigbee_state(d, r, battery, battery <= 15), index);
    }
    finish(index, t, 0, battery, 0);
  }

  void tilt(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    const auto& plan = plans_[static_cast<std::size_t>(index)];
    auto r = stream(c_.options.seed, s_tilt, static_cast<std::uint64_t>(index));
    const auto* from = carried(index);
    double battery = from ? from->battery : d.battery;
    std::uint32_t fcnt = from ? from->frame_counter : d.frame_counter;
    std::size_t flushed = 0;
    auto t = from ? from->next : o_.start + std::chrono::seconds(d.offset_s);
    for (; t < end_; t += 1h) {
      battery -= d.drain_per_day / 24;
      double x = d.tilt_x + r.uniform(-0.004, 0.004), y = d.tilt_y + r.uniform(-0.004, 0.004);
      if (t > plan.drift_from)
        x += plan.drift_deg_per_h *
             std::chrono::duration<double, std::ratio<3600>>(t - plan.drift_from).count();
      ++fcnt;
      time_point receipt = t;
      if (outage_[static_cast<std::size_t>(d.gateway)].contains(t))
        receipt = outage_[static_cast<std::size_t>(d.gateway)].until + 7ms + flushed++ * 40ms;
      if (unheard(d, receipt)) continue;
      emit(
          receipt, tts_topic(d, "community-structure"),
          fmt::format(
              R"({{"end_device_ids":{{"device_id":"{}","application_ids":{{"application_id":"community-structure"}},"dev_eui":"{}"}},"received_at":"{}","uplink_message":{{"f_port":85,"f_cnt":{},"frm_payload":"AWQ=","decoded_payload":{{"angle_x":{:.3f},"angle_y":{:.3f},"angle_z":{:.2f},"battery":{}}},"rx_metadata":[{}]}}}})",
              d.id, d.external_id, format_rfc3339(ms_after(t, -r.uniform(0.2, 0.9))), fcnt, x, y,
              89.6 + r.uniform(-0.02, 0.02), clamp_pct(battery), tts_rx(d)),
          index);
    }
    finish(index, t, 0, battery, fcnt);
  }

  std::string native(time_point device_time, const std::string& metrics) const {
    return fmt::format(R"({{"ts":"{}","metrics":{{{}}}}})", format_rfc3339(device_time), metrics);
  }

  void pendant(int index) {
    const auto& d = c_.devices[static_cast<std::size_t>(index)];
    const auto& plan = plans_[static_cast<std::size_t>(index)];
    auto r = stream(c_.options.seed, s_pendant, static_cast<std::uint64_t>(index));
    const auto* from = carried(index);
    double battery = from ? from->battery : d.battery;
    auto t = from ? from->next : o_.start + std::chrono::seconds(d.offset_s);
    for (; t < end_; t += 1h) {
      battery -= d.drain_per_day / 24;
      const auto clock = plan.skew.contains(t) ? t + 20min : t;
      emit(ms_after(t, r.uniform(0.01, 0.2)), "hearth/v1/devices/" + d.external_id + "/up",
           native(clock, fmt::format(R"("device.battery_pct":{})", clamp_pct(battery))), index);
    }
    finish(index, t, 0, battery, 0);
  }

  // --- incidents ---------------------------------------------------------------------------

  int count(double per_2000_per_day) const {
    const double n = per_2000_per_day * o_.incident_rate * c_.households.size() / 2000.0 * o_.days;
    return std::max(1, static_cast<int>(std::lround(n)));
  }

  /// A time in [start + lo, end - tail), or nullopt when the period is too short.
  std::optional<time_point> when(rng& r, duration lo, duration tail) const {
    const auto a = o_.start + lo, b = end_ - tail;
    if (b <= a) return std::nullopt;
    return ms_after(a, r.uniform(0, std::chrono::duration<double>(b - a).count()));
  }

  /// The next unused device of a kind, walking a seeded permutation.
  /// `water_only`: only in a household whose water meter is its only activity sensor.
  int pick(rng& r, std::initializer_list<device_kind> kinds, bool lone_elder_only = false,
           bool water_only = false) {
    const auto n = c_.devices.size();
    if (n == 0) return -1;
    const auto start = r.next() % n;
    // 7919 is prime: stepping by it visits every device, unless n is a multiple of it.
    const std::size_t step = n % 7919 == 0 ? 1 : 7919;
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = (start + k * step) % n;
      const auto& d = c_.devices[i];
      if (used_.count(static_cast<int>(i))) continue;
      if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) continue;
      if (dead_before(static_cast<int>(i)) || unheard(d, o_.start)) continue;
      if (still_low(static_cast<int>(i))) continue;
      if (lone_elder_only &&
          (d.household < 0 || !c_.households[static_cast<std::size_t>(d.household)].lone_elder))
        continue;
      if (water_only && d.household >= 0 &&
          c_.households[static_cast<std::size_t>(d.household)].activity_sensors())
        continue;
      if (d.household >= 0 && used_households_.count(d.household)) continue;
      if (lone_elder_only && spared(d.household)) continue;
      used_.insert(static_cast<int>(i));
      if (d.household >= 0) used_households_.insert(d.household);
      return static_cast<int>(i);
    }
    return -1;
  }

  incident& add(const char* kind, time_point at, int dev, std::vector<std::string> rules,
                std::string detail) {
    incident i;
    i.kind = kind;
    i.at = at;
    if (dev >= 0) {
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      i.device_id = d.id;
      i.household_id = d.household_id;
      i.building = d.building;
    }
    i.expected_rules = std::move(rules);
    i.detail = std::move(detail);
    out_.incidents.push_back(std::move(i));
    return out_.incidents.back();
  }

  /// Incidents that change regular streams are planned before the streams are generated.
  void plan_incidents() {
    auto r = stream(c_.options.seed, s_plan, period());
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 2h, 13h);
      const int dev =
          t ? pick(r, {device_kind::lora_meter, device_kind::tts_meter}, true, true) : -1;
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].quiet = {*t, end_};
      plans_[static_cast<std::size_t>(dev)].spared_until = end_ + k_welfare_history;
      add("quiet-resident", *t, dev, {"lone-elder-no-water"},
          fmt::format("a resident living alone stops using water at {}; the meter keeps reporting",
                      format_rfc3339(*t)));
    }
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 1h, 5h);
      const int dev = t ? pick(r, {device_kind::lora_meter, device_kind::tts_meter}) : -1;
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].silent_from = *t;
      add("silent-meter", *t, dev, {"device-offline"},
          "the meter stops reporting (battery or radio fault)");
    }
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 1h, 3h);
      const int dev = t ? pick(r, {device_kind::lora_meter}) : -1;
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].tamper_at = *t;
      add("tamper", *t, dev, {"device-tamper"}, "the meter's next frame has the tamper flag set");
    }
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 1h, 6h);
      const int dev = t ? pick(r, {device_kind::smoke, device_kind::lora_meter}) : -1;
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].battery_drop_at = *t;
      add("battery-low", *t, dev, {"battery-low"},
          "the battery falls to 17 % and a point a report after that, through 15 %");
    }
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 2h, 9h);
      const int dev = t ? pick(r, {device_kind::tilt}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      const double limit_deg =
          std::atan(c_.buildings[static_cast<std::size_t>(d.building_index)].tilt_limit_permille /
                    1000.0) *
          180.0 / 3.14159265358979323846;
      // Reaches 1.25 times the building's limit 8 hours after it starts.
      auto& p = plans_[static_cast<std::size_t>(dev)];
      p.drift_from = *t;
      p.drift_deg_per_h = limit_deg * 1.25 / 8;
      auto& inc =
          add("tilt-drift", *t, dev, {"building-tilt-warning", "building-tilt-critical"},
              fmt::format(
                  "angle_x drifts by {:.4f} deg an hour; the limit is {:.3f} deg "
                  "({} permille)",
                  p.drift_deg_per_h, limit_deg,
                  c_.buildings[static_cast<std::size_t>(d.building_index)].tilt_limit_permille));
      inc.household_id.clear();
    }
    for (int k = o_.gateway_outages ? std::min<int>(count(1), static_cast<int>(c_.gateways.size()))
                                    : 0;
         k-- > 0;) {
      auto t = when(r, 1h, 4h);
      if (!t) break;
      const auto g = static_cast<std::size_t>(r.next() % c_.gateways.size());
      if (outage_[g].from != never || gateway_dead_[g] != never) continue;
      outage_[g] = {*t, *t + 3h};
      std::size_t behind = 0;
      for (const auto& d : c_.devices)
        behind += d.gateway == static_cast<int>(g) ? 1 : 0;
      auto& inc = add("gateway-outage", *t, -1, {"gateway-offline"},
                      fmt::format("LoRaWAN gateway {} is down for 3 h; its {} devices go quiet and "
                                  "their held uplinks are flushed at reconnect; no device-offline "
                                  "alert is expected for them",
                                  c_.gateways[g].id, behind));
      inc.device_id = c_.devices[static_cast<std::size_t>(c_.gateways[g].device)].id;
      for (int b : c_.gateways[g].buildings)
        inc.building +=
            (inc.building.empty() ? "" : " ") + c_.buildings[static_cast<std::size_t>(b)].id;
      for (std::size_t i = 0; i < c_.devices.size(); ++i)
        if (c_.devices[i].gateway == static_cast<int>(g)) used_.insert(static_cast<int>(i));
    }
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 1h, 4h);
      const int dev = t ? pick(r, {device_kind::pendant}) : -1;
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].skew = {*t, *t + 3h};
      auto& inc = add("clock-skew", *t, dev, {},
                      "the pendant's clock runs 20 min fast for 3 h; its reports are refused as "
                      "from the future");
      inc.expected_rejections.assign(3, "future-timestamp");
    }
    plan_activity_incidents();
  }

  /// The household of an activity sensor: its water meter and its other sensors.
  std::vector<int> sensors_of(int dev) const {
    const auto& h = c_.households[static_cast<std::size_t>(
        c_.devices[static_cast<std::size_t>(dev)].household)];
    std::vector<int> out;
    for (int i : {h.meter, h.energy, h.door, h.motion})
      if (i >= 0) out.push_back(i);
    return out;
  }

  /// Incidents in homes with activity sensors beyond water (issue 14).
  void plan_activity_incidents() {
    // Seeded by the period, as the other incidents are: a month made a day at a time had the
    // same resident quiet at the same hour every day, warm-up included, so hearth learned
    // that as her usual day and lone-elder-inactive never fired (sim_month_test's misses).
    auto r = stream(c_.options.seed, s_activity_plan, period());
    // Quiet on every signal: no water, nothing above the standby load, no door, no motion.
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 2h, 14h);
      const int dev = t ? pick(r, {device_kind::door}, true) : -1;
      if (dev < 0) break;
      for (int i : sensors_of(dev)) {
        plans_[static_cast<std::size_t>(i)].quiet = {*t, end_};
        plans_[static_cast<std::size_t>(i)].act.idle = {*t, end_};
        plans_[static_cast<std::size_t>(i)].spared_until = end_ + k_welfare_history;
      }
      add("inactive-resident", *t, dev, {"lone-elder-inactive"},
          fmt::format("a resident living alone shows no sign of life from {}: no water, "
                      "electricity at standby, no door, no motion; every sensor keeps reporting",
                      format_rfc3339(*t)));
    }
    // No water, but otherwise active: the kettle, the door and motion say she is fine.
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 2h, 14h);
      const int dev = t ? pick(r, {device_kind::door}, true) : -1;
      if (dev < 0) break;
      const auto& h = c_.households[static_cast<std::size_t>(
          c_.devices[static_cast<std::size_t>(dev)].household)];
      plans_[static_cast<std::size_t>(h.meter)].quiet = {*t, end_};
      add("no-water-active", *t, dev, {},
          "a resident living alone uses no water (the meter keeps reporting) but is otherwise "
          "active: neither lone-elder-no-water nor lone-elder-inactive");
    }
    // Away: she leaves (the door opens once) and everything is at standby; her social
    // worker marked her away.
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 2h, 14h);
      const int dev = t ? pick(r, {device_kind::door}, true) : -1;
      if (dev < 0) break;
      const auto& h = c_.households[static_cast<std::size_t>(
          c_.devices[static_cast<std::size_t>(dev)].household)];
      for (int i : sensors_of(dev)) {
        plans_[static_cast<std::size_t>(i)].quiet = {*t, end_};
        plans_[static_cast<std::size_t>(i)].act.leave_at = *t;
      }
      auto& inc = add("away-standby", *t, dev, {},
                      "a resident living alone leaves to stay with family: the door opens once, "
                      "then everything is at standby; marked away, no welfare alert");
      inc.away_resident_id = c_.residents[static_cast<std::size_t>(h.residents.front())].id;
      inc.away_until = end_ + 24h;
      for (int i : sensors_of(dev))
        plans_[static_cast<std::size_t>(i)].spared_until = inc.away_until;
    }
    // The door left open at night: opened after 22:00, closed an hour or two later.
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 1h, 4h);
      if (!t) break;
      while (*t < end_ && local_hour(*t) != 22)
        *t += 1min;
      const auto open = ms_after(*t, r.uniform(5, 50) * 60);
      if (open + 31min >= end_) break;
      const int dev = pick(r, {device_kind::door}, true);
      if (dev < 0) break;
      plans_[static_cast<std::size_t>(dev)].act.door_open = {
          open, ms_after(open, r.uniform(60, 150) * 60)};
      add("door-left-open", open, dev, {"door-open-at-night"},
          "the entrance door is opened late in the evening and left open for an hour or two");
    }
  }

  /// `rate` per 2,000 households per day over the period, the fraction drawn (not rounded up).
  int drawn(rng& r, double rate) const {
    const double n = rate * static_cast<double>(c_.households.size()) / 2000.0 * o_.days;
    return static_cast<int>(std::floor(n)) + (r.uniform() < n - std::floor(n) ? 1 : 0);
  }

  /// Devices that really die: silent from a moment on, for good. hearth must raise exactly
  /// one device-offline for each, after twice the cadence it kept.
  void plan_deaths() {
    auto r = stream(c_.options.seed, s_death, fnv1a(format_rfc3339(o_.start)));
    for (int k = drawn(r, o_.death_rate); k-- > 0;) {
      auto t = when(r, 0h, 0h);
      const int dev =
          t ? pick(r, {device_kind::sos_button, device_kind::smoke, device_kind::water_leak,
                       device_kind::gas, device_kind::lora_meter, device_kind::tts_meter})
            : -1;
      if (dev < 0) break;
      auto& p = plans_[static_cast<std::size_t>(dev)];
      p.silent_from = *t;
      p.dies = true;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      add("device-death", *t, dev, {"device-offline"},
          fmt::format("the {} dies (it checked in every {} min)", type_name(d.kind),
                      d.cadence_s / 60));
    }
  }

  /// Which period this is, for the incident streams: 0 for the first (a period on its own),
  /// its start for one that continues another, so that each day of a month has incidents
  /// of its own rather than the first day's again.
  std::uint64_t period() const { return o_.from ? fnv1a(format_rfc3339(o_.start)) : 0; }

  /// A LoRaWAN gateway that really dies: its state goes OFFLINE and nothing is heard through
  /// it again. hearth must raise one gateway-offline and no device-offline for its devices.
  void plan_gateway_death(time_point at) {
    if (at < o_.start || at >= end_ || c_.gateways.empty()) return;
    auto r = stream(c_.options.seed, s_death, 0xdead);
    for (std::size_t tries = 0; tries < c_.gateways.size(); ++tries) {
      const auto g = static_cast<std::size_t>(r.next() % c_.gateways.size());
      if (gateway_dead_[g] != never || outage_[g].from != never) continue;
      gateway_dead_[g] = at;
      std::size_t behind = 0;
      for (std::size_t i = 0; i < c_.devices.size(); ++i)
        if (c_.devices[i].gateway == static_cast<int>(g) &&
            c_.devices[i].kind != device_kind::gateway) {
          ++behind;
          used_.insert(static_cast<int>(i));
        }
      auto& inc = add("gateway-death", at, c_.gateways[g].device, {"gateway-offline"},
                      fmt::format("LoRaWAN gateway {} dies; nothing is heard from its {} devices "
                                  "again; no device-offline is expected for them",
                                  c_.gateways[g].id, behind));
      inc.household_id.clear();
      return;
    }
  }

  /// Incidents that add messages: presses, alarms, duplicates, malformed payloads.
  void faults() {
    auto r = stream(c_.options.seed, s_fault, period());
    auto z2m = [](const device& d) { return "zigbee2mqtt/" + d.external_id; };
    for (int k = count(6); k-- > 0;) {
      auto t = when(r, 1h, 5min);
      const int dev = t ? pick(r, {device_kind::sos_button}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      const bool twice = k % 3 == 0;
      const auto press = fmt::format(R"({{"action":"emergency","battery":{},"linkquality":{}}})",
                                     clamp_pct(d.battery - 1), r.range(40, 160));
      emit(*t, z2m(d), press, dev);
      if (twice) emit(*t + 40s, z2m(d), press, dev);
      add("sos-press", *t, dev, {"sos-pressed"},
          twice ? "pressed twice, 40 s apart: one alert, occurrences 2" : "pressed once");
    }
    for (int k = count(1); k-- > 0;) {
      auto t = when(r, 1h, 5min);
      const int dev = t ? pick(r, {device_kind::pendant}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      emit(*t, "hearth/v1/devices/" + d.external_id + "/up",
           native(*t, fmt::format(R"("sos.pressed":true,"device.battery_pct":{})",
                                  clamp_pct(d.battery - 1))),
           dev);
      add("sos-press", *t, dev, {"sos-pressed"}, "the native pendant's SOS is pressed");
    }
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 1h, 15min);
      const int dev = t ? pick(r, {device_kind::smoke}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      const int b = clamp_pct(battery_now(dev) - 1);
      emit(
          *t, z2m(d),
          fmt::format(
              R"({{"smoke":true,"test":false,"battery_low":false,"battery":{},"tamper":false,"linkquality":{}}})",
              b, r.range(40, 160)),
          dev);
      emit(
          *t + 10min, z2m(d),
          fmt::format(
              R"({{"smoke":false,"test":false,"battery_low":false,"battery":{},"tamper":false,"linkquality":{}}})",
              b, r.range(40, 160)),
          dev);
      add("smoke", *t, dev, {"smoke-detected"}, "smoke for 10 minutes, then clear");
    }
    for (int k = count(3); k-- > 0;) {
      auto t = when(r, 1h, 5min);
      const int dev = t ? pick(r, {device_kind::smoke}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      const int b = clamp_pct(battery_now(dev) - 1);
      emit(
          *t, z2m(d),
          fmt::format(
              R"({{"smoke":true,"test":true,"battery_low":false,"battery":{},"tamper":false,"linkquality":{}}})",
              b, r.range(40, 160)),
          dev);
      emit(
          *t + 20s, z2m(d),
          fmt::format(
              R"({{"smoke":false,"test":false,"battery_low":false,"battery":{},"tamper":false,"linkquality":{}}})",
              b, r.range(40, 160)),
          dev);
      add("smoke-test", *t, dev, {}, "the monthly test press: logged, no alert");
    }
    for (int k = count(2); k-- > 0;) {
      auto t = when(r, 1h, 20min);
      const int dev = t ? pick(r, {device_kind::gas}) : -1;
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      // One detector raises its alarm flag; the other only reports the concentration.
      const bool flag = k % 2 == 0;
      emit(*t, z2m(d),
           fmt::format(R"({{"gas":{},"gas_value":{},"tamper":false,"linkquality":{}}})", flag,
                       flag ? 27 : 22, r.range(40, 160)),
           dev);
      emit(*t + 15min, z2m(d),
           fmt::format(R"({{"gas":false,"gas_value":1,"tamper":false,"linkquality":{}}})",
                       r.range(40, 160)),
           dev);
      add("gas-leak", *t, dev, {"gas-leak"},
          flag ? "gas alarm at 27 %LEL for 15 minutes" : "22 %LEL without the alarm flag");
    }
    // Duplicates: a ChirpStack uplink redelivered (same frame counter), a Zigbee2MQTT
    // message repeated within a second. Both are counted and dropped, never stored twice.
    for (int k = count(10); k-- > 0;) {
      const bool lora = k % 2 == 0;
      const int dev = lora ? pick(r, {device_kind::lora_meter})
                           : pick(r, {device_kind::smoke, device_kind::water_leak});
      if (dev < 0) break;
      const message* orig = nullptr;
      std::size_t seen = 0;
      for (const auto& m : out_.messages)  // reservoir pick of one of its regular messages
        if (m.device == dev && m.ts >= o_.start + 30min &&
            r.uniform() * static_cast<double>(++seen) < 1.0)
          orig = &m;
      if (!orig || orig->ts + 2s >= end_) continue;
      const message copy = *orig;
      emit(copy.ts + (lora ? 1500ms : 800ms), copy.topic, copy.payload, dev);
      auto& inc = add("duplicate", copy.ts, dev, {},
                      lora ? "the same uplink (same fCnt) delivered twice, 1.5 s apart"
                           : "the same Zigbee2MQTT message delivered twice, 0.8 s apart");
      inc.expected_rejections = {"duplicate"};
    }
    // Malformed payloads: extra messages the devices' streams do not depend on.
    for (int k = count(8); k-- > 0;) {
      auto t = when(r, 30min, 1min);
      if (!t) break;
      const int variant = k % 4;
      const int dev = variant >= 2 ? pick(r, {device_kind::lora_meter})
                                   : pick(r, {device_kind::sos_button, device_kind::smoke});
      if (dev < 0) break;
      const auto& d = c_.devices[static_cast<std::size_t>(dev)];
      std::string payload, reason_code = "malformed-json", what;
      switch (variant) {
        case 0:
          payload = R"({"action":"emergency","battery":)";
          what = "a truncated Zigbee2MQTT payload";
          break;
        case 1:
          payload = std::string("\xff\xfe\x00\x01 not json", 14);
          what = "binary garbage on a Zigbee2MQTT topic";
          break;
        case 2:
          payload = chirpstack_up(d, r, *t, d.frame_counter + 500000, "!!not-base64!!", "");
          reason_code = "bad-frame";
          what = "a ChirpStack uplink whose data is not base64";
          break;
        default:
          payload = chirpstack_up(d, r, *t, d.frame_counter + 500001, "QOIB", "");
          reason_code = "bad-frame";
          what = "a ChirpStack uplink with a 3-byte frame";
          break;
      }
      emit(*t, variant >= 2 ? chirpstack_topic(d) : z2m(d), std::move(payload), dev);
      auto& inc = add("malformed", *t, dev, {}, what);
      inc.expected_rejections = {reason_code};
    }
  }

  const community& c_;
  const traffic_options& o_;
  time_point end_;
  std::vector<override_plan> plans_;
  std::vector<interval> outage_;
  std::vector<time_point> gateway_dead_;  ///< by gateway: when it died (never: alive)
  std::set<int> used_, used_households_;
  traffic out_;
};

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string meter_frame(std::uint32_t total_l, bool leak, bool burst, bool battery_low, bool tamper,
                        int battery) {
  std::string f(6, '\0');
  for (int i = 0; i < 4; ++i)
    f[static_cast<std::size_t>(i)] = static_cast<char>((total_l >> (8 * i)) & 0xff);
  f[4] = static_cast<char>((leak ? 1 : 0) | (burst ? 2 : 0) | (battery_low ? 4 : 0) |
                           (tamper ? 8 : 0));
  f[5] = static_cast<char>(std::clamp(battery, 0, 255));
  return f;
}

traffic make_traffic(const community& c, const traffic_options& o) {
  return generator(c, o).run();
}

std::string capture_line(const message& m) {
  boost::json::object o;
  o["ts"] = format_rfc3339(m.ts);
  o["topic"] = m.topic;
  const bool text = std::all_of(m.payload.begin(), m.payload.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u >= 0x20 && u < 0x7f;
  });
  if (text)
    o["payload"] = m.payload;
  else
    o["payload_b64"] = base64_encode(m.payload);
  return boost::json::serialize(o);
}

std::string incidents_json(const std::vector<incident>& list) {
  std::string out = "[\n";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& x = list[i];
    boost::json::object o;
    o["id"] = x.id;
    o["kind"] = x.kind;
    o["at"] = format_rfc3339(x.at);
    o["device_id"] = x.device_id;
    o["household_id"] = x.household_id;
    o["building"] = x.building;
    boost::json::array rules, rejections;
    for (const auto& s : x.expected_rules)
      rules.push_back(boost::json::value(s));
    for (const auto& s : x.expected_rejections)
      rejections.push_back(boost::json::value(s));
    o["expected_rules"] = std::move(rules);
    o["expected_rejections"] = std::move(rejections);
    o["detail"] = x.detail;
    if (!x.away_resident_id.empty()) {
      o["away_resident_id"] = x.away_resident_id;
      o["away_until"] = format_rfc3339(x.away_until);
    }
    out += "  " + boost::json::serialize(o) + (i + 1 < list.size() ? ",\n" : "\n");
  }
  return out + "]\n";
}

}  // namespace hearth::sim
