// SPDX-License-Identifier: Apache-2.0
#include "api/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api/messages.hpp"
#include "app/pipeline.hpp"
#include "auth/credentials.hpp"
#include "base/time.hpp"
#include "store/audit.hpp"

namespace hearth::api {
namespace json = boost::json;

response json_error(int status, std::string_view code, std::string_view message) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  return {status, "application/json", json::serialize(o), {}, {}, {}};
}

namespace {
response json_ok(const json::value& v) {
  return {200, "application/json", json::serialize(v), {}, {}, {}};
}

constexpr std::size_t k_max_body = 16 * 1024;
constexpr std::size_t k_max_login_body = 4 * 1024;
constexpr std::size_t k_max_password = 1024;
constexpr int k_max_pending_logins = 8;
constexpr std::string_view k_cookie = "hearth_session";
/// Checked for an unknown user, so that a wrong name takes as long as a wrong password.
constexpr std::string_view k_dummy_hash =
    "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
constexpr std::string_view k_console_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

int status_of(const error& e) {
  if (e.code == "not-found") return 404;
  if (e.code == "unauthenticated") return 401;
  if (e.code == "forbidden") return 403;
  if (e.code == "conflict") return 409;
  if (e.code == "too-large") return 413;
  return 400;
}

response error_response(const error& e) {
  auto res = json_error(status_of(e), e.code, e.message);
  if (res.status == 401) res.headers["WWW-Authenticate"] = "Bearer realm=\"hearth\"";
  return res;
}

response forbidden(std::string_view what) {
  return json_error(403, "forbidden", fmt::format("your role may not {}", what));
}

/// Only these query parameters are accepted; anything else is a 400.
std::optional<response> check_query(const request& r,
                                    std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : r.query)
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
      return json_error(
          400, "bad-request",
          fmt::format("unknown query parameter '{}'", std::string_view(k).substr(0, 40)));
  return std::nullopt;
}

bool is_loopback(const std::string& remote) {
  // Empty: an in-process call (tests), which has no network peer.
  return remote.empty() || remote.starts_with("127.") || remote == "::1" ||
         remote.starts_with("::ffff:127.");
}

std::string cookie_value(const request& r, std::string_view name) {
  auto it = r.headers.find("cookie");
  if (it == r.headers.end()) return {};
  std::string_view c = it->second;
  while (!c.empty()) {
    const auto semi = c.find(';');
    auto part = c.substr(0, semi);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    c = semi == std::string_view::npos ? std::string_view{} : c.substr(semi + 1);
  }
  return {};
}

json::value away_json(const alerts::away* a) {
  if (!a) return nullptr;
  json::object o;
  o["since"] = format_rfc3339(a->since);
  o["until"] = format_rfc3339(a->until);
  o["reason"] = a->reason;
  o["author"] = a->author;
  return o;
}

json::object household_json(const registry::household& h) {
  json::object o;
  o["household_id"] = h.id;
  o["building"] = h.building;
  o["unit"] = h.unit;
  o["address"] = h.address;
  return o;
}

/// A resident's personal data: only ever built for a caller allowed to see it.
json::object resident_json(const registry::resident& r, const registry::registry& reg,
                           const alerts::away* away) {
  json::object o;
  o["resident_id"] = r.id;
  o["name"] = r.name;
  o["birth_year"] = r.birth_year;
  o["lives_alone"] = r.lives_alone;
  o["phone"] = r.phone;
  json::array contacts;
  if (!r.emergency_contact.empty() || !r.emergency_phone.empty()) {
    json::object c;
    c["name"] = r.emergency_contact;
    c["phone"] = r.emergency_phone;
    contacts.push_back(std::move(c));
  }
  o["emergency_contacts"] = std::move(contacts);
  o["social_worker"] = r.social_worker;
  o["household_id"] = r.household_id;
  if (const auto* h = reg.find_household(r.household_id))
    o["household"] = household_json(*h);
  else
    o["household"] = nullptr;
  o["away"] = away_json(away);
  return o;
}

json::object alert_brief(const alerts::alert& a) {
  json::object o;
  o["id"] = a.id;
  o["rule"] = a.rule;
  o["priority"] = a.priority;
  o["state"] = alerts::state_name(a.state);
  o["title"] = a.title;
  o["opened_at"] = format_rfc3339(a.opened_at);
  o["outcome"] = a.outcome.empty() ? json::value(nullptr) : json::value(a.outcome);
  return o;
}

/// The alert as the API shows it: the published JSON plus its escalation state.
json::object alert_view(const alerts::alert& a) {
  auto o = alerts::to_json(a).as_object();
  o["lifecycle"] = alerts::lifecycle_json(a);
  return o;
}

/// A strictly validated JSON body: an object whose keys are all in `allowed`, each a
/// string. An empty body reads as {} (for actions whose fields are all optional).
result<std::map<std::string, std::string>> parse_body(
    const request& r, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required) {
  return parse_json_body(r.body, allowed, required);
}
}  // namespace

result<std::map<std::string, std::string>> parse_json_body(
    std::string_view body, std::initializer_list<std::string_view> allowed,
    std::initializer_list<std::string_view> required) {
  if (body.size() > k_max_body)
    return make_error("too-large", fmt::format("the body is larger than {} bytes", k_max_body));
  std::map<std::string, std::string> out;
  if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error("bad-request", "the body must be a JSON object");
    for (const auto& [k, x] : v.as_object()) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
        return make_error("bad-request",
                          fmt::format("unknown key '{}'", std::string_view(k).substr(0, 40)));
      if (!x.is_string())
        return make_error("bad-request", fmt::format("'{}' must be a string", std::string_view(k)));
      out[std::string(k)] = std::string(x.get_string());
    }
  }
  for (auto k : required)
    if (!out.count(std::string(k)))
      return make_error("bad-request", fmt::format("'{}' is required", k));
  return out;
}

namespace {

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

/// A building is known from buildings.csv, or from any household or device in it.
bool building_known(const registry::registry& reg, const std::string& b) {
  if (reg.find_building(b)) return true;
  const auto& t = reg.all();
  return std::any_of(t.households.begin(), t.households.end(),
                     [&](const auto& h) { return h.building == b; }) ||
         std::any_of(t.devices.begin(), t.devices.end(),
                     [&](const auto& d) { return d.building == b; });
}

json::object silence_json(const alerts::silence& s) {
  json::object o, scope;
  scope[alerts::scope_name(s.kind)] = s.target;
  o["id"] = s.id;
  o["scope"] = std::move(scope);
  o["created_at"] = format_rfc3339(s.created_at);
  o["until"] = format_rfc3339(s.until);
  o["reason"] = s.reason;
  o["author"] = s.author;
  return o;
}
}  // namespace

routes::routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
               std::function<health()> health_probe)
    : routes(book, st, tel, p, std::move(health_probe), options{}) {}

routes::routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
               std::function<health()> health_probe, options o)
    : book_(book),
      store_(st),
      telemetry_(tel),
      pipeline_(p),
      health_(std::move(health_probe)),
      options_(std::move(o)),
      guard_(options_.login_limits) {}

routes::~routes() {
  if (hasher_) hasher_->join();
}

void routes::set_executor(boost::asio::any_io_executor ex) {
  executor_ = std::move(ex);
  if (!hasher_) hasher_ = std::make_unique<boost::asio::thread_pool>(1);
}

response routes::handle(const request& r) {
  const auto& p = r.path;
  if (p == "/healthz") {
    if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
    const auto h = health_();
    json::object o;
    const bool ok = h.store_ok;  // a broker outage degrades, it does not make hearthd unhealthy
    o["status"] = ok ? (h.mqtt_connected ? "ok" : "degraded") : "failing";
    o["mqtt_connected"] = h.mqtt_connected;
    o["store_ok"] = h.store_ok;
    if (!h.detail.empty()) o["detail"] = h.detail;
    auto res = json_ok(o);
    if (!ok) res.status = 503;
    return res;
  }
  if (p == "/metrics") return metrics(r);
  if (!p.starts_with("/api/")) return console_file(r);
  if (!p.starts_with("/api/v1/")) return json_error(404, "not-found", "no such resource");
  const std::string_view rest = std::string_view(p).substr(8);
  if (rest == "login") {
    if (r.method != "POST") return json_error(405, "method-not-allowed", "use POST");
    return login(r);
  }
  // The catalogue is open: the login screen needs its words before anyone logs in.
  if (rest == "messages" || rest.starts_with("messages/"))
    return messages_response(*messages_, r, rest, locale_);
  auto who = authenticate(r);
  if (!who) return error_response(who.err());
  // The cookie is SameSite=Strict; a changing request that carries it must also come from
  // this origin when the browser says where it comes from (defence in depth against CSRF).
  if (who->kind == "session" && (r.method != "GET" || rest == "stream")) {
    auto origin = r.headers.find("origin");
    auto host = r.headers.find("host");
    if (origin != r.headers.end() && host != r.headers.end() &&
        origin->second != "http://" + host->second && origin->second != "https://" + host->second)
      return json_error(403, "forbidden", "cross-origin requests are refused");
  }
  return api(r, *who, rest);
}

response routes::api(const request& r, const auth::principal& who, std::string_view rest) {
  using auth::allowed;
  using auth::permission;
  if (rest == "logout") {
    if (r.method != "POST") return json_error(405, "method-not-allowed", "use POST");
    return logout(who);
  }
  if (rest == "me") {
    if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
    return me(who);
  }
  if (rest == "stream") return stream(r, who);
  if (rest.starts_with("alerts/") && r.method == "POST") {
    const auto tail = rest.substr(7);
    const auto slash = tail.find('/');
    if (slash == std::string_view::npos) return json_error(405, "method-not-allowed", "use GET");
    return alert_action(std::string(tail.substr(0, slash)), tail.substr(slash + 1), r, who);
  }
  if (rest == "silences") {
    if (r.method == "POST") {
      if (!allowed(who.role, permission::manage_silences)) return forbidden("create silences");
      return silence_create(r, who);
    }
    if (r.method == "GET") {
      if (!allowed(who.role, permission::read_silences)) return forbidden("see silences");
      return silences_list();
    }
    return json_error(405, "method-not-allowed", "use GET or POST");
  }
  if (rest.starts_with("silences/")) {
    if (r.method != "DELETE") return json_error(405, "method-not-allowed", "use DELETE");
    if (!allowed(who.role, permission::manage_silences)) return forbidden("end silences");
    return silence_delete(std::string(rest.substr(9)), who);
  }
  if (rest.starts_with("residents/") && rest.ends_with("/away")) {
    if (r.method != "POST") return json_error(405, "method-not-allowed", "use POST");
    if (!allowed(who.role, permission::set_away)) return forbidden("set a resident away");
    return resident_away(std::string(rest.substr(10, rest.size() - 10 - 5)), r, who);
  }
  if (r.method != "GET")
    return json_error(405, "method-not-allowed", "this resource is read-only here");
  if (rest == "alerts") return alerts_list(r, who);
  if (rest.starts_with("alerts/")) {
    if (auto bad = check_query(r, {})) return *bad;
    return alert_one(std::string(rest.substr(7)), who);
  }
  if (rest == "residents") {
    if (!allowed(who.role, permission::list_residents)) return forbidden("list residents");
    return residents_list(who);
  }
  if (rest.starts_with("residents/")) {
    if (!allowed(who.role, permission::read_personal_data))
      return forbidden("see residents' personal data");
    return resident_one(std::string(rest.substr(10)), who);
  }
  if (rest.starts_with("households/")) {
    if (!allowed(who.role, permission::read_personal_data))
      return forbidden("see residents' personal data");
    return household_one(std::string(rest.substr(11)), who);
  }
  if (rest == "users") {
    if (!allowed(who.role, permission::manage_users)) return forbidden("list users");
    return users_list();
  }
  if (rest == "devices" || rest.starts_with("devices/") || rest == "quarantine") {
    if (!allowed(who.role, permission::read_devices)) return forbidden("see devices");
    if (rest == "quarantine") return quarantine(r);
    if (rest == "devices/unknown") return unknown_devices();
    if (rest == "devices") return devices();
    if (rest.starts_with("devices/") && rest.ends_with("/readings")) {
      const auto id = rest.substr(8, rest.size() - 8 - 9);
      return device_readings(std::string(id), r);
    }
  }
  return json_error(404, "not-found", "no such resource");
}

// --- authentication ---------------------------------------------------------------------

result<auth::principal> routes::authenticate(const request& r) {
  std::string token;
  if (auto it = r.headers.find("authorization"); it != r.headers.end()) {
    const std::string_view v = it->second;
    if (v.size() < 8 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer "))
      return make_error("unauthenticated", "use Authorization: Bearer <token>");
    token = std::string(v.substr(7));
  } else {
    token = cookie_value(r, k_cookie);
  }
  if (token.empty())
    return make_error("unauthenticated", "log in, or send Authorization: Bearer <token>");
  if (token.size() > 256) return make_error("unauthenticated", "the token is not valid");
  const auto now = book_.now();
  auto t = auth::find_token(store_.db(), auth::token_hash(token), now);
  if (!t) return make_error("unauthenticated", "the token is unknown or has expired; log in again");
  auto u = auth::find_user(store_.db(), t->user);
  if (!u) return make_error("unauthenticated", "the token's user no longer exists");
  return auth::principal{u->name, u->role, t->hash, t->kind, t->expires_at};
}

response routes::login(const request& r) {
  if (r.body.size() > k_max_login_body)
    return json_error(413, "too-large", "the body is too large");
  auto body = parse_body(r, {"user", "password"}, {"user", "password"});
  if (!body) return error_response(body.err());
  const auto user = get(*body, "user");
  const auto password = get(*body, "password");
  if (!auth::valid_user_name(user) || password.empty() || password.size() > k_max_password)
    return json_error(401, "bad-credentials", "wrong user name or password");
  const auto now = book_.now();
  if (auto until = guard_.locked_until(user, r.remote, now)) {
    auto res =
        json_error(429, "too-many-attempts", "too many failed logins; wait a minute and try again");
    const auto secs = std::chrono::ceil<std::chrono::seconds>(*until - now).count();
    res.headers["Retry-After"] = std::to_string(std::max<long long>(1, secs));
    return res;
  }
  const auto u = auth::find_user(store_.db(), user);
  std::string stored =
      u && !u->password_hash.empty() ? u->password_hash : std::string(k_dummy_hash);
  const bool has_password = u && !u->password_hash.empty();
  const auto remote = r.remote;
  if (!executor_) {
    const bool ok = auth::verify_password(password, stored) && has_password;
    return finish_login(user, remote, ok);
  }
  if (pending_logins_ >= k_max_pending_logins)
    return json_error(503, "busy", "too many logins at once; try again");
  ++pending_logins_;
  response res;
  res.deferred = [this, user, remote, password, stored, has_password](responder done) {
    boost::asio::post(*hasher_, [this, user, remote, password, stored, has_password,
                                 done = std::move(done)]() mutable {
      bool ok = false;
      try {
        ok = auth::verify_password(password, stored) && has_password;
      } catch (const std::exception&) {
        ok = false;
      }
      boost::asio::post(*executor_, [this, user, remote, ok, done = std::move(done)]() noexcept {
        --pending_logins_;
        try {
          done(finish_login(user, remote, ok));
        } catch (const std::exception& e) {
          fmt::print(stderr, "hearthd: login failed: {}\n", e.what());
          done(json_error(500, "internal", "the login failed; see the daemon log"));
        }
      });
    });
  };
  return res;
}

response routes::finish_login(const std::string& user, const std::string& remote, bool ok) {
  const auto now = book_.now();
  if (!ok) {
    guard_.failed(user, remote, now);
    book_.journal({now, user, "login-failed", "", "user:" + user, "", "api"});
    pipeline_.record({});
    return json_error(401, "bad-credentials", "wrong user name or password");
  }
  guard_.succeeded(user);
  const auto u = auth::find_user(store_.db(), user);
  if (!u) return json_error(401, "bad-credentials", "wrong user name or password");
  auth::delete_expired_tokens(store_.db(), now);
  const auto token = auth::new_token();
  const auto expires = now + options_.session_ttl;
  auth::add_token(store_.db(), {auth::token_hash(token), user, "session", now, expires});
  book_.journal({now, user, "login", "", "user:" + user, "", "api"});
  pipeline_.record({});
  json::object o;
  o["token"] = token;
  o["user"] = user;
  o["role"] = auth::role_name(u->role);
  o["expires_at"] = format_rfc3339(expires);
  auto res = json_ok(o);
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(options_.session_ttl).count();
  res.headers["Set-Cookie"] =
      fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", k_cookie, token, max_age);
  return res;
}

response routes::logout(const auth::principal& p) {
  auth::delete_token(store_.db(), p.token_hash);
  for (auto& s : subscribers_)
    if (s.who.token_hash == p.token_hash)
      if (auto peer = s.peer.lock()) peer->close();
  book_.journal({book_.now(), p.user, "logout", "", "user:" + p.user, "", "api"});
  pipeline_.record({});
  response res{204, "application/json", "", {}, {}, {}};
  res.headers["Set-Cookie"] =
      fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", k_cookie);
  return res;
}

response routes::me(const auth::principal& p) {
  json::object o;
  o["user"] = p.user;
  o["role"] = auth::role_name(p.role);
  o["expires_at"] = p.expires_at ? json::value(format_rfc3339(*p.expires_at)) : nullptr;
  return json_ok(o);
}

response routes::metrics(const request& r) {
  if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
  if (!is_loopback(r.remote)) {
    auto who = authenticate(r);
    if (!who) return error_response(who.err());
    if (!auth::allowed(who->role, auth::permission::read_metrics)) return forbidden("read metrics");
  }
  return {200, "text/plain; version=0.0.4", telemetry_.render(), {}, {}, {}};
}

response routes::console_file(const request& r) {
  static const std::map<std::string, std::string, std::less<>> k_files = {
      {"/", "index.html"},
      {"/index.html", "index.html"},
      {"/app.js", "app.js"},
      {"/style.css", "style.css"},
  };
  auto it = k_files.find(r.path);
  if (it == k_files.end() || options_.console_dir.empty())
    return json_error(404, "not-found", "no such resource");
  if (r.method != "GET" && r.method != "HEAD")
    return json_error(405, "method-not-allowed", "use GET");
  std::ifstream in(std::filesystem::path(options_.console_dir) / it->second, std::ios::binary);
  if (!in) return json_error(404, "not-found", "the console files are not installed");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto& f = it->second;
  response res{200,
               f.ends_with(".html") ? "text/html; charset=utf-8"
               : f.ends_with(".js") ? "text/javascript; charset=utf-8"
                                    : "text/css; charset=utf-8",
               ss.str(),
               {},
               {},
               {}};
  res.headers["Content-Security-Policy"] = std::string(k_console_csp);
  return res;
}

// --- the live stream ----------------------------------------------------------------------

response routes::stream(const request& r, const auth::principal& p) {
  if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
  if (!auth::allowed(p.role, auth::permission::read_alerts)) return forbidden("see alerts");
  if (!r.websocket_upgrade)
    return json_error(426, "upgrade-required", "open /api/v1/stream as a WebSocket");
  response res{101, "application/json", "", {}, {}, {}};
  res.upgrade = [this, p](std::shared_ptr<ws_peer> peer) {
    std::erase_if(subscribers_, [](const subscriber& s) {
      auto l = s.peer.lock();
      return !l || !l->is_open();
    });
    json::object hello, h;
    h["user"] = p.user;
    h["role"] = auth::role_name(p.role);
    hello["hello"] = std::move(h);
    peer->send(json::serialize(hello));
    subscribers_.push_back({peer, p});
  };
  return res;
}

std::size_t routes::subscribers() {
  std::erase_if(subscribers_, [](const subscriber& s) {
    auto l = s.peer.lock();
    return !l || !l->is_open();
  });
  return subscribers_.size();
}

void routes::on_transition(const alerts::transition& t) {
  if (subscribers_.empty()) return;
  const auto now = book_.now();
  std::string text;
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto peer = it->peer.lock();
    if (!peer || !peer->is_open()) {
      it = subscribers_.erase(it);
      continue;
    }
    if (it->who.expires_at && *it->who.expires_at <= now) {  // the session ended
      peer->close();
      it = subscribers_.erase(it);
      continue;
    }
    if (auth::alert_in_scope(it->who, pipeline_.devices(), t.after)) {
      if (text.empty()) {
        auto o = alert_view(t.after);
        o["transition"] = alerts::transition_name(t.what);
        o["action"] = t.action;
        text = json::serialize(o);
      }
      peer->send(text);
    }
    ++it;
  }
}

// --- alerts --------------------------------------------------------------------------------

response routes::alerts_list(const request& r, const auth::principal& who) {
  if (auto bad = check_query(r, {"state", "priority", "building"})) return *bad;
  alerts::queue_filter f;
  if (auto it = r.query.find("state"); it != r.query.end() && !it->second.empty()) {
    f.state = alerts::state_from_name(it->second);
    if (!f.state)
      return json_error(400, "bad-request", "state must be open, acknowledged or resolved");
  }
  if (auto it = r.query.find("priority"); it != r.query.end() && !it->second.empty()) {
    int pr = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), pr);
    if (ec != std::errc{} || ptr != it->second.data() + it->second.size() || pr < 1 || pr > 4)
      return json_error(400, "bad-request", "priority must be 1 to 4");
    f.priority = pr;
  }
  if (auto it = r.query.find("building"); it != r.query.end() && !it->second.empty())
    f.building = it->second;
  std::vector<alerts::alert> list;
  if (f.state == alerts::state::resolved) {
    for (auto& a : store_.load_alerts(alerts::state::resolved))
      if ((!f.priority || a.priority == *f.priority) &&
          (!f.building || a.subject.building == *f.building))
        list.push_back(std::move(a));
  } else {
    list = book_.queue(f);
  }
  const auto& reg = pipeline_.devices();
  json::array arr;
  for (const auto& a : list)
    if (auth::alert_in_scope(who, reg, a)) arr.push_back(alert_view(a));
  json::object o;
  o["alerts"] = std::move(arr);
  return json_ok(o);
}

std::optional<alerts::alert> routes::visible_alert(const std::string& id,
                                                   const auth::principal& p) {
  std::optional<alerts::alert> a;
  if (const auto* known = book_.find(id))
    a = *known;
  else
    a = store::load_alert(store_.db(), id);
  if (!a || !auth::alert_in_scope(p, pipeline_.devices(), *a)) return std::nullopt;
  return a;
}

response routes::alert_one(const std::string& id, const auth::principal& who) {
  auto a = visible_alert(id, who);
  if (!a) return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
  auto v = alert_view(*a);
  v["timeline"] = store::timeline_json(store::audit_for_alert(store_.db(), a->id));
  if (auth::allowed(who.role, auth::permission::read_personal_data)) {
    // The call sheet: who, where, whom to call. Each resident shown is an audited read.
    const auto& reg = pipeline_.devices();
    const auto aways = book_.aways();
    json::array residents;
    std::vector<std::string> shown;
    for (const auto& rid : a->subject.resident_ids) {
      const auto* r = reg.find_resident(rid);
      if (!r || !auth::resident_in_scope(who, *r)) continue;
      auto aw = std::find_if(aways.begin(), aways.end(),
                             [&](const auto& x) { return x.resident_id == rid; });
      residents.push_back(resident_json(*r, reg, aw == aways.end() ? nullptr : &*aw));
      shown.push_back(rid);
    }
    v["residents"] = std::move(residents);
    const auto* h = reg.find_household(a->subject.household_id);
    v["household"] = h && auth::household_in_scope(who, reg, h->id)
                         ? json::value(household_json(*h))
                         : json::value(nullptr);
    audit_reads(who.user, shown);
  }
  return json_ok(v);
}

void routes::audit_read(const std::string& actor, const std::string& resident_id,
                        const std::string& channel) {
  book_.journal(
      {book_.now(), actor, "read-personal-data", "", "resident:" + resident_id, "", channel});
  pipeline_.record({});
}

void routes::audit_reads(const std::string& actor, const std::vector<std::string>& resident_ids) {
  if (resident_ids.empty()) return;
  const auto now = book_.now();
  for (const auto& id : resident_ids)
    book_.journal({now, actor, "read-personal-data", "", "resident:" + id, "", "api"});
  pipeline_.record({});
}

void routes::recall(const std::string& id) {
  if (book_.find(id)) return;
  if (auto a = store::load_alert(store_.db(), id); a && a->state == alerts::state::resolved)
    book_.remember(*a);
}

response routes::alert_action(const std::string& id, std::string_view action, const request& r,
                              const auth::principal& who) {
  if (!visible_alert(id, who))
    return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
  if (!auth::allowed(who.role, auth::permission::act_on_alerts)) return forbidden("act on alerts");
  const std::string& actor = who.user;
  recall(id);
  const std::string channel = "api";
  result<std::vector<alerts::transition>> done = std::vector<alerts::transition>{};
  if (action == "claim" || action == "escalate") {
    auto body = parse_body(r, {"note"}, {});
    if (!body) return error_response(body.err());
    done = action == "claim" ? book_.claim(id, actor, get(*body, "note"), channel)
                             : book_.escalate(id, actor, get(*body, "note"), channel);
  } else if (action == "notes") {
    auto body = parse_body(r, {"text"}, {"text"});
    if (!body) return error_response(body.err());
    if (auto st = book_.add_note(id, actor, get(*body, "text"), channel); !st)
      return error_response(st.err());
  } else if (action == "resolve") {
    auto body = parse_body(r, {"outcome", "note"}, {"outcome"});
    if (!body) return error_response(body.err());
    done = book_.resolve(id, get(*body, "outcome"), actor, get(*body, "note"), channel);
  } else {
    return json_error(404, "not-found", "no such action; use claim, notes, escalate or resolve");
  }
  if (!done) return error_response(done.err());
  pipeline_.record(*done);
  return alert_one(id, who);
}

response routes::silences_list() {
  json::array arr;
  for (const auto& s : book_.silences())
    arr.push_back(silence_json(s));
  json::object o;
  o["silences"] = std::move(arr);
  return json_ok(o);
}

response routes::silence_create(const request& r, const auth::principal& who) {
  const std::string* actor = &who.user;
  if (r.body.size() > k_max_body) return json_error(413, "too-large", "the body is too large");
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return json_error(400, "bad-request", "the body must be a JSON object");
  alerts::silence s;
  s.author = *actor;
  bool have_scope = false, have_until = false, have_reason = false;
  for (const auto& [k, x] : v.as_object()) {
    if (k == "scope") {
      if (!x.is_object() || x.as_object().size() != 1)
        return json_error(400, "bad-request",
                          "'scope' must have exactly one of device_id, household_id, building");
      const auto& [sk, sv] = *x.as_object().begin();
      if (!sv.is_string() || sv.get_string().empty())
        return json_error(400, "bad-request", "the scope value must be a non-empty string");
      if (sk == "device_id")
        s.kind = alerts::silence::scope::device;
      else if (sk == "household_id")
        s.kind = alerts::silence::scope::household;
      else if (sk == "building")
        s.kind = alerts::silence::scope::building;
      else
        return json_error(400, "bad-request",
                          "'scope' must have exactly one of device_id, household_id, building");
      s.target = std::string(sv.get_string());
      have_scope = true;
    } else if (k == "until") {
      auto t = x.is_string() ? parse_rfc3339(x.get_string()) : std::nullopt;
      if (!t) return json_error(400, "bad-request", "'until' must be an RFC 3339 time");
      s.until = *t;
      have_until = true;
    } else if (k == "reason") {
      if (!x.is_string()) return json_error(400, "bad-request", "'reason' must be a string");
      s.reason = std::string(x.get_string());
      have_reason = true;
    } else {
      return json_error(400, "bad-request",
                        fmt::format("unknown key '{}'", std::string_view(k).substr(0, 40)));
    }
  }
  if (!have_scope || !have_until || !have_reason)
    return json_error(400, "bad-request", "'scope', 'until' and 'reason' are required");
  const auto& reg = pipeline_.devices();
  const bool known = s.kind == alerts::silence::scope::device ? reg.find_device(s.target) != nullptr
                     : s.kind == alerts::silence::scope::household
                         ? reg.find_household(s.target) != nullptr
                         : building_known(reg, s.target);
  if (!known)
    return json_error(
        404, "not-found",
        fmt::format("no {} '{}'", alerts::scope_name(s.kind), s.target.substr(0, 40)));
  auto made = book_.add_silence(std::move(s), "api");
  if (!made) return error_response(made.err());
  store::save_silence(store_.db(), *made);
  pipeline_.record({});
  auto res = json_ok(silence_json(*made));
  res.status = 201;
  return res;
}

response routes::silence_delete(const std::string& id, const auth::principal& who) {
  const std::string* actor = &who.user;
  if (auto st = book_.remove_silence(id, *actor, "api"); !st) return error_response(st.err());
  store::delete_silence(store_.db(), id, *actor, book_.now());
  pipeline_.record({});
  return {204, "application/json", "", {}, {}, {}};
}

response routes::resident_away(const std::string& id, const request& r,
                               const auth::principal& who) {
  const std::string* actor = &who.user;
  const auto* res = pipeline_.devices().find_resident(id);
  if (!res || !auth::resident_in_scope(who, *res))
    return json_error(404, "not-found", "no such resident");
  auto body = parse_body(r, {"until", "reason"}, {"until", "reason"});
  if (!body) return error_response(body.err());
  auto until = parse_rfc3339(get(*body, "until"));
  if (!until) return json_error(400, "bad-request", "'until' must be an RFC 3339 time");
  auto set = book_.set_away({id, {}, *until, get(*body, "reason"), *actor}, "api");
  if (!set) return error_response(set.err());
  store::save_away(store_.db(), *set);
  pipeline_.set_away(*set);
  pipeline_.record({});
  json::object o;
  o["resident_id"] = set->resident_id;
  o["since"] = format_rfc3339(set->since);
  o["until"] = format_rfc3339(set->until);
  o["reason"] = set->reason;
  o["author"] = set->author;
  return json_ok(o);
}

namespace {
/// The newest alerts (any state) about a resident or a household, newest first.
json::array recent_alerts(store::connection& db, const std::string& resident_id,
                          const std::string& household_id, std::size_t limit = 20) {
  // A cheap text prefilter in SQL, then an exact check on the parsed subject.
  auto st = db.prepare(
      "SELECT body FROM alerts WHERE instr(body, ?1) > 0 OR instr(body, ?2) > 0 "
      "ORDER BY opened_at DESC, id DESC LIMIT 200");
  st.bind(1, "\"" + (resident_id.empty() ? std::string("\x01") : resident_id) + "\"");
  st.bind(2, "\"" + (household_id.empty() ? std::string("\x01") : household_id) + "\"");
  json::array out;
  while (st.step() && out.size() < limit) {
    boost::system::error_code ec;
    auto v = json::parse(st.text(0), ec);
    if (ec) continue;
    auto a = alerts::alert_from_json(v);
    if (!a) continue;
    const auto& ids = a->subject.resident_ids;
    const bool about =
        (!resident_id.empty() && std::find(ids.begin(), ids.end(), resident_id) != ids.end()) ||
        (!household_id.empty() && a->subject.household_id == household_id);
    if (about) out.push_back(alert_brief(*a));
  }
  return out;
}

const alerts::away* away_of(const std::vector<alerts::away>& aways, std::string_view id,
                            time_point now) {
  for (const auto& a : aways)
    if (a.resident_id == id && a.until > now) return &a;
  return nullptr;
}
}  // namespace

response routes::residents_list(const auth::principal& who) {
  const auto& reg = pipeline_.devices();
  const auto aways = book_.aways();
  const auto now = book_.now();
  json::array arr;
  std::vector<std::string> shown;
  for (const auto& r : reg.all().residents) {
    if (!auth::resident_in_scope(who, r)) continue;
    arr.push_back(resident_json(r, reg, away_of(aways, r.id, now)));
    shown.emplace_back(r.id);
  }
  audit_reads(who.user, shown);
  json::object o;
  o["residents"] = std::move(arr);
  return json_ok(o);
}

response routes::resident_one(const std::string& id, const auth::principal& who) {
  const auto& reg = pipeline_.devices();
  const auto* r = reg.find_resident(id);
  if (!r || !auth::resident_in_scope(who, *r))
    return json_error(404, "not-found", "no such resident");
  const auto aways = book_.aways();
  auto o = resident_json(*r, reg, away_of(aways, r->id, book_.now()));
  o["recent_alerts"] = recent_alerts(store_.db(), std::string(r->id), {});
  audit_reads(who.user, {std::string(r->id)});
  return json_ok(o);
}

response routes::household_one(const std::string& id, const auth::principal& who) {
  const auto& reg = pipeline_.devices();
  const auto* h = reg.find_household(id);
  if (!h || !auth::household_in_scope(who, reg, id))
    return json_error(404, "not-found", "no such household");
  const auto aways = book_.aways();
  const auto now = book_.now();
  auto o = household_json(*h);
  json::array residents;
  std::vector<std::string> shown;
  for (const auto* r : reg.residents_of(id)) {
    if (!auth::resident_in_scope(who, *r)) continue;
    residents.push_back(resident_json(*r, reg, away_of(aways, r->id, now)));
    shown.emplace_back(r->id);
  }
  o["residents"] = std::move(residents);
  json::array devs;
  for (const auto& d : reg.all().devices)
    if (d.household_id == id) {
      json::object x;
      x["device_id"] = d.id;
      x["type"] = d.type;
      x["location"] = d.location;
      devs.push_back(std::move(x));
    }
  o["devices"] = std::move(devs);
  o["recent_alerts"] = recent_alerts(store_.db(), {}, id);
  audit_reads(who.user, shown);
  return json_ok(o);
}

response routes::users_list() {
  json::array arr;
  for (const auto& u : auth::list_users(store_.db())) {
    json::object o;
    o["name"] = u.name;
    o["role"] = auth::role_name(u.role);
    o["created_at"] = format_rfc3339(u.created_at);
    arr.push_back(std::move(o));
  }
  json::object o;
  o["users"] = std::move(arr);
  return json_ok(o);
}

response routes::quarantine(const request& r) {
  if (auto bad = check_query(r, {"limit"})) return *bad;
  std::size_t limit = 100;
  if (auto it = r.query.find("limit"); it != r.query.end()) {
    const auto& v = it->second;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc{} || ptr != v.data() + v.size() || limit < 1 || limit > 1000)
      return json_error(400, "bad-request", "limit must be 1 to 1000");
  }
  json::array arr;
  for (const auto& q : store_.quarantine(limit)) {
    json::object o;
    o["received_at"] = format_rfc3339(q.received_at);
    o["topic"] = q.topic;
    o["reason"] = q.reason;
    o["detail"] = q.detail;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["quarantine"] = std::move(arr);
  return json_ok(o);
}

response routes::unknown_devices() {
  json::array arr;
  for (const auto& u : store_.unknown_devices()) {
    json::object o;
    o["external_id"] = u.external_id;
    o["last_topic"] = u.last_topic;
    o["first_seen"] = format_rfc3339(u.first_seen);
    o["last_seen"] = format_rfc3339(u.last_seen);
    o["count"] = u.count;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["devices"] = std::move(arr);
  return json_ok(o);
}

response routes::devices() {
  json::array arr;
  for (const auto& d : pipeline_.devices().all().devices) {
    json::object o;
    o["device_id"] = d.id;
    o["external_id"] = d.external_id;
    o["type"] = d.type;
    o["household_id"] = d.household_id.empty() ? json::value(nullptr) : json::value(d.household_id);
    o["building"] = d.building;
    o["location"] = d.location;
    arr.push_back(std::move(o));
  }
  json::object o;
  o["devices"] = std::move(arr);
  return json_ok(o);
}

response routes::device_readings(const std::string& id, const request& r) {
  if (auto bad = check_query(r, {"since", "until"})) return *bad;
  if (!pipeline_.devices().find_device(id)) return json_error(404, "not-found", "no such device");
  time_point since{}, until = time_point::max();
  if (auto it = r.query.find("since"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "since must be an RFC 3339 time");
    since = *t;
  }
  if (auto it = r.query.find("until"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "until must be an RFC 3339 time");
    until = *t;
  }
  json::array arr;
  for (const auto& rd : store_.readings(id, since, until)) {
    json::object o;
    o["metric"] = name(rd.metric);
    if (info(rd.metric).boolean)
      o["value"] = rd.value != 0;
    else
      o["value"] = rd.value;
    o["unit"] = info(rd.metric).unit;
    o["ts"] = format_rfc3339(rd.ts);
    arr.push_back(std::move(o));
  }
  json::object o;
  o["device_id"] = id;
  o["readings"] = std::move(arr);
  return json_ok(o);
}

}  // namespace hearth::api
