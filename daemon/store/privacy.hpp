// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A resident's rights to a copy of their data and to its erasure (issue 7, "Retention and
/// privacy"): `hearthd residents export ID` and `hearthd residents erase ID`.
///
/// What is personal data here: the registry row (name, birth year, phones, emergency
/// contact, social worker), away records (dates and reasons), the alerts naming the
/// resident, and, for a resident who lived alone, the household's readings and the rule
/// state learned from them (daily water-use patterns). The audit trail records *who did
/// what* by id ("resident:R-1001"), never names or phone numbers; it is append-only and
/// hash-chained, so erasure appends a row instead of editing any.
///
/// Threading: the caller's store (a CLI command). Errors: store_error.

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "store/store.hpp"

namespace hearth::store {

/// Everything held about one resident, as JSON: resident, household, devices, readings
/// (per device and metric: count, first, last, min, max; or every reading when `full`),
/// alerts naming them, aways, audit rows about them. Appends a `personal-data-exported`
/// audit row in the same transaction. nullopt when there is no such resident.
std::optional<boost::json::object> export_resident(store& s, const std::string& resident_id,
                                                   const std::string& actor, time_point at,
                                                   bool full);

struct erasure {
  std::string pseudonym;  ///< what alerts now carry instead of the resident id
  std::int64_t aways = 0, alerts = 0, readings = 0, state_rows = 0;
  bool household_readings_erased = false;  ///< they lived alone: the household's readings went
};

/// Deletes the registry row and away record, replaces the id in alerts with a random
/// pseudonym, and (when nobody else lives in the household) deletes the household devices'
/// readings and learned rule state. Appends a `personal-data-erased` audit row; the chain
/// stays verifiable. Refuses (store_error) while an alert naming them is open or
/// acknowledged. nullopt when there is no such resident.
std::optional<erasure> erase_resident(store& s, const std::string& resident_id,
                                      const std::string& actor, time_point at);

}  // namespace hearth::store
