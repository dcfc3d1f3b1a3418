// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Who may see and do what (issue 6). Pure functions over the caller, the registry and the
/// alert; the API asks these and nothing else, so the role table lives in one place.
///
/// | role          | alerts                    | residents' personal data | actions          |
/// |---------------|---------------------------|--------------------------|------------------|
/// | operator      | all                       | all                      | alert actions    |
/// | supervisor    | all                       | all                      | + silences, away, users
/// | | social_worker | own caseload only         | own caseload only        | alert actions, away
/// (own caseload) | | integrator    | all, without personal data| none                     | none;
/// devices, quarantine, metrics | | admin         | all                       | all | everything |
///
/// A social worker's caseload: the residents whose registry `social_worker` equals the
/// user's name, their households, and alerts about those residents or households. Outside
/// it, things do not exist for them (the API answers 404, not 403).

#include <optional>
#include <string>

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
};

enum class permission {
  read_alerts,         ///< the queue and one alert (scoped for social workers)
  act_on_alerts,       ///< claim, note, escalate, resolve
  read_personal_data,  ///< residents, households, the alert detail's resident block
  set_away,            ///< POST /residents/{id}/away
  list_residents,      ///< GET /residents (a social worker: the caseload)
  read_silences,       ///< GET /silences
  manage_silences,     ///< POST/DELETE /silences
  read_devices,        ///< devices, readings, unknown devices, quarantine
  read_metrics,        ///< /metrics from a non-loopback address
  manage_users,        ///< GET /users
};

bool allowed(role r, permission p);

/// True for a role whose view is limited to a caseload.
inline bool scoped(role r) {
  return r == role::social_worker;
}

bool resident_in_scope(const principal& p, const registry::resident& r);
bool household_in_scope(const principal& p, const registry::registry& reg,
                        std::string_view household_id);
bool alert_in_scope(const principal& p, const registry::registry& reg, const alerts::alert& a);

}  // namespace hearth::auth
