// SPDX-License-Identifier: Apache-2.0
#include "registry/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace hearth::registry {
namespace {

/// RFC 4180 fields of one record; handles quotes, doubled quotes and CRLF. Newlines inside
/// quotes are kept and advance the line count.
struct record {
  int line = 0;
  std::vector<std::string> fields;
};

std::vector<record> split_csv(const std::string& text, const std::string& file, diagnostics& out) {
  std::vector<record> rows;
  record cur;
  std::string field;
  bool quoted = false, in_quotes = false;
  int line = 1;
  cur.line = 1;
  std::size_t i = 0;
  if (text.starts_with("\xEF\xBB\xBF")) i = 3;  // spreadsheet exports often start with a BOM
  auto end_record = [&] {
    cur.fields.push_back(std::move(field));
    field.clear();
    quoted = false;
    const bool blank = cur.fields.size() == 1 && cur.fields[0].empty();
    if (!blank) rows.push_back(std::move(cur));
    cur = record{};
  };
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',') {
      cur.fields.push_back(std::move(field));
      field.clear();
      quoted = false;
    } else if (c == '\r') {
      // CRLF: the '\n' ends the record
    } else if (c == '\n') {
      end_record();
      ++line;
      cur.line = line;
    } else {
      field.push_back(c);
    }
  }
  if (in_quotes) out.push_back({file, cur.line, "unterminated quoted field"});
  if (!field.empty() || !cur.fields.empty()) end_record();
  return rows;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

const std::vector<std::string> k_households{"household_id", "building", "unit", "address"};
const std::vector<std::string> k_residents{"resident_id",       "household_id",    "name",
                                           "birth_year",        "lives_alone",     "phone",
                                           "emergency_contact", "emergency_phone", "social_worker"};
const std::vector<std::string> k_devices{"device_id",    "external_id", "type",
                                         "household_id", "building",    "location"};
const std::vector<std::string> k_buildings{"building", "height_m", "tilt_limit_permille"};

struct row_reader {
  const std::string& file;
  const record& rec;
  const std::vector<std::string>& header;
  diagnostics& out;
  bool ok = true;

  std::string text(std::size_t col, bool required) {
    std::string v = trim(rec.fields[col]);
    if (required && v.empty()) fail(col, "must not be empty");
    return v;
  }
  void fail(std::size_t col, const std::string& what) {
    out.push_back(
        {file, rec.line, fmt::format("{} {}", header[col], what), static_cast<int>(col + 1)});
    ok = false;
  }
  int year(std::size_t col) {
    const auto v = text(col, true);
    int y = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), y);
    if (!v.empty() && (ec != std::errc{} || p != v.data() + v.size() || y < 1880 || y > 2100))
      fail(col, fmt::format("'{}' is not a year", v));
    return y;
  }
  bool flag(std::size_t col) {
    auto v = text(col, true);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true" || v == "yes" || v == "1" || v == "y") return true;
    if (v == "false" || v == "no" || v == "0" || v == "n") return false;
    if (!v.empty()) fail(col, fmt::format("'{}' must be true or false", v));
    return false;
  }
  double number(std::size_t col, bool required, double fallback) {
    const auto v = text(col, required);
    if (v.empty()) return fallback;
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc{} || p != v.data() + v.size() || d < 0) {
      fail(col, fmt::format("'{}' is not a non-negative number", v));
      return fallback;
    }
    return d;
  }
};

}  // namespace

std::string canonical_external_id(std::string_view id) {
  std::string s(id);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void parse_csv_text(const std::string& text, const std::string& file, tables& into,
                    diagnostics& out) {
  auto rows = split_csv(text, file, out);
  if (rows.empty()) {
    out.push_back({file, 1, "the file is empty; a header row is required"});
    return;
  }
  std::vector<std::string> header;
  for (auto& h : rows[0].fields)
    header.push_back(trim(h));
  const std::vector<std::string>* kind = nullptr;
  for (const auto* k : {&k_households, &k_residents, &k_devices, &k_buildings})
    if (header == *k) kind = k;
  if (!kind) {
    out.push_back({file, rows[0].line,
                   fmt::format("unknown header '{}': expected the columns of households, "
                               "residents, devices or buildings (DESIGN.md)",
                               fmt::join(header, ","))});
    return;
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& rec = rows[r];
    if (rec.fields.size() != header.size()) {
      out.push_back({file, rec.line,
                     fmt::format("{} columns, expected {}", rec.fields.size(), header.size())});
      continue;
    }
    row_reader rd{file, rec, header, out};
    const char* table = kind == &k_households  ? "households"
                        : kind == &k_residents ? "residents"
                        : kind == &k_devices   ? "devices"
                                               : "buildings";
    into.sources[fmt::format("{}:{}", table, trim(rec.fields[0]))] = {file, rec.line, {}};
    if (kind == &k_households) {
      household h{rd.text(0, true), rd.text(1, true), rd.text(2, false), rd.text(3, false)};
      if (rd.ok) into.households.push_back(std::move(h));
    } else if (kind == &k_residents) {
      resident p;
      p.id = rd.text(0, true);
      p.household_id = rd.text(1, true);
      p.name = rd.text(2, true);
      p.birth_year = rd.year(3);
      p.lives_alone = rd.flag(4);
      p.phone = rd.text(5, false);
      p.emergency_contact = rd.text(6, false);
      p.emergency_phone = rd.text(7, false);
      p.social_worker = rd.text(8, false);
      if (rd.ok) into.residents.push_back(std::move(p));
    } else if (kind == &k_devices) {
      device d{rd.text(0, true),  rd.text(1, true),  rd.text(2, true),
               rd.text(3, false), rd.text(4, false), rd.text(5, false)};
      if (d.household_id.empty() && d.building.empty())
        rd.fail(4, "must be set when household_id is empty");
      if (rd.ok) into.devices.push_back(std::move(d));
    } else {
      building b;
      b.id = rd.text(0, true);
      b.height_m = rd.number(1, false, 0);
      b.tilt_limit_permille = rd.number(2, false, 4);
      if (rd.ok && b.tilt_limit_permille == 0) rd.fail(2, "must be greater than 0");
      if (rd.ok) into.buildings.push_back(std::move(b));
    }
  }
}

tables parse_csv_files(const std::vector<std::string>& files, diagnostics& out) {
  tables t;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      out.push_back({f, 0, "cannot open file"});
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    parse_csv_text(ss.str(), f, t, out);
  }
  return t;
}

registry::registry(tables t) : tables_(std::move(t)) {
  index();
}

void registry::index() {
  households_.clear();
  residents_.clear();
  devices_.clear();
  external_.clear();
  buildings_.clear();
  residents_by_household_.clear();
  for (std::size_t i = 0; i < tables_.households.size(); ++i)
    households_[tables_.households[i].id] = i;
  for (std::size_t i = 0; i < tables_.residents.size(); ++i) {
    residents_[tables_.residents[i].id] = i;
    residents_by_household_.emplace(tables_.residents[i].household_id, i);
  }
  for (std::size_t i = 0; i < tables_.devices.size(); ++i) {
    devices_[tables_.devices[i].id] = i;
    external_[canonical_external_id(tables_.devices[i].external_id)] = i;
  }
  for (std::size_t i = 0; i < tables_.buildings.size(); ++i)
    buildings_[tables_.buildings[i].id] = i;
}

template <class Map, class Vec>
static auto lookup(const Map& m, const Vec& v, std::string_view id) -> decltype(&v[0]) {
  auto it = m.find(id);
  return it == m.end() ? nullptr : &v[it->second];
}

const household* registry::find_household(std::string_view id) const {
  return lookup(households_, tables_.households, id);
}
const resident* registry::find_resident(std::string_view id) const {
  return lookup(residents_, tables_.residents, id);
}
const device* registry::find_device(std::string_view id) const {
  return lookup(devices_, tables_.devices, id);
}
const device* registry::find_device_by_external_id(std::string_view ext) const {
  return lookup(external_, tables_.devices, canonical_external_id(ext));
}
const building* registry::find_building(std::string_view id) const {
  return lookup(buildings_, tables_.buildings, id);
}

std::vector<const resident*> registry::residents_of(std::string_view household_id) const {
  std::vector<const resident*> out;
  auto [b, e] = residents_by_household_.equal_range(household_id);
  for (auto it = b; it != e; ++it)
    out.push_back(&tables_.residents[it->second]);
  return out;
}

namespace {
template <class T>
void upsert(std::vector<T>& into, const std::vector<T>& update) {
  std::map<std::string, std::size_t> pos;
  for (std::size_t i = 0; i < into.size(); ++i)
    pos[into[i].id] = i;
  for (const auto& u : update) {
    auto it = pos.find(u.id);
    if (it == pos.end()) {
      pos[u.id] = into.size();
      into.push_back(u);
    } else {
      into[it->second] = u;
    }
  }
}
}  // namespace

registry registry::merged(const tables& update, diagnostics& out) const {
  tables t = tables_;
  upsert(t.households, update.households);
  upsert(t.residents, update.residents);
  upsert(t.devices, update.devices);
  upsert(t.buildings, update.buildings);
  registry r(std::move(t));
  auto at = [&](const std::string& table, const std::string& id, int column, std::string message) {
    auto it = update.sources.find(table + ":" + id);
    diagnostic d = it != update.sources.end() ? it->second : diagnostic{table, 0, {}};
    d.message = std::move(message);
    d.column = d.line > 0 ? column : 0;
    out.push_back(std::move(d));
  };
  for (const auto& p : update.residents)
    if (!r.find_household(p.household_id))
      at("residents", p.id, 2,
         fmt::format("household_id '{}' is not a registered household", p.household_id));
  std::map<std::string, std::string> seen_external;
  for (const auto& d : r.tables_.devices) {
    auto [it, fresh] = seen_external.emplace(canonical_external_id(d.external_id), d.id);
    if (!fresh)
      at("devices", d.id, 2,
         fmt::format("external_id '{}' is already used by device {}", d.external_id, it->second));
  }
  for (const auto& d : update.devices)
    if (!d.household_id.empty() && !r.find_household(d.household_id))
      at("devices", d.id, 4,
         fmt::format("household_id '{}' is not a registered household", d.household_id));
  return r;
}

}  // namespace hearth::registry
