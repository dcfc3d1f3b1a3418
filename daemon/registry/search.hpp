// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Finding a resident while they are on the phone (issue 15): by name, unit, building,
/// household or resident id, or the number they are calling from (their own phone or their
/// emergency contact's). Pure: a scan of one registry snapshot in memory, nothing on disk.
///
/// A query is split into terms at white space (and "3栋502" / "3号楼502" into a building
/// and a unit), unless it is one phone number typed in groups ("+86 138 0013 8000"); a
/// resident matches when every term matches one of their fields. A term matches
///  - a phone number (the resident's or the emergency contact's) when it has at least four
///    digits (seven with a '-' or a space, so that "3-502" stays a building and a unit)
///    and nothing but digits, '+', '-', '.', spaces and brackets: the digits are
///    compared without a leading 86/0086 country code, whole (best) or as a part;
///  - an id (resident or household, case-insensitive) whole, or a household id's last
///    parts ("3-502" finds H-3-502);
///  - the unit, whole; the building, whole or without its letters ("3" finds B3);
///  - the name or the emergency contact's name, case-insensitively, whole, at the start
///    or anywhere (CJK names are matched as written: "王" finds 王秀英).
/// Results come best first: a whole phone number, then ids, names, units, buildings.
///
/// Names and phone numbers are personal data: callers show the results only to roles that
/// may see them, and audit each resident shown (api/residents_routes.cpp).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.hpp"

namespace hearth::registry {

/// The field that matched best.
enum class match_field {
  phone,
  emergency_phone,
  resident_id,
  household_id,
  name,
  emergency_contact,
  unit,
  building
};
std::string_view match_field_name(match_field f);  ///< "phone", "emergency_phone", ...

struct search_hit {
  const resident* who = nullptr;
  match_field field = match_field::name;  ///< of the term that matched best
  int score = 0;                          ///< higher is better
};

struct search_result {
  std::vector<search_hit> hits;  ///< best first, at most `limit`
  bool truncated = false;        ///< more residents matched than were returned
};

/// The digits of a phone number without a leading 86 or 0086 country code:
/// "+86 138-0013-8000" → "13800138000". Empty when `phone` has no digit.
std::string phone_digits(std::string_view phone);

/// Residents of `reg` matching every term of `query` for which `visible` is true (the
/// caller's scope), best first. An empty query matches nothing.
search_result search(const registry& reg, std::string_view query,
                     const std::function<bool(const resident&)>& visible, std::size_t limit);

}  // namespace hearth::registry
