// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The community registry: households, residents, devices and buildings (DESIGN.md,
/// registry CSVs). `parse_csv` and `merge` are pure; the store persists the tables and the
/// domain thread holds one immutable `registry` snapshot, swapped whole on import/SIGHUP.
///
/// Names, phones and contacts here are personal data: they never go into logs, metrics,
/// alert titles or summaries.

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.hpp"

namespace hearth::registry {

// --- rows: what an import parses and the store reads and writes (owning strings) ----------

struct household_row {
  std::string id, building, unit, address;
  bool operator==(const household_row&) const = default;
};

struct resident_row {
  std::string id, household_id, name;
  int birth_year = 0;
  bool lives_alone = false;
  std::string phone, emergency_contact, emergency_phone, social_worker;
  bool operator==(const resident_row&) const = default;
};

struct device_row {
  std::string id, external_id, type, household_id, building, location;
  bool operator==(const device_row&) const = default;
};

struct building_row {
  std::string id;
  double height_m = 0;
  double tilt_limit_permille = 4;  ///< GB 50007 default
  bool operator==(const building_row&) const = default;
};

/// Rows of one import, before they are merged.
struct tables {
  std::vector<household_row> households;
  std::vector<resident_row> residents;
  std::vector<device_row> devices;
  std::vector<building_row> buildings;
  /// Where each row came from, keyed "<table>:<id>" ("devices:sos-3-502"), so that a
  /// reference error found after parsing still names its file and line. Only an import's
  /// parsed tables carry it; a `registry` never keeps it.
  std::map<std::string, diagnostic> sources;
};

// --- entries: what a `registry` snapshot hands out -------------------------------------------
//
// The text of an entry lives in the snapshot's own string storage (shared by every copy of
// the snapshot): it stays valid for as long as a `registry` holding it lives. Copy it into
// a std::string to keep it longer. A million devices fit in a few hundred bytes each this
// way (one copy of each distinct building, type, location and household id, and 8 bytes a
// field in the entry itself).

class registry;

namespace detail {
inline constexpr char k_no_text[2] = {};  ///< the length byte of "" and its (absent) text
}

/// Text held by a registry snapshot. Reads as a `std::string_view`, in 8 bytes where a
/// view takes 16: it is a pointer to the characters, and their length is stored in the
/// snapshot just before them (one byte below 255, else a 0xFF byte after four more). Only
/// a snapshot's storage makes one; a default one is empty.
class text {
 public:
  constexpr text() noexcept = default;

  std::size_t size() const noexcept {
    const auto n = static_cast<unsigned char>(p_[-1]);
    if (n != 0xFF) return n;
    std::uint32_t long_n = 0;
    std::memcpy(&long_n, p_ - 5, sizeof long_n);
    return long_n;
  }
  bool empty() const noexcept { return p_[-1] == 0; }
  const char* data() const noexcept { return p_; }
  std::string_view view() const noexcept { return {p_, size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: reads as a view

  friend bool operator==(text a, text b) noexcept { return a.view() == b.view(); }
  friend bool operator==(text a, std::string_view b) noexcept { return a.view() == b; }
  friend auto operator<=>(text a, text b) noexcept { return a.view() <=> b.view(); }
  friend auto operator<=>(text a, std::string_view b) noexcept { return a.view() <=> b; }

 private:
  friend class registry;
  explicit text(const char* p) noexcept : p_(p) {}
  const char* p_ = detail::k_no_text + 1;
};

/// Each entry comes in two forms: with `text` (what a snapshot holds and hands out) and
/// with `std::string_view` (`*_view`, what is handed to a `registry::loader`, whose text
/// need only live for the call). Entries of either form compare equal field by field.

template <class Text>
struct basic_household {
  Text id, building, unit, address;
};

template <class Text>
struct basic_resident {
  Text id, household_id, name;
  int birth_year = 0;
  bool lives_alone = false;
  Text phone, emergency_contact, emergency_phone, social_worker;
};

template <class Text>
struct basic_device {
  Text id, external_id, type, household_id, building, location;
};

template <class Text>
struct basic_building {
  Text id;
  double height_m = 0;
  double tilt_limit_permille = 4;  ///< GB 50007 default
};

template <class A, class B>
bool operator==(const basic_household<A>& a, const basic_household<B>& b) {
  return a.id == b.id && a.building == b.building && a.unit == b.unit && a.address == b.address;
}
template <class A, class B>
bool operator==(const basic_resident<A>& a, const basic_resident<B>& b) {
  return a.id == b.id && a.household_id == b.household_id && a.name == b.name &&
         a.birth_year == b.birth_year && a.lives_alone == b.lives_alone && a.phone == b.phone &&
         a.emergency_contact == b.emergency_contact && a.emergency_phone == b.emergency_phone &&
         a.social_worker == b.social_worker;
}
template <class A, class B>
bool operator==(const basic_device<A>& a, const basic_device<B>& b) {
  return a.id == b.id && a.external_id == b.external_id && a.type == b.type &&
         a.household_id == b.household_id && a.building == b.building && a.location == b.location;
}
template <class A, class B>
bool operator==(const basic_building<A>& a, const basic_building<B>& b) {
  return a.id == b.id && a.height_m == b.height_m && a.tilt_limit_permille == b.tilt_limit_permille;
}

using household = basic_household<text>;
using resident = basic_resident<text>;
using device = basic_device<text>;
using building = basic_building<text>;
using household_view = basic_household<std::string_view>;
using resident_view = basic_resident<std::string_view>;
using device_view = basic_device<std::string_view>;
using building_view = basic_building<std::string_view>;

/// Every entry of a snapshot, in import order.
struct entries {
  std::vector<household> households;
  std::vector<resident> residents;
  std::vector<device> devices;
  std::vector<building> buildings;
};

/// Parses registry CSV files. Each file is recognised by its header row. Every bad row is
/// reported as `file:line:column: message`; on any diagnostic the caller imports nothing.
tables parse_csv_files(const std::vector<std::string>& files, diagnostics& out);
/// Same, for text already read (pure; used by tests and the fuzzer).
void parse_csv_text(const std::string& text, const std::string& file, tables& into,
                    diagnostics& out);

/// External ids are compared case-insensitively (DevEUIs arrive in either case).
std::string canonical_external_id(std::string_view id);

/// Some entries of one of a snapshot's tables, picked by position, in import order: a view
/// (nothing copied, nothing allocated) that lives as long as the snapshot.
template <class T>
class picked {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = const T*;
    using difference_type = std::ptrdiff_t;
    using pointer = const T* const*;
    using reference = const T*;
    iterator() = default;
    iterator(const T* all, const std::uint32_t* at) : all_(all), at_(at) {}
    const T* operator*() const { return all_ + *at_; }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) {
      auto was = *this;
      ++at_;
      return was;
    }
    bool operator==(const iterator& o) const { return at_ == o.at_; }

   private:
    const T* all_ = nullptr;
    const std::uint32_t* at_ = nullptr;
  };
  picked() = default;
  picked(const std::vector<T>& all, const std::uint32_t* first, const std::uint32_t* last)
      : all_(all.data()), first_(first), last_(last) {}
  iterator begin() const { return {all_, first_}; }
  iterator end() const { return {all_, last_}; }
  std::size_t size() const { return static_cast<std::size_t>(last_ - first_); }
  bool empty() const { return first_ == last_; }
  const T* operator[](std::size_t i) const { return all_ + first_[i]; }
  const T* at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("registry::picked::at");
    return (*this)[i];
  }

 private:
  const T* all_ = nullptr;
  const std::uint32_t* first_ = nullptr;
  const std::uint32_t* last_ = nullptr;
};

/// An immutable snapshot with look-ups by id. Cheap to copy (the strings are shared); the
/// domain thread and ingest's classifier share one through a shared_ptr.
class registry {
 public:
  registry() = default;
  explicit registry(const tables& t);

  class loader;

  /// Look-ups: nullptr when absent. When an id occurs twice, the later entry wins.
  const household* find_household(std::string_view id) const;
  const resident* find_resident(std::string_view id) const;
  const device* find_device(std::string_view id) const;
  const device* find_device_by_external_id(std::string_view external_id) const;
  const building* find_building(std::string_view id) const;
  /// In import order. Runs for each report a welfare rule reads: it allocates nothing.
  picked<resident> residents_of(std::string_view household_id) const;
  /// The devices of a household, in import order (none for an empty id).
  picked<device> devices_of(std::string_view household_id) const;
  /// The same for the household of `d`, without a search when `d` is one of this snapshot's
  /// entries (what the rules call for each report): its devices, `d` among them, and its
  /// residents.
  picked<device> devices_beside(const device& d) const;
  picked<resident> residents_with(const device& d) const;
  /// `d` is one of this snapshot's entries (not null, not another snapshot's).
  bool holds(const device* d) const;

  const entries& all() const { return entries_; }

  /// Upserts `update` into a copy of this registry, checking references (a device's
  /// household must exist, a resident's household must exist). Diagnostics name the file
  /// and line of the offending row when known (from `update.sources`).
  registry merged(const tables& update, diagnostics& out) const;

 private:
  class builder;
  struct pool;
  static text pooled(const char* p) noexcept { return text(p); }
  void index();
  std::shared_ptr<const pool> pool_;  ///< owns every character the entries point to
  entries entries_;
  /// Entry positions sorted by key (stable, so equal keys stay in import order).
  std::vector<std::uint32_t> households_, residents_, devices_, external_, buildings_,
      residents_by_household_, devices_by_household_;
  /// The folded hash of each `external_` entry's id, in the same order (4 B a device): a
  /// look-up, once per message, then hashes only its own key.
  std::vector<std::uint32_t> external_hashes_;
  /// Each household that has devices: where its devices and residents are in
  /// `devices_by_household_` and `residents_by_household_`; and, by device position, which
  /// of these is the device's (7 B a device at a million devices and 270,000 households).
  struct household_span {
    std::uint32_t devices_first, residents_first, residents_last;
  };
  static constexpr std::uint32_t k_no_household = 0xFFFFFFFFu;
  std::vector<household_span> households_of_devices_;
  std::vector<std::uint32_t> household_of_;
  void group_households();
};

/// Builds a snapshot from entries handed in one at a time, as the store reads its rows, so
/// that a million devices are never held twice (as rows and as a snapshot). Each entry's
/// text is copied: the views passed in need only live for the call. Add households and
/// buildings before the residents and devices that refer to them, so that those share
/// their ids' text; entries sorted by id index fastest.
class registry::loader {
 public:
  loader();
  ~loader();
  loader(const loader&) = delete;
  loader& operator=(const loader&) = delete;

  /// How many entries of each kind are coming (a guess is fine): saves growing the tables.
  void reserve(std::size_t households, std::size_t residents, std::size_t devices,
               std::size_t buildings);
  void add(const household_view& h);
  void add(const resident_view& r);
  void add(const device_view& d);
  void add(const building_view& b);
  /// The snapshot, indexed. The loader is spent afterwards.
  registry finish();

 private:
  std::unique_ptr<builder> builder_;
  registry r_;
};

}  // namespace hearth::registry

template <>
struct fmt::formatter<hearth::registry::text> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(hearth::registry::text t, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(t.view(), ctx);
  }
};
