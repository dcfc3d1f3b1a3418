// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The HTTP API of DESIGN.md under /api/v1/, plus /healthz and /metrics. Handlers run on
/// the domain thread and read the alert book and the store directly.
/// Errors are `{"error":"<code>","message":"<text>"}` with a fitting status.
///
/// Alert actions (claim, notes, escalate, resolve), silences and away change the book and
/// go through `pipeline::record`, so they are persisted with their audit rows and published
/// like any other transition. Request bodies are JSON objects of at most 16 KiB; unknown
/// keys and wrong types are `bad-request`.
///
/// Who acted: for now the `X-Hearth-Actor` header, or "anonymous". Issue 6 replaces
/// `actor_of` with the authenticated user; everything below takes the actor as a value.

#include <functional>
#include <initializer_list>
#include <map>
#include <string>

#include "alerts/book.hpp"
#include "api/http_server.hpp"
#include "base/result.hpp"
#include "base/telemetry.hpp"
#include "store/store.hpp"

namespace hearth::app {
class pipeline;
}

namespace hearth::api {

/// What /healthz reports; filled by the daemon.
struct health {
  bool mqtt_connected = false;
  bool store_ok = true;
  std::string detail;
};

class routes {
 public:
  routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
         std::function<health()> health_probe);

  response handle(const request& r);

  /// Writes "actor read resident R's personal data" to the audit trail (issue 5). The
  /// resident and household endpoints of issue 6 call this for every read they serve.
  void audit_read(const std::string& actor, const std::string& resident_id,
                  const std::string& channel = "api");

 private:
  response alerts_list(const request& r);
  response alert_one(const std::string& id);
  response alert_action(const std::string& id, std::string_view action, const request& r);
  response silences_list();
  response silence_create(const request& r);
  response silence_delete(const std::string& id, const request& r);
  response resident_away(const std::string& id, const request& r);
  /// The acting user. Issue 6: from the session or token instead of a header.
  result<std::string> actor_of(const request& r) const;
  /// Makes a resolved alert that only the store still has known to the book.
  void recall(const std::string& id);
  response unknown_devices();
  response devices();
  response device_readings(const std::string& id, const request& r);

  alerts::book& book_;
  store::store& store_;
  telemetry& telemetry_;
  app::pipeline& pipeline_;
  std::function<health()> health_;
};

response json_error(int status, std::string_view code, std::string_view message);

/// A strictly validated JSON request body: an object of at most 16 KiB whose keys are all
/// in `allowed`, each a string, with every `required` key present. An empty body reads as
/// {}. Errors: `too-large` (413) or `bad-request` (400). Pure; the fuzzer calls it directly.
result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required);

}  // namespace hearth::api
