// SPDX-License-Identifier: Apache-2.0
#include "community.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <map>

namespace hearth::sim {
namespace {

enum stream_id : std::uint64_t {
  s_building = 1,
  s_household,
  s_resident,
  s_device,
  s_gateway,
  s_activity,
};

std::string hex(std::uint64_t v, int digits) {
  return fmt::format("{:0{}x}", v & ((digits >= 16) ? ~0ULL : ((1ULL << (4 * digits)) - 1)),
                     digits);
}

}  // namespace

rng stream(std::uint64_t seed, std::uint64_t what, std::uint64_t index) {
  rng mix(seed ^ (what * 0xd1b54a32d192ed03ULL) ^ (index * 0x8cb92ba72f3d8dd7ULL));
  return rng(mix.next());
}

const char* type_name(device_kind k) {
  switch (k) {
    case device_kind::sos_button:
      return "z2m.sos-button";
    case device_kind::smoke:
      return "z2m.smoke-detector";
    case device_kind::gas:
      return "z2m.gas-detector";
    case device_kind::water_leak:
      return "z2m.water-leak";
    case device_kind::lora_meter:
      return "lora.water-meter";
    case device_kind::tts_meter:
      return "tts.water-meter";
    case device_kind::tilt:
      return "tts.tilt-sensor";
    case device_kind::pendant:
      return "native";
    case device_kind::gateway:
      return "lora.gateway";
    case device_kind::bridge:
      return "z2m.bridge";
    case device_kind::energy:
      return "z2m.energy-meter";
    case device_kind::door:
      return "z2m.door-sensor";
    case device_kind::motion:
      return "z2m.motion-sensor";
  }
  return "native";
}

community make_community(const community_options& o) {
  community c;
  c.options = o;
  // Buildings until every household has a home: 6 to 18 floors, 2 to 4 units a floor.
  int placed = 0;
  while (placed < o.households) {
    auto r = stream(o.seed, s_building, c.buildings.size());
    building b;
    b.number = o.first_building + static_cast<int>(c.buildings.size());
    b.id = fmt::format("B{}", b.number);
    b.floors = r.range(6, 18);
    b.units_per_floor = r.range(2, 4);
    b.year_built = r.range(1978, 2018);
    b.height_m = b.floors * 2.9 + 1.2;
    // Older, taller buildings get a stricter limit (GB 50007 grades the limit by height).
    b.tilt_limit_permille = b.height_m > 24 ? 3 : 4;
    placed += b.floors * b.units_per_floor;
    c.buildings.push_back(b);
  }
  // One LoRaWAN gateway for every 6 buildings.
  for (std::size_t i = 0; i < c.buildings.size(); i += 6) {
    gateway g;
    auto r = stream(o.seed, s_gateway, c.gateways.size());
    g.id = "0016c001f1" + hex(r.next(), 6);
    for (std::size_t j = i; j < std::min(i + 6, c.buildings.size()); ++j)
      g.buildings.push_back(static_cast<int>(j));
    c.gateways.push_back(std::move(g));
  }

  auto add_device = [&](device d) {
    d.id.shrink_to_fit();
    c.devices.push_back(std::move(d));
    return static_cast<int>(c.devices.size()) - 1;
  };
  // Disjoint from each other and from the sample registry's ids (0x00158d0008a1b2c3...,
  // a84041000181c2d1...), so a simulated community can be imported beside the samples.
  std::uint64_t zigbee_serial = 0x09a10000, lora_serial = 0x000191c000, tts_serial = 0x000292c000;

  int hh_index = 0;
  for (std::size_t bi = 0; bi < c.buildings.size() && hh_index < o.households; ++bi) {
    const auto& b = c.buildings[bi];
    const int gw = static_cast<int>(bi / 6);
    for (int floor = 1; floor <= b.floors && hh_index < o.households; ++floor) {
      for (int u = 1; u <= b.units_per_floor && hh_index < o.households; ++u, ++hh_index) {
        auto r = stream(o.seed, s_household, static_cast<std::uint64_t>(hh_index));
        household h;
        h.unit = fmt::format("{}{:02}", floor, u);
        h.id = fmt::format("H-{}-{}", b.number, h.unit);
        h.building = b.id;
        h.building_index = static_cast<int>(bi);
        h.address = fmt::format("Building {} Unit {}", b.number, h.unit);
        // About a sixth of households are one older person living alone (DESIGN.md: ~2,000
        // households, ~4,500 residents).
        const double p = r.uniform();
        const int people = p < 0.17 ? 1 : p < 0.30 ? 1 : p < 0.62 ? 2 : p < 0.86 ? 3 : 4;
        h.lone_elder = p < 0.17;
        for (int k = 0; k < people; ++k) {
          resident res;
          const auto n = c.residents.size() + 1;
          res.id = fmt::format("R-{:05}", n);
          res.household_id = h.id;
          res.name = fmt::format("Resident {:04}", n);
          res.birth_year = h.lone_elder ? r.range(1930, 1962)
                                        : (k < 2 ? r.range(1940, 1990) : r.range(1985, 2018));
          res.lives_alone = people == 1;
          res.phone = fmt::format("+86-000-{:04}-{:04}", n / 10000, n % 10000);
          res.emergency_contact = fmt::format("Contact {:04}", n);
          res.emergency_phone = fmt::format("+86-000-{:04}-{:04}", 5000 + n / 10000, n % 10000);
          res.social_worker = fmt::format("sw-{:02}", 1 + static_cast<int>(bi) % 12);
          h.residents.push_back(static_cast<int>(c.residents.size()));
          c.residents.push_back(std::move(res));
        }
        h.daily_litres = people * r.uniform(h.lone_elder ? 55 : 70, h.lone_elder ? 90 : 130);
        int oldest = 2100;
        for (int ri : h.residents)
          oldest = std::min(oldest, c.residents[static_cast<std::size_t>(ri)].birth_year);

        auto make = [&](device_kind k, std::string prefix, std::string location) {
          auto dr = stream(o.seed, s_device, c.devices.size());
          device d;
          d.kind = k;
          d.id = fmt::format("{}-{}-{}", prefix, b.number, h.unit);
          d.household_id = h.id;
          d.building = b.id;
          d.location = std::move(location);
          d.household = hh_index;
          d.building_index = static_cast<int>(bi);
          d.battery = dr.uniform(45, 100);
          d.drain_per_day = dr.uniform(0.02, 0.2);
          d.frame_counter = static_cast<std::uint32_t>(dr.range(0, 20000));
          d.offset_s = dr.range(0, 3599);
          switch (k) {
            case device_kind::sos_button:
            case device_kind::smoke:
            case device_kind::water_leak:
            case device_kind::gas: {
              // Battery Zigbee devices check in on their firmware's timer, not the type's
              // declared 2 h; mains-powered gas detectors mostly every 50 min.
              const double p = dr.uniform();
              const bool mains = k == device_kind::gas;
              d.cadence_s = p < (mains ? 0.8 : 0.4)   ? 50 * 60
                            : p < (mains ? 0.9 : 0.7) ? 4 * 3600
                                                      : dr.range(6 * 3600, 12 * 3600);
              d.jitter = dr.uniform(0.01, 0.05);
              break;
            }
            default:
              d.jitter = 90.0 / 3600;  // a fixed hourly schedule, +/- 90 s
              break;
          }
          switch (k) {
            case device_kind::lora_meter:
              d.external_id = fmt::format("a84041{:010x}", lora_serial++);
              d.gateway = gw;
              // One meter in ~400 is close to its 32-bit wrap, as old meters are.
              d.litres = dr.chance(0.0025) ? 4294967296.0 - dr.uniform(50, 400)
                                           : std::floor(dr.uniform(2'000, 900'000));
              break;
            case device_kind::tts_meter:
              d.external_id = fmt::format("A84041{:010X}", tts_serial++);
              d.gateway = gw;
              d.litres = std::floor(dr.uniform(2'000, 900'000));
              break;
            case device_kind::pendant:
              d.external_id = d.id;
              break;
            default:
              d.external_id = "0x00158d00" + hex(zigbee_serial++, 8);
              break;
          }
          return add_device(std::move(d));
        };
        // Every household has a water meter (most on ChirpStack, some on The Things Stack)
        // and a smoke alarm; older households an SOS button; most a gas detector.
        h.meter = make(r.chance(0.8) ? device_kind::lora_meter : device_kind::tts_meter, "meter",
                       "utility");
        h.smoke = make(device_kind::smoke, "smoke", "kitchen");
        if (oldest <= 1966 || r.chance(0.3))
          h.sos = make(device_kind::sos_button, "sos", "bedroom");
        if (r.chance(0.7)) h.gas = make(device_kind::gas, "gas", "kitchen");
        if (r.chance(0.3)) h.leak = make(device_kind::water_leak, "leak", "bathroom");
        if (h.lone_elder && r.chance(0.3))
          h.pendant = make(device_kind::pendant, "pendant", "worn");
        c.households.push_back(std::move(h));
      }
    }
  }
  // Tilt sensors on buildings from before 1995: two opposite corners each.
  for (std::size_t bi = 0; bi < c.buildings.size(); ++bi) {
    const auto& b = c.buildings[bi];
    if (b.year_built >= 1995) continue;
    for (const char* corner : {"ne", "sw"}) {
      auto dr = stream(o.seed, s_device, c.devices.size());
      device d;
      d.kind = device_kind::tilt;
      d.id = fmt::format("tilt-b{}-{}", b.number, corner);
      d.external_id = "24E1247100" + fmt::format("{:06X}", c.devices.size() & 0xffffff);
      d.building = b.id;
      d.location = std::string(corner[0] == 'n' ? "north-east" : "south-west") + " corner";
      d.building_index = static_cast<int>(bi);
      d.gateway = static_cast<int>(bi / 6);
      d.battery = dr.uniform(60, 100);
      d.drain_per_day = dr.uniform(0.01, 0.05);
      d.frame_counter = static_cast<std::uint32_t>(dr.range(0, 5000));
      d.offset_s = dr.range(0, 3599);
      d.tilt_x = dr.uniform(-0.6, 0.6);
      d.tilt_y = dr.uniform(-0.6, 0.6);
      add_device(std::move(d));
    }
  }
  // Activity sensors beyond water in 60 % of lone elders' homes: an energy meter, a door
  // contact at the entrance and a motion sensor in the living room. Added last, from their
  // own stream, so that every other device keeps its index and its random draws.
  for (std::size_t hi = 0; hi < c.households.size(); ++hi) {
    auto& h = c.households[hi];
    auto r = stream(o.seed, s_activity, hi);
    if (!h.lone_elder || !r.chance(0.6)) continue;
    const auto& b = c.buildings[static_cast<std::size_t>(h.building_index)];
    h.standby_w = r.uniform(25, 60);
    auto sensor = [&](device_kind k, const char* prefix, const char* location) {
      auto dr = stream(o.seed, s_device, c.devices.size());
      device d;
      d.kind = k;
      d.id = fmt::format("{}-{}-{}", prefix, b.number, h.unit);
      d.external_id = "0x00158d00" + hex(zigbee_serial++, 8);
      d.household_id = h.id;
      d.building = b.id;
      d.location = location;
      d.household = static_cast<int>(hi);
      d.building_index = h.building_index;
      d.battery = k == device_kind::energy ? 100 : dr.uniform(45, 100);
      d.drain_per_day = k == device_kind::energy ? 0 : dr.uniform(0.02, 0.2);
      d.offset_s = dr.range(0, 3599);
      d.kwh = std::floor(dr.uniform(300, 9000) * 100) / 100;
      return add_device(std::move(d));
    };
    h.energy = sensor(device_kind::energy, "power", "utility");
    h.door = sensor(device_kind::door, "door", "entrance");
    h.motion = sensor(device_kind::motion, "motion", "living room");
  }
  // The gateways and the Zigbee2MQTT bridge are registered too (after every other device,
  // the activity sensors included, so their streams leave the others' unchanged): hearth
  // judges them by their own state.
  for (std::size_t gi = 0; gi < c.gateways.size(); ++gi) {
    auto& g = c.gateways[gi];
    device d;
    d.kind = device_kind::gateway;
    d.id = fmt::format("gw-{}", gi + 1);
    d.external_id = g.id;
    d.building = c.buildings[static_cast<std::size_t>(g.buildings.front())].id;
    d.building_index = g.buildings.front();
    d.location = "roof";
    d.gateway = static_cast<int>(gi);
    g.device = add_device(std::move(d));
  }
  if (o.bridge && !c.buildings.empty()) {
    device d;
    d.kind = device_kind::bridge;
    d.id = "bridge-1";
    d.external_id = "zigbee2mqtt/bridge";
    d.building = c.buildings.front().id;
    d.location = "plant room";
    add_device(std::move(d));
  }
  return c;
}

std::string households_csv(const community& c) {
  std::string out = "household_id,building,unit,address\n";
  for (const auto& h : c.households)
    out += fmt::format("{},{},{},{}\n", h.id, h.building, h.unit, h.address);
  return out;
}

std::string residents_csv(const community& c) {
  std::string out =
      "resident_id,household_id,name,birth_year,lives_alone,phone,emergency_contact,emergency_"
      "phone,social_worker\n";
  for (const auto& r : c.residents)
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", r.id, r.household_id, r.name, r.birth_year,
                       r.lives_alone ? "true" : "false", r.phone, r.emergency_contact,
                       r.emergency_phone, r.social_worker);
  return out;
}

std::string devices_csv(const community& c) {
  std::string out = "device_id,external_id,type,household_id,building,location\n";
  for (const auto& d : c.devices)
    out += fmt::format("{},{},{},{},{},{}\n", d.id, d.external_id, type_name(d.kind),
                       d.household_id, d.building, d.location);
  return out;
}

std::string buildings_csv(const community& c) {
  std::string out = "building,height_m,tilt_limit_permille\n";
  for (const auto& b : c.buildings)
    out += fmt::format("{},{:.1f},{}\n", b.id, b.height_m, b.tilt_limit_permille);
  return out;
}

void write_registry(const community& c, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto put = [&](const char* name, const std::string& text) {
    std::ofstream out(dir / name, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  };
  put("households.csv", households_csv(c));
  put("residents.csv", residents_csv(c));
  put("devices.csv", devices_csv(c));
  put("buildings.csv", buildings_csv(c));
}

std::string community_json(const community& c) {
  namespace json = boost::json;
  json::object o;
  o["seed"] = c.options.seed;
  o["households"] = c.households.size();
  o["residents"] = c.residents.size();
  o["buildings"] = c.buildings.size();
  std::size_t lone = 0;
  for (const auto& h : c.households)
    lone += h.lone_elder ? 1 : 0;
  o["lone_elders"] = lone;
  std::map<std::string, std::size_t> per_type;
  for (const auto& d : c.devices)
    ++per_type[type_name(d.kind)];
  json::object types;
  for (const auto& [k, v] : per_type)
    types[k] = v;
  o["devices"] = c.devices.size();
  o["devices_by_type"] = std::move(types);
  json::array gws;
  for (const auto& g : c.gateways) {
    json::object go;
    go["gateway_id"] = g.id;
    json::array bs;
    for (int b : g.buildings)
      bs.push_back(json::value(c.buildings[static_cast<std::size_t>(b)].id));
    go["buildings"] = std::move(bs);
    gws.push_back(std::move(go));
  }
  o["lora_gateways"] = std::move(gws);
  o["zigbee_bridge"] = "zigbee2mqtt/bridge";
  return json::serialize(o) + "\n";
}

}  // namespace hearth::sim
