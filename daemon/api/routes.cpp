// SPDX-License-Identifier: Apache-2.0
#include "api/routes.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "api/forwarded.hpp"
#include "api/messages.hpp"
#include "api/resources.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {
constexpr std::string_view k_console_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
}  // namespace

routes::routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
               std::function<health()> health_probe)
    : routes(book, st, tel, p, std::move(health_probe), options{}) {}

routes::routes(alerts::book& book, store::store& st, telemetry& tel, app::pipeline& p,
               std::function<health()> health_probe, options o)
    : context_{book, st, tel, p, o.desk},
      health_(std::move(health_probe)),
      options_(std::move(o)),
      streams_(context_),
      sessions_(context_, streams_, work_,
                {options_.session_ttl, options_.login_limits, options_.timezone,
                 options_.secure_cookie}) {
  context_.work = &work_;
  context_.close_streams = [this](std::string_view user) { streams_.close_user(user); };
  table_.add(sessions_.routes());
  table_.add(streams_.routes());
  table_.add(alert_routes(context_));
  table_.add(resident_routes(context_));
  table_.add(device_routes(context_));
  table_.add(silence_routes(context_));
  table_.add(user_routes(context_));
  table_.add(report_routes(context_));
}

void routes::set_executor(boost::asio::any_io_executor ex) {
  work_.set_executor(std::move(ex));
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
    if (!h.role.empty()) o["role"] = h.role;
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
    return sessions_.login(r);
  }
  // The catalogue is open: the login screen needs its words before anyone logs in.
  if (rest == "messages" || rest.starts_with("messages/"))
    return messages_response(*context_.words, r, rest, context_.locale);
  auto who = sessions_.authenticate(r);
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
  return table_.dispatch(r, *who, rest);
}

void routes::on_transition(const alerts::transition& t) {
  streams_.on_transition(t);
}

void routes::revalidate_streams() {
  streams_.revalidate();
}

std::size_t routes::subscribers() {
  return streams_.subscribers();
}

void routes::audit_read(const std::string& actor, const std::string& resident_id,
                        const std::string& channel) {
  context_.audit_reads(actor, {resident_id}, channel);
}

response routes::metrics(const request& r) {
  if (r.method != "GET") return json_error(405, "method-not-allowed", "use GET");
  if (!is_loopback(r.remote)) {
    auto who = sessions_.authenticate(r);
    if (!who) return error_response(who.err());
    if (!auth::allowed(who->role, auth::permission::read_metrics)) return forbidden("read metrics");
  }
  return {200, "text/plain; version=0.0.4", context_.tel.render(), {}, {}, {}};
}

namespace {
/// A console file name: lower-case letters, digits, '-' and '_', then .html, .js or .css.
/// Nothing else is served from the folder (no dot files, no sub-folders, no "..").
bool console_name(std::string_view n) {
  const auto dot = n.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const auto ext = n.substr(dot);
  if (ext != ".html" && ext != ".js" && ext != ".css") return false;
  return std::all_of(n.begin(), n.begin() + static_cast<std::ptrdiff_t>(dot), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

/// Kept libraries the console loads, by URL: the first file that exists is served (a
/// copy in the console folder's lib/, else the Debian package's).
const std::map<std::string, std::vector<std::string>, std::less<>>& console_libraries() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> k{
      {"/lib/chart.js", {"lib/chart.min.js", "/usr/share/javascript/chart.js/chart.min.js"}},
  };
  return k;
}
}  // namespace

response routes::console_file(const request& r) {
  if (r.method != "GET" && r.method != "HEAD")
    return json_error(405, "method-not-allowed", "use GET");
  if (options_.console_dir.empty()) return json_error(404, "not-found", "no such resource");
  namespace fs = std::filesystem;
  std::string name;
  fs::path file;
  if (auto lib = console_libraries().find(r.path); lib != console_libraries().end()) {
    for (const auto& candidate : lib->second) {
      const fs::path p = fs::path(candidate).is_absolute()
                             ? fs::path(candidate)
                             : fs::path(options_.console_dir) / candidate;
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) {
        file = p;
        break;
      }
    }
    name = r.path;
    if (file.empty())
      return json_error(404, "not-found",
                        "the chart library is not installed (Debian: apt install libjs-chart.js)");
  } else {
    name = r.path == "/" ? std::string("index.html") : r.path.substr(1);
    if (!console_name(name)) return json_error(404, "not-found", "no such resource");
    file = fs::path(options_.console_dir) / name;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return json_error(404, "not-found", "no such console file");
  std::stringstream ss;
  ss << in.rdbuf();
  response res{200,
               name.ends_with(".html") ? "text/html; charset=utf-8"
               : name.ends_with(".js") ? "text/javascript; charset=utf-8"
                                       : "text/css; charset=utf-8",
               ss.str(),
               {},
               {},
               {}};
  res.headers["Content-Security-Policy"] = std::string(k_console_csp);
  return res;
}

}  // namespace hearth::api
