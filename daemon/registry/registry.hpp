// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The community registry: households, residents, devices and buildings (DESIGN.md,
/// registry CSVs). `parse_csv` and `merge` are pure; the store persists the tables and the
/// domain thread holds one immutable `registry` snapshot, swapped whole on import/SIGHUP.
///
/// Names, phones and contacts here are personal data: they never go into logs, metrics,
/// alert titles or summaries.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.hpp"

namespace hearth::registry {

struct household {
  std::string id, building, unit, address;
  bool operator==(const household&) const = default;
};

struct resident {
  std::string id, household_id, name;
  int birth_year = 0;
  bool lives_alone = false;
  std::string phone, emergency_contact, emergency_phone, social_worker;
  bool operator==(const resident&) const = default;
};

struct device {
  std::string id, external_id, type, household_id, building, location;
  bool operator==(const device&) const = default;
};

struct building {
  std::string id;
  double height_m = 0;
  double tilt_limit_permille = 4;  ///< GB 50007 default
  bool operator==(const building&) const = default;
};

/// Rows of one import, before they are merged.
struct tables {
  std::vector<household> households;
  std::vector<resident> residents;
  std::vector<device> devices;
  std::vector<building> buildings;
  /// Where each row came from, keyed "<table>:<id>" ("devices:sos-3-502"), so that a
  /// reference error found after parsing still names its file and line.
  std::map<std::string, diagnostic> sources;
};

/// Parses registry CSV files. Each file is recognised by its header row. Every bad row is
/// reported as `file:line:column: message`; on any diagnostic the caller imports nothing.
tables parse_csv_files(const std::vector<std::string>& files, diagnostics& out);
/// Same, for text already read (pure; used by tests and the fuzzer).
void parse_csv_text(const std::string& text, const std::string& file, tables& into,
                    diagnostics& out);

/// External ids are compared case-insensitively (DevEUIs arrive in either case).
std::string canonical_external_id(std::string_view id);

class registry {
 public:
  registry() = default;
  explicit registry(tables t);

  const household* find_household(std::string_view id) const;
  const resident* find_resident(std::string_view id) const;
  const device* find_device(std::string_view id) const;
  const device* find_device_by_external_id(std::string_view external_id) const;
  const building* find_building(std::string_view id) const;
  std::vector<const resident*> residents_of(std::string_view household_id) const;

  const tables& all() const { return tables_; }

  /// Upserts `update` into a copy of this registry, checking references (a device's
  /// household must exist, a resident's household must exist). Diagnostics name the file
  /// and line of the offending row when known (`files` maps table to file name).
  registry merged(const tables& update, diagnostics& out) const;

 private:
  void index();
  tables tables_;
  std::map<std::string, std::size_t, std::less<>> households_, residents_, devices_, external_,
      buildings_;
  std::multimap<std::string, std::size_t, std::less<>> residents_by_household_;
};

}  // namespace hearth::registry
