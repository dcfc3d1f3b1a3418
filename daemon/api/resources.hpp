// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The API's resources, one file each; the router (routes.cpp) adds each one's routes to
/// its table. Paths are relative to /api/v1/. The stream and the session calls (login,
/// logout, me) keep state and are classes of their own (stream.hpp, sessions.hpp).

#include <vector>

#include "api/context.hpp"
#include "api/route_table.hpp"

namespace hearth::api {

/// alerts (the queue), alerts/{id} (with the timeline and, for roles that may see personal
/// data, the call sheet), alerts/{id}/claim|notes|escalate|resolve.
std::vector<route> alert_routes(context& c);
/// residents, residents/{id}, households/{id}: scoped to a social worker's caseload, every
/// read of personal data audited.
std::vector<route> resident_routes(context& c);
/// devices, devices/{id}/readings, devices/unknown, quarantine.
std::vector<route> device_routes(context& c);
/// silences (list, create, end) and residents/{id}/away (set, end early).
std::vector<route> silence_routes(context& c);
/// users.
std::vector<route> user_routes(context& c);
/// reports/sla (the SLA board), reports/handover (+ /ack), alerts/export (CSV).
std::vector<route> report_routes(context& c);

}  // namespace hearth::api
