// SPDX-License-Identifier: Apache-2.0
#pragma once
/// JSON views shared by several resources: the alert as the API shows it, a resident's
/// personal data, a household. Pure functions. A resident view is only ever built for a
/// caller allowed to see it (the caller checks the scope and audits the read).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "alerts/book.hpp"
#include "i18n/format.hpp"
#include "registry/registry.hpp"

namespace hearth::api {

/// The alert as the API shows it: the published JSON plus its escalation state, with the
/// title and summary in `locale` (the caller's) when the alert has them in it, and
/// `lifecycle.claim_target_at`, the first target it had (claim by then, from `policy`):
/// the console measures the wait against it, however often the alert has escalated since.
boost::json::object alert_view(const alerts::alert& a, const alerts::escalation_policy& policy,
                               std::string_view locale);
/// id, rule, priority, state, title, opened_at, outcome: for lists inside other resources.
boost::json::object alert_brief(const alerts::alert& a, std::string_view locale);

/// An alert's timeline for people: each audit row as stored (`at, actor, action, note,
/// channel`) plus `words` in the context's language: `when` (local time, with the date
/// when not today), `who` ("系统" / "hearth", or the user), `what` ("已通知值班员" /
/// "operator tier notified") and `how` ("计时" / "timer"). Consecutive rows of the same
/// kind about one alert (repeats, raised urgency, notifications of one tier) are grouped:
/// one entry with `count` and `last_at`, so that a thousand presses are one line.
boost::json::array timeline_view(const std::vector<alerts::audit_entry>& rows,
                                 const i18n::context& words);

boost::json::value away_json(const alerts::away* a);
/// A maintenance window: id, scope ({device_id|household_id|building}), times, reason, author.
boost::json::object silence_json(const alerts::silence& s);
boost::json::object household_json(const registry::household& h);
/// A resident's personal data, with the household and the current away (or null).
boost::json::object resident_json(const registry::resident& r, const registry::registry& reg,
                                  const alerts::away* away);

/// The resident's away that lasts past `now`, if any.
const alerts::away* away_of(const std::vector<alerts::away>& aways, std::string_view id,
                            time_point now);

}  // namespace hearth::api
