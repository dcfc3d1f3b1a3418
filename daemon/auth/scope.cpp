// SPDX-License-Identifier: Apache-2.0
#include "auth/scope.hpp"

#include <algorithm>

namespace hearth::auth {

bool allowed(role r, permission p) {
  using enum permission;
  switch (r) {
    case role::admin:
      return true;
    case role::supervisor:
      return true;
    case role::operator_desk:
      return p == read_alerts || p == act_on_alerts || p == read_personal_data ||
             p == read_silences || p == read_devices;
    case role::social_worker:
      return p == read_alerts || p == act_on_alerts || p == read_personal_data || p == set_away ||
             p == list_residents;
    case role::integrator:
      return p == read_alerts || p == read_silences || p == read_devices || p == read_metrics;
  }
  return false;
}

bool may_manage_user(role caller, role target) {
  if (caller == role::admin) return true;
  return caller == role::supervisor &&
         (target == role::operator_desk || target == role::social_worker);
}

namespace {
bool in_caseload(const principal& p, const registry::resident& r) {
  if (r.social_worker == p.user) return true;
  for (const auto& e : p.caseload) {
    const std::string_view v = e;
    if ((v.starts_with("resident:") && v.substr(9) == r.id) ||
        (v.starts_with("worker:") && v.substr(7) == r.social_worker))
      return true;
  }
  return false;
}
}  // namespace

bool resident_in_scope(const principal& p, const registry::resident& r) {
  if (!allowed(p.role, permission::read_personal_data)) return false;
  return !scoped(p.role) || in_caseload(p, r);
}

bool household_in_scope(const principal& p, const registry::registry& reg,
                        std::string_view household_id) {
  if (!allowed(p.role, permission::read_personal_data)) return false;
  if (!scoped(p.role)) return reg.find_household(household_id) != nullptr;
  const auto rs = reg.residents_of(household_id);
  return std::any_of(rs.begin(), rs.end(), [&](const auto* r) { return in_caseload(p, *r); });
}

bool alert_in_scope(const principal& p, const registry::registry& reg, const alerts::alert& a) {
  if (!allowed(p.role, permission::read_alerts)) return false;
  if (!scoped(p.role)) return true;
  for (const auto& id : a.subject.resident_ids)
    if (const auto* r = reg.find_resident(id); r && in_caseload(p, *r)) return true;
  return !a.subject.household_id.empty() && household_in_scope(p, reg, a.subject.household_id);
}

}  // namespace hearth::auth
