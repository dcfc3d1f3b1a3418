// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Who may see and do what (issue 6). Pure functions over the caller, the registry and the
/// alert; the API asks these and nothing else, so the role table lives in one place.
///
/// - operator: all alerts and residents' personal data; alert actions; sees silences
///   and devices.
/// - supervisor: as operator, plus silences, away, users (operators and social workers),
///   reports (SLA board, handover, export), metrics.
/// - social_worker: alerts and personal data of their own caseload only; alert actions
///   and away there.
/// - integrator: all alerts without personal data; devices, quarantine, metrics.
/// - admin: everything, and users of every role.
///
/// A social worker's caseload: the residents whose registry `social_worker` equals the
/// user's name or who are named by the user's extra caseload (`resident:<id>`, or
/// `worker:<name>` for another worker's residents), their households, and alerts about
/// those residents or households. Outside it, things do not exist for them (the API
/// answers 404, not 403).

#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "auth/users.hpp"
#include "registry/registry.hpp"

namespace hearth::auth {

/// An authenticated caller.
struct principal {
  std::string user;
  auth::role role = role::operator_desk;
  std::string token_hash;  ///< the credential used (logout ends it)
  std::string kind;        ///< "api" or "session"
  std::optional<time_point> expires_at;
  std::vector<std::string> caseload = {};  ///< a social worker's extra caseload (auth::user)
};

enum class permission {
  read_alerts,           ///< the queue and one alert (scoped for social workers)
  act_on_alerts,         ///< claim, note, escalate, resolve
  read_personal_data,    ///< residents, households, the alert detail's resident block
  set_away,              ///< POST /residents/{id}/away
  list_residents,        ///< GET /residents (a social worker: the caseload)
  read_silences,         ///< GET /silences
  manage_silences,       ///< POST/DELETE /silences
  read_devices,          ///< devices, readings, unknown devices, quarantine
  read_metrics,          ///< /metrics from a non-loopback address
  manage_users,          ///< users: list, add, disable, passwords, tokens, roles, caseloads
  read_reports,          ///< the SLA board, the shift handover, the CSV export of alerts
  acknowledge_handover,  ///< take a shift over (audited)
};

bool allowed(role r, permission p);

/// Whether a caller of role `caller` may manage a user of role `target` (add, change,
/// disable, remove, reset, tokens): an admin any user, a supervisor operators and social
/// workers, nobody else anyone.
bool may_manage_user(role caller, role target);

/// True for a role whose view is limited to a caseload.
inline bool scoped(role r) {
  return r == role::social_worker;
}

bool resident_in_scope(const principal& p, const registry::resident& r);
bool household_in_scope(const principal& p, const registry::registry& reg,
                        std::string_view household_id);
bool alert_in_scope(const principal& p, const registry::registry& reg, const alerts::alert& a);

}  // namespace hearth::auth
