// SPDX-License-Identifier: Apache-2.0
#include "registry/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

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
                               "residents, devices or buildings (docs/registry.md)",
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
    // An id given twice in one import (one file or several) is a mistake, not an update:
    // the later row would silently replace the earlier, and the device it described would
    // turn "unregistered" (a real SOS button among them). Updates come from later imports.
    const auto id = trim(rec.fields[0]);
    const auto key = fmt::format("{}:{}", table, id);
    if (auto seen = into.sources.find(key); seen != into.sources.end() && !id.empty()) {
      out.push_back({file, rec.line,
                     fmt::format("{} '{}' is already defined at {}:{}", header[0], id,
                                 seen->second.file, seen->second.line),
                     1});
      continue;
    }
    into.sources[key] = {file, rec.line, {}};
    if (kind == &k_households) {
      household_row h{rd.text(0, true), rd.text(1, true), rd.text(2, false), rd.text(3, false)};
      if (rd.ok) into.households.push_back(std::move(h));
    } else if (kind == &k_residents) {
      resident_row p;
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
      device_row d{rd.text(0, true),  rd.text(1, true),  rd.text(2, true),
                   rd.text(3, false), rd.text(4, false), rd.text(5, false)};
      if (d.household_id.empty() && d.building.empty())
        rd.fail(4, "must be set when household_id is empty");
      if (rd.ok) into.devices.push_back(std::move(d));
    } else {
      building_row b;
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

// --- snapshot storage ------------------------------------------------------------------------

/// Append-only character storage in large chunks: text in it never moves. Each text is
/// stored after its length (see `text`).
struct registry::pool {
  static constexpr std::size_t k_chunk = 256 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks;
  char* next = nullptr;
  std::size_t left = 0;

  text add(std::string_view s) {
    if (s.empty()) return {};
    // SQLite keeps no text longer than 10^9 bytes (SQLITE_MAX_LENGTH), nor PostgreSQL's
    // text 1 GiB, and an import's field is shorter than its file: 4 GiB is never reached.
    if (s.size() > UINT32_MAX) throw std::length_error("registry text longer than 4 GiB");
    const auto n = static_cast<std::uint32_t>(s.size());
    const std::size_t head = n < 0xFF ? 1 : 1 + sizeof n;
    const std::size_t need = head + n;
    char* at = nullptr;
    if (need > k_chunk / 4) {  // a long one gets its own block; the chunk stays in use
      chunks.push_back(std::make_unique_for_overwrite<char[]>(need));
      at = chunks.back().get();
    } else {
      if (need > left) {
        chunks.push_back(std::make_unique_for_overwrite<char[]>(k_chunk));
        next = chunks.back().get();
        left = k_chunk;
      }
      at = next;
      next += need;
      left -= need;
    }
    if (head == 1) {
      at[0] = static_cast<char>(n);
    } else {
      std::memcpy(at, &n, sizeof n);
      at[sizeof n] = static_cast<char>(0xFF);
    }
    std::memcpy(at + head, s.data(), n);
    return pooled(at + head);
  }
};

/// Copies entries (from rows or from another snapshot's entries) into a new pool. Text that
/// repeats across entries (household ids, buildings, types, locations, social workers) is
/// stored once.
class registry::builder {
 public:
  explicit builder(std::size_t households_hint) { ids_.reserve(households_hint); }

  void reserve_ids(std::size_t n) { ids_.reserve(n); }

  template <class H>
  household add_household(const H& h) {
    return {shared(h.id, memo_[0], ids_), shared(h.building, memo_[1], names_), own(h.unit),
            own(h.address)};
  }
  template <class R>
  resident add_resident(const R& r) {
    return {own(r.id),
            shared(r.household_id, memo_[2], ids_),
            own(r.name),
            r.birth_year,
            r.lives_alone,
            own(r.phone),
            own(r.emergency_contact),
            own(r.emergency_phone),
            shared(r.social_worker, memo_[3], names_)};
  }
  template <class D>
  device add_device(const D& d) {
    return {own(d.id),
            own(d.external_id),
            shared(d.type, memo_[4], names_),
            own(d.household_id),  // changes from one device to the next: no use looking up
            shared(d.building, memo_[6], names_),
            shared(d.location, memo_[7], names_)};
  }
  template <class B>
  building add_building(const B& b) {
    return {shared(b.id, memo_[8], names_), b.height_m, b.tilt_limit_permille};
  }

  std::shared_ptr<const pool> finish() { return std::move(pool_); }

 private:
  using text_set = std::unordered_set<std::string_view>;
  text own(std::string_view s) { return pool_->add(s); }
  /// `last` is the previous value of the same field: entries arrive sorted by id, so a run
  /// of devices shares a type, building and location, and this skips the hash look-up.
  text shared(std::string_view s, text& last, text_set& in) {
    if (s.empty()) return {};
    if (s == last) return last;
    if (auto it = in.find(s); it != in.end()) return last = pooled(it->data());
    const auto v = pool_->add(s);
    in.insert(v.view());
    return last = v;
  }
  std::shared_ptr<pool> pool_ = std::make_shared<pool>();
  /// Household ids (one per household: large), and the few names every device repeats
  /// (buildings, types, locations, social workers): kept apart, the second stays small
  /// enough to be in cache for the look-up each device makes.
  text_set ids_, names_;
  text memo_[9];
};

namespace {

/// Upsert order of one table: every base entry in place (an update replaces it), then the
/// updates with new ids. Exactly one of each pair is set.
template <class A, class B>
std::vector<std::pair<const A*, const B*>> upsert_order(const std::vector<A>& base,
                                                        const std::vector<B>& update) {
  std::vector<std::pair<const A*, const B*>> slots;
  slots.reserve(base.size() + update.size());
  for (const auto& a : base)
    slots.push_back({&a, nullptr});
  if (update.empty()) return slots;
  std::unordered_map<std::string_view, std::size_t> pos;
  pos.reserve(base.size() + update.size());
  for (std::size_t i = 0; i < base.size(); ++i)
    pos[base[i].id] = i;  // a repeated id: the later entry is the one an update replaces
  for (const auto& u : update) {
    auto [it, fresh] = pos.try_emplace(u.id, slots.size());
    if (fresh)
      slots.push_back({nullptr, &u});
    else
      slots[it->second] = {nullptr, &u};
  }
  return slots;
}

template <class A, class B, class Add, class Out>
void fill(const std::vector<std::pair<const A*, const B*>>& slots, Out& out, Add add) {
  out.reserve(slots.size());
  for (const auto& [a, b] : slots)
    out.push_back(a ? add(*a) : add(*b));
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// FNV-1a of the case-folded text, its two halves folded into 32 bits: a million devices
/// keep 4 B each of it (`external_hashes_`), and the few ids that share a hash are told
/// apart by their text.
std::uint32_t folded_hash(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s)
    h = (h ^ static_cast<unsigned char>(ascii_lower(c))) * 0x100000001b3ull;
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

/// Case-insensitive (ASCII) three-way comparison, for external ids.
int compare_folded(std::string_view a, std::string_view b) {
  const auto n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(ascii_lower(a[i]));
    const auto y = static_cast<unsigned char>(ascii_lower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

/// A sort key that orders like `less`: the first 8 bytes of `k`, big-endian (compared as
/// integers they order like the strings), or for external ids the folded hash.
std::uint64_t prefix_key(std::string_view k, bool folded) {
  if (folded) return folded_hash(k);
  std::uint64_t p = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = i < k.size() ? k[i] : '\0';
    p = (p << 8) | static_cast<unsigned char>(c);
  }
  return p;
}

/// Positions 0..n-1 sorted by `key(entry)`; equal keys keep import order. Most
/// comparisons are settled by an 8-byte prefix, without touching the strings.
template <class T, class Key, class Less>
std::vector<std::uint32_t> sorted_positions(const std::vector<T>& v, Key key, Less less,
                                            bool folded) {
  std::vector<std::uint32_t> idx(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    idx[i] = static_cast<std::uint32_t>(i);
  const auto in_order = [&](std::uint32_t a, std::uint32_t b) {
    const auto ka = key(v[a]), kb = key(v[b]);
    return less(ka, kb) || (!less(kb, ka) && a < b);
  };
  // Entries loaded from the store arrive sorted by id already.
  if (std::is_sorted(idx.begin(), idx.end(), in_order)) return idx;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    keyed[i] = {prefix_key(key(v[i]), folded), static_cast<std::uint32_t>(i)};
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return in_order(a.second, b.second);
  });
  for (std::size_t i = 0; i < v.size(); ++i)
    idx[i] = keyed[i].second;
  return idx;
}

const auto by_text = [](std::string_view a, std::string_view b) { return a < b; };
/// External ids are ordered by the hash of their folded text, then by the folded text:
/// any total order serves a binary search, and this one is quick to sort (DevEUIs and
/// Zigbee addresses share long prefixes).
const auto by_folded = [](std::string_view a, std::string_view b) {
  const auto ha = folded_hash(a), hb = folded_hash(b);
  return ha != hb ? ha < hb : compare_folded(a, b) < 0;
};

/// The last entry whose key equals `k` (the later of repeated ids wins), or nullptr.
template <class T, class Key, class Less>
const T* find_last(const std::vector<std::uint32_t>& idx, const std::vector<T>& v,
                   std::string_view k, Key key, Less less) {
  auto it = std::upper_bound(idx.begin(), idx.end(), k, [&](std::string_view x, std::uint32_t i) {
    return less(x, key(v[i]));
  });
  if (it == idx.begin()) return nullptr;
  const auto& e = v[*std::prev(it)];
  return less(key(e), k) ? nullptr : &e;
}

}  // namespace

registry::loader::loader() : builder_(std::make_unique<builder>(64)) {}
registry::loader::~loader() = default;

void registry::loader::reserve(std::size_t households, std::size_t residents, std::size_t devices,
                               std::size_t buildings) {
  builder_->reserve_ids(households);
  r_.entries_.households.reserve(households);
  r_.entries_.residents.reserve(residents);
  r_.entries_.devices.reserve(devices);
  r_.entries_.buildings.reserve(buildings);
}

void registry::loader::add(const household_view& h) {
  r_.entries_.households.push_back(builder_->add_household(h));
}
void registry::loader::add(const resident_view& x) {
  r_.entries_.residents.push_back(builder_->add_resident(x));
}
void registry::loader::add(const device_view& d) {
  r_.entries_.devices.push_back(builder_->add_device(d));
}
void registry::loader::add(const building_view& b) {
  r_.entries_.buildings.push_back(builder_->add_building(b));
}

registry registry::loader::finish() {
  r_.pool_ = builder_->finish();
  builder_.reset();
  r_.index();
  return std::move(r_);
}

registry::registry(const tables& t) {
  builder b(t.households.size() + 64);
  // Household and building ids first, so that the entries referring to them share them.
  for (const auto& h : t.households)
    entries_.households.push_back(b.add_household(h));
  for (const auto& x : t.buildings)
    entries_.buildings.push_back(b.add_building(x));
  entries_.residents.reserve(t.residents.size());
  for (const auto& r : t.residents)
    entries_.residents.push_back(b.add_resident(r));
  entries_.devices.reserve(t.devices.size());
  for (const auto& d : t.devices)
    entries_.devices.push_back(b.add_device(d));
  pool_ = b.finish();
  index();
}

void registry::index() {
  const auto id = [](const auto& e) { return e.id; };
  // Two halves of about equal work, the second on a thread of its own when the registry is
  // large enough to be worth one (a million devices: 0.5 s of sorting on one core).
  auto by_device = [&] {
    external_ = sorted_positions(
        entries_.devices, [](const device& d) { return d.external_id; }, by_folded, true);
    external_hashes_.resize(external_.size());
    for (std::size_t i = 0; i < external_.size(); ++i)
      external_hashes_[i] = folded_hash(entries_.devices[external_[i]].external_id);
    households_ = sorted_positions(entries_.households, id, by_text, false);
    buildings_ = sorted_positions(entries_.buildings, id, by_text, false);
  };
  auto by_household = [&] {
    devices_ = sorted_positions(entries_.devices, id, by_text, false);
    residents_ = sorted_positions(entries_.residents, id, by_text, false);
    residents_by_household_ = sorted_positions(
        entries_.residents, [](const resident& r) { return r.household_id; }, by_text, false);
    devices_by_household_ = sorted_positions(
        entries_.devices, [](const device& d) { return d.household_id; }, by_text, false);
    group_households();
  };
  if (entries_.devices.size() + entries_.residents.size() < 100'000) {
    by_device();
    by_household();
    return;
  }
  std::thread other(by_device);
  by_household();
  other.join();
}

namespace {
constexpr auto id_of = [](const auto& e) -> std::string_view { return e.id; };
}

const household* registry::find_household(std::string_view id) const {
  return find_last(households_, entries_.households, id, id_of, by_text);
}
const resident* registry::find_resident(std::string_view id) const {
  return find_last(residents_, entries_.residents, id, id_of, by_text);
}
const device* registry::find_device(std::string_view id) const {
  return find_last(devices_, entries_.devices, id, id_of, by_text);
}
const device* registry::find_device_by_external_id(std::string_view ext) const {
  // The order of `by_folded`: hash first, then the folded text.
  const auto h = folded_hash(ext);
  const auto& ds = entries_.devices;
  std::size_t lo = 0, hi = external_.size();  // the first position after every key <= ext
  while (lo < hi) {
    const auto mid = lo + (hi - lo) / 2;
    const auto hm = external_hashes_[mid];
    const bool ext_less =
        h != hm ? h < hm : compare_folded(ext, ds[external_[mid]].external_id) < 0;
    if (ext_less)
      hi = mid;
    else
      lo = mid + 1;
  }
  if (lo == 0) return nullptr;
  const auto& e = ds[external_[lo - 1]];  // the last of equal keys: the later id wins
  return external_hashes_[lo - 1] == h && compare_folded(e.external_id, ext) == 0 ? &e : nullptr;
}
const building* registry::find_building(std::string_view id) const {
  return find_last(buildings_, entries_.buildings, id, id_of, by_text);
}

namespace {
/// The entries of `positions` (sorted by household id, stable) that belong to one household.
template <class T>
picked<T> of_household(const std::vector<T>& all, const std::vector<std::uint32_t>& positions,
                       std::string_view household_id) {
  const auto below = [&](std::uint32_t i, std::string_view k) { return all[i].household_id < k; };
  const auto above = [&](std::string_view k, std::uint32_t i) { return k < all[i].household_id; };
  const auto lo = std::lower_bound(positions.begin(), positions.end(), household_id, below);
  const auto hi = std::upper_bound(lo, positions.end(), household_id, above);
  return {all, positions.data() + (lo - positions.begin()),
          positions.data() + (hi - positions.begin())};
}
}  // namespace

void registry::group_households() {
  // Both tables are sorted by household id: one walk along each finds every household's
  // devices and residents.
  const auto& ds = entries_.devices;
  const auto& rs = entries_.residents;
  const auto& dh = devices_by_household_;
  const auto& rh = residents_by_household_;
  household_of_.assign(ds.size(), k_no_household);
  households_of_devices_.clear();
  std::size_t r = 0;
  for (std::size_t i = 0; i < dh.size();) {
    const std::string_view id = ds[dh[i]].household_id;
    auto j = i + 1;
    while (j < dh.size() && ds[dh[j]].household_id == id)
      ++j;
    if (!id.empty()) {
      while (r < rh.size() && rs[rh[r]].household_id < id)
        ++r;
      auto r_end = r;
      while (r_end < rh.size() && rs[rh[r_end]].household_id == id)
        ++r_end;
      const auto g = static_cast<std::uint32_t>(households_of_devices_.size());
      households_of_devices_.push_back({static_cast<std::uint32_t>(i),
                                        static_cast<std::uint32_t>(r),
                                        static_cast<std::uint32_t>(r_end)});
      for (auto k = i; k < j; ++k)
        household_of_[dh[k]] = g;
      r = r_end;
    }
    i = j;
  }
}

bool registry::holds(const device* d) const {
  const auto& ds = entries_.devices;
  const std::less<const device*> before;  // a total order even across arrays
  return d && !before(d, ds.data()) && before(d, ds.data() + ds.size());
}

picked<device> registry::devices_beside(const device& d) const {
  if (!holds(&d)) return devices_of(d.household_id);
  const auto g = household_of_[static_cast<std::size_t>(&d - entries_.devices.data())];
  if (g == k_no_household) return {};
  // A household's devices end where the next one's begin: devices without a household sort
  // first, so the households' runs follow one another.
  const auto last = g + 1 < households_of_devices_.size()
                        ? households_of_devices_[g + 1].devices_first
                        : static_cast<std::uint32_t>(devices_by_household_.size());
  const auto* p = devices_by_household_.data();
  return {entries_.devices, p + households_of_devices_[g].devices_first, p + last};
}

picked<resident> registry::residents_with(const device& d) const {
  if (!holds(&d)) return residents_of(d.household_id);
  const auto at = household_of_[static_cast<std::size_t>(&d - entries_.devices.data())];
  if (at == k_no_household) return {};
  const auto& g = households_of_devices_[at];
  const auto* p = residents_by_household_.data();
  return {entries_.residents, p + g.residents_first, p + g.residents_last};
}

picked<resident> registry::residents_of(std::string_view household_id) const {
  return of_household(entries_.residents, residents_by_household_, household_id);
}

picked<device> registry::devices_of(std::string_view household_id) const {
  if (household_id.empty()) return {};  // building-level devices belong to no household
  return of_household(entries_.devices, devices_by_household_, household_id);
}

registry registry::merged(const tables& update, diagnostics& out) const {
  registry r;
  {
    builder b(entries_.households.size() + update.households.size() + 64);
    const auto hh = upsert_order(entries_.households, update.households);
    const auto bd = upsert_order(entries_.buildings, update.buildings);
    const auto rs = upsert_order(entries_.residents, update.residents);
    const auto dv = upsert_order(entries_.devices, update.devices);
    fill(hh, r.entries_.households, [&](const auto& x) { return b.add_household(x); });
    fill(bd, r.entries_.buildings, [&](const auto& x) { return b.add_building(x); });
    fill(rs, r.entries_.residents, [&](const auto& x) { return b.add_resident(x); });
    fill(dv, r.entries_.devices, [&](const auto& x) { return b.add_device(x); });
    r.pool_ = b.finish();
  }
  r.index();
  auto at = [&](const std::string& table, std::string_view id, int column, std::string message) {
    auto it = update.sources.find(fmt::format("{}:{}", table, id));
    diagnostic d = it != update.sources.end() ? it->second : diagnostic{table, 0, {}};
    d.message = std::move(message);
    d.column = d.line > 0 ? column : 0;
    out.push_back(std::move(d));
  };
  for (const auto& p : update.residents)
    if (!r.find_household(p.household_id))
      at("residents", p.id, 2,
         fmt::format("household_id '{}' is not a registered household", p.household_id));
  // Repeated external ids: each device after the first with the same id (case folded), in
  // device order. The index keeps equal ids in device order, so a run's head is the first.
  {
    const auto& ds = r.entries_.devices;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats;  // (device, first user)
    for (std::size_t i = 1; i < r.external_.size(); ++i) {
      const auto prev = r.external_[i - 1], cur = r.external_[i];
      if (compare_folded(ds[prev].external_id, ds[cur].external_id) != 0) continue;
      std::size_t head = i - 1;
      while (head > 0 &&
             compare_folded(ds[r.external_[head - 1]].external_id, ds[cur].external_id) == 0)
        --head;
      repeats.push_back({cur, r.external_[head]});
    }
    std::sort(repeats.begin(), repeats.end());
    for (const auto& [dup, first] : repeats)
      at("devices", ds[dup].id, 2,
         fmt::format("external_id '{}' is already used by device {}", ds[dup].external_id,
                     ds[first].id));
  }
  for (const auto& d : update.devices)
    if (!d.household_id.empty() && !r.find_household(d.household_id))
      at("devices", d.id, 4,
         fmt::format("household_id '{}' is not a registered household", d.household_id));
  return r;
}

}  // namespace hearth::registry
