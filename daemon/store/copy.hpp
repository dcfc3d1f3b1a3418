// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `hearthd migrate --from FILE.db --to postgresql://...`: moves a community's SQLite
/// database into an empty PostgreSQL database, every table, in one transaction (all or
/// nothing). Ids, device keys and the audit trail's sequence numbers and hashes are copied
/// as they are, so the chain still verifies; the identities and the alert id sequence go on
/// from the highest copied. Readings go into their day partitions.
///
/// Threading: the caller's (a CLI command). Errors: store_error; a target that already
/// holds data is refused (errc::constraint) and left untouched.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/audit.hpp"

namespace hearth::store {

struct copy_report {
  std::vector<std::pair<std::string, std::int64_t>> rows;  ///< table, rows copied
  audit_verdict audit;                                     ///< the chain, read back from the target
};

/// The source is migrated to this hearthd's schema first (it must not be in use).
copy_report copy_sqlite_to_postgresql(const std::string& from, const std::string& to);

}  // namespace hearth::store
