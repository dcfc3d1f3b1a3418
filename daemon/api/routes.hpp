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
/// Who acts (issue 6): every /api/v1/ call but login is authenticated, with
/// `Authorization: Bearer <token>` (API clients; tokens from `hearthd users add` or login)
/// or the console's `hearth_session` cookie (HttpOnly, SameSite=Strict). Without valid
/// credentials the answer is 401. What each role may see and do is `auth::allowed` and the
/// scope checks of auth/scope.hpp; outside a social worker's caseload things answer 404.
/// Every read of a resident's personal data writes an audit row (action
/// `read-personal-data`, subject `resident:<id>`, channel `api`).
///
/// Also served here: the console's static files (index.html, app.js, style.css from
/// `console_dir`, with a Content-Security-Policy) and GET /api/v1/stream, a WebSocket
/// that pushes every alert transition the caller may see (the alert JSON plus
/// "transition" and "action") as `on_transition` is called.
///
/// /healthz is open. /metrics is open to loopback callers (a local Prometheus); from
/// elsewhere it needs an integrator, supervisor or admin token.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>

#include "alerts/book.hpp"
#include "api/http_server.hpp"
#include "auth/login_guard.hpp"
#include "auth/scope.hpp"
#include "base/result.hpp"
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
};

class routes {
 public:
  struct options {
    duration session_ttl = std::chrono::hours(12);  ///< a console session lasts one shift
    auth::login_guard::options login_limits;
    std::string console_dir;  ///< static console files; empty: no console
  };

  routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
         std::function<health()> health_probe);
  routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
         std::function<health()> health_probe, options o);
  ~routes();

  /// Live mode: password checks then run on a worker thread and the login answer comes
  /// back on `ex` (the domain io_context). Without it (in-process tests) they run inline.
  void set_executor(boost::asio::any_io_executor ex);

  response handle(const request& r);

  /// The message catalogue (GET /api/v1/messages/{locale}) and the config's `locale`, the
  /// language of answers to callers who name none. Domain thread (start and SIGHUP).
  void set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale) {
    messages_ = std::move(words);
    locale_ = std::move(locale);
  }

  /// Pushes one transition to every stream subscriber allowed to see the alert. Domain
  /// thread; never blocks (each peer queues).
  void on_transition(const alerts::transition& t);
  /// Open WebSocket subscribers (tests, metrics).
  std::size_t subscribers();

  /// Writes "actor read resident R's personal data" to the audit trail (issue 5). The
  /// resident and household endpoints call this for every read they serve.
  void audit_read(const std::string& actor, const std::string& resident_id,
                  const std::string& channel = "api");

 private:
  struct subscriber {
    std::weak_ptr<ws_peer> peer;
    auth::principal who;
  };

  result<auth::principal> authenticate(const request& r);
  response login(const request& r);
  response finish_login(const std::string& user, const std::string& remote, bool ok);
  response logout(const auth::principal& p);
  response me(const auth::principal& p);
  response console_file(const request& r);
  response metrics(const request& r);
  response stream(const request& r, const auth::principal& p);
  response api(const request& r, const auth::principal& p, std::string_view rest);

  response alerts_list(const request& r, const auth::principal& p);
  response alert_one(const std::string& id, const auth::principal& p);
  response alert_action(const std::string& id, std::string_view action, const request& r,
                        const auth::principal& p);
  response silences_list();
  response silence_create(const request& r, const auth::principal& p);
  response silence_delete(const std::string& id, const auth::principal& p);
  response resident_away(const std::string& id, const request& r, const auth::principal& p);
  response residents_list(const auth::principal& p);
  response resident_one(const std::string& id, const auth::principal& p);
  response household_one(const std::string& id, const auth::principal& p);
  response users_list();
  response quarantine(const request& r);
  /// Makes a resolved alert that only the store still has known to the book.
  void recall(const std::string& id);
  /// The alert, from the book or the store, when `p` may see it.
  std::optional<alerts::alert> visible_alert(const std::string& id, const auth::principal& p);
  /// Journals one read-personal-data row per resident, then records them together.
  void audit_reads(const std::string& actor, const std::vector<std::string>& resident_ids);
  response unknown_devices();
  response devices();
  response device_readings(const std::string& id, const request& r);

  alerts::book& book_;
  store::store& store_;
  telemetry& telemetry_;
  app::pipeline& pipeline_;
  std::function<health()> health_;
  options options_;
  auth::login_guard guard_;
  std::optional<boost::asio::any_io_executor> executor_;
  std::unique_ptr<boost::asio::thread_pool> hasher_;
  int pending_logins_ = 0;
  std::vector<subscriber> subscribers_;
  std::shared_ptr<const i18n::catalogue> messages_ = std::make_shared<i18n::catalogue>();
  std::string locale_{"zh-CN"};
};

response json_error(int status, std::string_view code, std::string_view message);

/// A strictly validated JSON request body: an object of at most 16 KiB whose keys are all
/// in `allowed`, each a string, with every `required` key present. An empty body reads as
/// {}. Errors: `too-large` (413) or `bad-request` (400). Pure; the fuzzer calls it directly.
result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required);

}  // namespace hearth::api
