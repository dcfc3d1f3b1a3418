// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The simulated community: buildings, households, residents, devices and gateways,
/// generated deterministically from a seed, and written as the registry CSVs of DESIGN.md.
///
/// Determinism: the same options give byte-identical output on every run and machine.
/// Random numbers come from `rng` (splitmix64) and never from <random> distributions,
/// whose results differ between standard libraries. Each entity draws from its own stream
/// (seed, kind, index), so adding an incident does not reshuffle the whole community.
/// Names and phone numbers are placeholders ("Resident 0001", "+86-000-...").

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hearth::sim {

/// splitmix64: tiny, fast, and the same everywhere.
class rng {
 public:
  explicit rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// [0, 1)
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// [lo, hi], inclusive
  int range(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }

 private:
  std::uint64_t s_;
};

/// An independent stream for (seed, what, index).
rng stream(std::uint64_t seed, std::uint64_t what, std::uint64_t index = 0);

enum class device_kind {
  sos_button,  ///< z2m.sos-button
  smoke,       ///< z2m.smoke-detector
  gas,         ///< z2m.gas-detector (mains powered: no battery field)
  water_leak,  ///< z2m.water-leak
  lora_meter,  ///< lora.water-meter on ChirpStack v4
  tts_meter,   ///< tts.water-meter on The Things Stack v3
  tilt,        ///< tts.tilt-sensor, building level
  pendant,     ///< native: a wearable SOS pendant behind a hearth bridge
  gateway,     ///< lora.gateway: a LoRaWAN gateway on ChirpStack v4
  bridge,      ///< z2m.bridge: the Zigbee2MQTT bridge
  // Activity sensors beyond the water meter (issue 14), in some lone elders' homes:
  energy,  ///< z2m.energy-meter: a smart meter on the home's circuit (kWh and W)
  door,    ///< z2m.door-sensor at the entrance
  motion,  ///< z2m.motion-sensor in the living room
};
const char* type_name(device_kind k);

struct building {
  std::string id;  ///< "B7"
  int number = 0;
  int floors = 0, units_per_floor = 0, year_built = 0;
  double height_m = 0;
  double tilt_limit_permille = 4;
};

struct household {
  std::string id, building, unit, address;
  int building_index = 0;
  std::vector<int> residents;  ///< indexes into community::residents
  bool lone_elder = false;     ///< one resident, >= 60, living alone
  double daily_litres = 0;
  int meter = -1;  ///< device index
  int sos = -1, smoke = -1, gas = -1, leak = -1, pendant = -1;
  int energy = -1, door = -1, motion = -1;  ///< activity sensors beyond water, or -1
  double standby_w = 0;                     ///< fridge and router at rest (energy meters)
  bool activity_sensors() const { return energy >= 0 || door >= 0 || motion >= 0; }
};

struct resident {
  std::string id, household_id, name;
  int birth_year = 0;
  bool lives_alone = false;
  std::string phone, emergency_contact, emergency_phone, social_worker;
};

struct device {
  std::string id, external_id;
  device_kind kind = device_kind::sos_button;
  std::string household_id, building, location;
  int household = -1;  ///< index, -1 for building-level devices
  int building_index = 0;
  int gateway = -1;  ///< LoRa gateway index for meters and tilt sensors
  double battery = 100;
  double drain_per_day = 0.05;  ///< percentage points a day
  std::uint32_t frame_counter = 0;
  double litres = 0;              ///< meters: cumulative total at the start
  double kwh = 0;                 ///< energy meters: cumulative kWh at the start
  double tilt_x = 0, tilt_y = 0;  ///< tilt sensors: installation angles, degrees
  int offset_s = 0;               ///< phase of the device's reporting cycle
  /// How often it checks in (seconds), and by how much each check-in wanders (a fraction):
  /// Aqara-style Zigbee buttons about every 50 min, Tuya-style every 4 h, others every
  /// 6-12 h; meters and tilt sensors hourly on a fixed schedule. Their types declare 2 h
  /// (Zigbee), 1 h (meters) and 6 h (tilt): hearth must learn what each really keeps.
  int cadence_s = 3600;
  double jitter = 0.02;
};

struct gateway {
  std::string id;  ///< LoRaWAN gateway EUI
  std::vector<int> buildings;
  int device = -1;  ///< its registry row (kind gateway)
};

struct community_options {
  int households = 2000;
  std::uint64_t seed = 7;
  /// The first building's number (B1, H-1-101, ...). A community that must sit beside
  /// another registry (the demo's sample: B3) starts past its buildings, so that no
  /// household, resident or device id is given twice.
  int first_building = 1;
  /// Whether the community registers its Zigbee2MQTT bridge (`bridge-1`, base topic
  /// `zigbee2mqtt`). A community that sits beside another registry on the same broker
  /// shares that registry's bridge (the demo's sample has `bridge-b3` on
  /// `zigbee2mqtt/bridge`): one base topic is one bridge, so it is registered once.
  bool bridge = true;
};

struct community {
  community_options options;
  std::vector<building> buildings;
  std::vector<household> households;
  std::vector<resident> residents;
  std::vector<device> devices;
  std::vector<gateway> gateways;
};

community make_community(const community_options& o);

/// The registry CSVs (DESIGN.md "Registry"), header row first, "\n" line ends.
std::string households_csv(const community& c);
std::string residents_csv(const community& c);
std::string devices_csv(const community& c);
std::string buildings_csv(const community& c);
/// Writes the four CSVs into `dir` (created if needed).
void write_registry(const community& c, const std::filesystem::path& dir);

/// Gateways and which buildings they serve, and counts per device type (JSON).
std::string community_json(const community& c);

}  // namespace hearth::sim
