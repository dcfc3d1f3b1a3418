// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The HTTP API of DESIGN.md under /api/v1/, plus /healthz and /metrics. Handlers run on
/// the domain thread and read the alert book and the store directly.
/// Errors are `{"error":"<code>","message":"<text>"}` with a fitting status.

#include <functional>
#include <string>

#include "alerts/book.hpp"
#include "api/http_server.hpp"
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

 private:
  response alerts_list(const request& r);
  response alert_one(const std::string& id);
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

}  // namespace hearth::api
