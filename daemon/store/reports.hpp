// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The supervisor's queries (issue 16): alerts by period for the SLA board, the handover
/// and the CSV export; the latest note a person wrote on an alert; handover
/// acknowledgements. Kept together so that they move as one behind a store interface.
///
/// Threading: the caller's connection (the domain thread's store). SQLite errors are
/// `store_error` exceptions, as in the rest of store/.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "store/sqlite.hpp"

namespace hearth::store {

/// Alerts opened in [from, to), oldest first, at most `limit` (+1 so a caller can tell
/// that there were more).
std::vector<alerts::alert> alerts_opened(connection& c, time_point from, time_point to,
                                         std::size_t limit);
/// Resolved alerts last changed at or after `since` (a resolution in a shift changes the
/// alert), oldest change first, at most `limit`.
std::vector<alerts::alert> alerts_resolved_since(connection& c, time_point since,
                                                 std::size_t limit);

/// Per alert id, the text of the latest audit row a person wrote with a note: a claim or a
/// note, and with `resolutions` also a resolution ("outcome: note"). hearthd's own rows are
/// skipped. Ids without one are absent.
std::map<std::string, std::string> latest_notes(connection& c, const std::vector<std::string>& ids,
                                                bool resolutions);

/// One acknowledged handover: the shift [from, to) as summarised, who took it over.
struct handover_ack {
  std::int64_t id = 0;
  time_point from, to;
  std::string by;
  time_point at;
  std::string note;
};
handover_ack save_handover_ack(connection& c, handover_ack a);
/// Acknowledgements of handovers whose summary ends in [from, to], newest first.
std::vector<handover_ack> handover_acks(connection& c, time_point from, time_point to,
                                        std::size_t limit = 50);

}  // namespace hearth::store
