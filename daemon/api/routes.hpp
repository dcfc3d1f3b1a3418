// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The HTTP API of DESIGN.md under /api/v1/, plus /healthz, /metrics and the console's
/// static files: the router. Handlers run on the domain thread and read the alert book
/// and the store directly. Errors are `{"error":"<code>","message":"<text>"}` with a
/// fitting status (api/reply.hpp).
///
/// The resources live one file each (api/resources.hpp: alerts, residents and households,
/// devices, silences and away, users; api/stream.hpp; api/sessions.hpp for login, logout
/// and me). Each declares its routes with the permission they need; the route table
/// (api/route_table.hpp) answers 404, 405 and 403 before any handler runs.
///
/// Alert actions (claim, notes, escalate, resolve), silences and away change the book and
/// go through `pipeline::record`, so they are persisted with their audit rows and published
/// like any other transition. Request bodies are JSON objects of at most 16 KiB; unknown
/// keys and wrong types are `bad-request`.
///
/// Who acts (issue 6): every /api/v1/ call but login is authenticated, with
/// `Authorization: Bearer <token>` (API clients; tokens from `hearthd users add` or login)
/// or the console's `hearth_session` cookie (HttpOnly, SameSite=Strict). Without valid
/// credentials the answer is 401. A changing request that carries the cookie must come
/// from this origin when the browser names one. What each role may see and do is
/// `auth::allowed` and the scope checks of auth/scope.hpp; outside a social worker's
/// caseload things answer 404. Every read of a resident's personal data writes an audit
/// row (action `read-personal-data`, subject `resident:<id>`, channel `api`).
///
/// Also served here: the console's static files (index.html, app.js, style.css from
/// `console_dir`, with a Content-Security-Policy). /healthz is open. /metrics is open to
/// loopback callers (a local Prometheus); from elsewhere it needs an integrator,
/// supervisor or admin token.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "alerts/book.hpp"
#include "api/context.hpp"
#include "api/http_server.hpp"
#include "api/offload.hpp"
#include "api/reply.hpp"
#include "api/route_table.hpp"
#include "api/sessions.hpp"
#include "api/stream.hpp"
#include "auth/login_guard.hpp"
#include "base/telemetry.hpp"
#include "i18n/catalogue.hpp"
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
  std::string role;  ///< with a shared database: "active" (a standby answers elsewhere)
};

class routes {
 public:
  struct options {
    duration session_ttl = std::chrono::hours(12);  ///< a console session lasts one shift
    auth::login_guard::options login_limits;
    bool secure_cookie = false;    ///< the session cookie is always `Secure` (HTTPS in front)
    std::string console_dir;       ///< static console files; empty: no console
    std::string timezone = "UTC";  ///< the community's, told to the console (GET me)
    app::desk_config desk;         ///< the SLA board's figures and the shifts
  };

  routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
         std::function<health()> health_probe);
  routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
         std::function<health()> health_probe, options o);

  /// Live mode: password checks then run on a worker thread and the login answer comes
  /// back on `ex` (the domain io_context). Without it (in-process tests) they run inline.
  void set_executor(boost::asio::any_io_executor ex);
  /// Heavy list queries run there (may be null: inline). It must outlive the routes.
  void set_queries(query_thread* q) { context_.queries = q; }

  response handle(const request& r);

  /// The message catalogue (GET /api/v1/messages/{locale}) and the config's `locale`, the
  /// language of answers to callers who name none. Domain thread (start and SIGHUP).
  void set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale,
                    std::string timezone = "UTC") {
    context_.words = std::move(words);
    context_.locale = std::move(locale);
    context_.timezone = std::move(timezone);
  }

  /// Pushes one transition to every stream subscriber allowed to see the alert. Domain
  /// thread; never blocks (each peer queues).
  void on_transition(const alerts::transition& t);
  /// Closes the streams whose credential was deleted or whose user was disabled or removed
  /// meanwhile (the command line, another node): the daemon calls it each second.
  void revalidate_streams();
  /// Open WebSocket subscribers (tests, metrics).
  std::size_t subscribers();

  /// Writes "actor read resident R's personal data" to the audit trail (issue 5). The
  /// resident and household endpoints do this for every read they serve.
  void audit_read(const std::string& actor, const std::string& resident_id,
                  const std::string& channel = "api");

  /// Every /api/v1/ route but login (docs and tests walk them).
  const route_table& table() const { return table_; }

 private:
  response console_file(const request& r);
  response metrics(const request& r);

  context context_;
  std::function<health()> health_;
  options options_;
  offload work_;
  stream_hub streams_;
  sessions sessions_;
  route_table table_;
};

}  // namespace hearth::api
