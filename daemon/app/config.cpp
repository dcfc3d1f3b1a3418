// SPDX-License-Identifier: Apache-2.0
#include "app/config.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "api/forwarded.hpp"
#include "base/time.hpp"
#include "base/yaml_reader.hpp"
#include "i18n/locale.hpp"
#include "store/audit_head.hpp"

namespace hearth::app {
namespace fs = std::filesystem;

namespace {
std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p == ":memory:" || fs::path(p).is_absolute()) return p;
  if (p.starts_with("postgresql://") || p.starts_with("postgres://")) return p;  // a URI
  return (fs::path(base_dir) / p).lexically_normal().string();
}
/// "next working day" or "next working day 09:30": the P4 default; otherwise a duration.
std::optional<alerts::response_target> parse_target(const std::string& text) {
  constexpr std::string_view k_next = "next working day";
  if (text.starts_with(k_next)) {
    std::string_view rest = std::string_view(text).substr(k_next.size());
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    alerts::response_target t;
    if (rest.empty()) return t;
    int h = 0, m = 0;
    if (rest.size() != 5 || rest[2] != ':' ||
        std::from_chars(rest.data(), rest.data() + 2, h).ec != std::errc{} ||
        std::from_chars(rest.data() + 3, rest.data() + 5, m).ec != std::errc{} || h > 23 || m > 59)
      return std::nullopt;
    t.next_working_day_at = std::chrono::minutes(h * 60 + m);
    return t;
  }
  auto d = parse_duration(text);
  if (!d || d->count() <= 0) return std::nullopt;
  return alerts::response_target{*d};
}

void parse_escalation(const YAML::Node& n, const std::string& file, diagnostics& out, config& c) {
  yaml_map e(n, file, out, "escalation");
  if (!e.valid()) return;
  constexpr const char* k_priorities[] = {"p1", "p2", "p3", "p4"};
  if (const auto claim = e.get("claim"); claim.IsDefined()) {
    yaml_map m(claim, file, out, "escalation.claim");
    for (std::size_t i = 0; m.valid() && i < 4; ++i) {
      auto v = m.string(k_priorities[i], false);
      if (!v) continue;
      if (auto t = parse_target(*v))
        c.escalation.claim[i] = *t;
      else
        m.error(
            m.get(k_priorities[i]),
            fmt::format(
                "'{}' must be a duration like 60s or 4h, or \"next working day 09:00\", not '{}'",
                k_priorities[i], *v));
    }
    m.finish();
  }
  if (const auto resolve = e.get("resolve"); resolve.IsDefined()) {
    yaml_map m(resolve, file, out, "escalation.resolve");
    for (std::size_t i = 0; m.valid() && i < 4; ++i)
      if (auto d = m.duration_value(k_priorities[i], false)) c.escalation.resolve[i] = *d;
    m.finish();
  }
  e.finish();
}

/// `sla: { p1: [{within: 60s, share: 97.5}, ...], p2: [{share: 95}] }`
void parse_sla(const YAML::Node& n, const std::string& file, diagnostics& out, config& c) {
  yaml_map m(n, file, out, "sla");
  if (!m.valid()) return;
  constexpr const char* k_priorities[] = {"p1", "p2", "p3", "p4"};
  for (int p = 1; p <= 4; ++p) {
    const auto list = m.get(k_priorities[p - 1]);
    if (!list.IsDefined()) continue;
    if (!list.IsSequence() || list.size() == 0) {
      m.error(list, fmt::format("'{}' must be a list of {{within, share}}", k_priorities[p - 1]));
      continue;
    }
    std::erase_if(c.desk.figures, [&](const auto& f) { return f.priority == p; });
    for (const auto& item : list) {
      yaml_map f(item, file, out, "sla target");
      if (!f.valid()) continue;
      reports::sla_figure fig{p, std::nullopt, 95};
      if (auto w = f.duration_value("within", false)) {
        if (*w <= duration{0} || *w > std::chrono::days(7))
          f.error(f.get("within"), "'within' must be more than 0 and at most 7d");
        fig.within = *w;
      }
      if (auto s = f.number("share", true)) {
        if (!(*s > 0 && *s <= 100))
          f.error(f.get("share"), "'share' must be a percentage, 0 < share <= 100");
        fig.share = *s;
      }
      f.finish();
      c.desk.figures.push_back(fig);
    }
  }
  m.finish();
  std::stable_sort(c.desk.figures.begin(), c.desk.figures.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });
}

/// `shifts: ["08:00", "16:00", "00:00"]`: local start times.
void parse_shifts(const YAML::Node& n, const std::string& file, diagnostics& out, config& c) {
  if (!n.IsSequence() || n.size() == 0 || n.size() > 24) {
    out.push_back(
        {file, line_of(n), "'shifts' must be a list of 1 to 24 local start times like \"08:00\""});
    return;
  }
  c.desk.shifts.clear();
  for (const auto& item : n) {
    auto s = scalar_string(item, file, out, "a shift start");
    if (!s) continue;
    int h = -1, mi = -1;
    char colon = 0;
    std::istringstream in(*s);
    in >> h >> colon >> mi;
    if (!in || !in.eof() || colon != ':' || s->size() != 5 || h < 0 || h > 23 || mi < 0 ||
        mi > 59) {
      out.push_back(
          {file, line_of(item), fmt::format("a shift start must be HH:MM, not '{}'", *s)});
      continue;
    }
    c.desk.shifts.push_back(std::chrono::hours(h) + std::chrono::minutes(mi));
  }
  std::sort(c.desk.shifts.begin(), c.desk.shifts.end());
  if (std::adjacent_find(c.desk.shifts.begin(), c.desk.shifts.end()) != c.desk.shifts.end())
    out.push_back({file, line_of(n), "'shifts' names the same start twice"});
}

void parse_webhooks(const YAML::Node& n, const std::string& file, diagnostics& out, config& c) {
  if (!n.IsSequence()) {
    out.push_back({file, line_of(n), "'webhooks' must be a list of {url, timeout}"});
    return;
  }
  for (const auto& item : n) {
    yaml_map w(item, file, out, "webhook");
    if (!w.valid()) continue;
    webhook_config h;
    if (auto u = w.string("url", true)) {
      if (!u->starts_with("http://") || u->size() <= 7)
        w.error(w.get("url"),
                fmt::format(
                    "'url' must start with http:// (use a reverse proxy for https), not '{}'", *u));
      h.url = *u;
    }
    if (auto t = w.duration_value("timeout", false)) h.timeout = *t;
    if (auto a = w.integer("max_attempts", false)) {
      if (*a < 1 || *a > 100) w.error(w.get("max_attempts"), "'max_attempts' must be 1..100");
      h.max_attempts = static_cast<int>(*a);
    }
    if (auto b = w.duration_value("backoff", false)) h.backoff = *b;
    w.finish();
    c.webhooks.push_back(std::move(h));
  }
}

}  // namespace

std::optional<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  return line;
}

std::optional<std::string> read_audit_key(const config& c, std::string& why) {
  if (c.audit.key_file.empty()) return std::string();
  auto key = read_secret_file(c.audit.key_file);
  if (!key) {
    why = fmt::format("cannot read audit.key_file {}", c.audit.key_file);
    return std::nullopt;
  }
  if (key->size() < store::k_min_head_key) {
    why = fmt::format(
        "audit.key_file {} holds {} bytes; an HMAC key needs at least {} (for "
        "example the output of `openssl rand -hex 32`)",
        c.audit.key_file, key->size(), store::k_min_head_key);
    return std::nullopt;
  }
  return key;
}

std::string config::default_console_dir() {
  std::error_code ec;
  const fs::path dev = HEARTH_SOURCE_DIR "/daemon/console";
  if (fs::is_regular_file(dev / "index.html", ec)) return dev.string();
  return "/usr/share/hearth/console";
}

std::string config::default_messages_dir() {
  std::error_code ec;
  const std::string dev = HEARTH_SOURCE_DIR "/messages";
  if (fs::is_directory(dev, ec)) return dev;
  return "/usr/share/hearth/messages";
}

std::optional<std::pair<std::string, unsigned short>> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  const auto* b = listen.data() + colon + 1;
  const auto* e = listen.data() + listen.size();
  auto [p, ec] = std::from_chars(b, e, port);
  if (ec != std::errc{} || p != e || port > 65535) return std::nullopt;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host, static_cast<unsigned short>(port));
}

std::optional<config> parse_config(const std::string& text, const std::string& file,
                                   diagnostics& out) {
  const auto before = out.size();
  auto root = load_yaml_text(text, file, out);
  if (!root) return std::nullopt;
  yaml_map doc(*root, file, out, "config");
  if (!doc.valid()) return std::nullopt;
  config c;
  c.file = file;
  const auto base = fs::absolute(fs::path(file)).parent_path().string();
  if (auto tz = doc.string("timezone", false)) {
    try {
      date::locate_zone(*tz);
      c.timezone = *tz;
    } catch (const std::exception&) {
      doc.error(doc.get("timezone"), fmt::format("unknown IANA time zone '{}'", *tz));
    }
  }
  if (auto d = doc.string("database", true)) c.database = resolve(base, *d);
  if (auto d = doc.string("devices_dir", true)) c.devices_dir = resolve(base, *d);
  if (auto d = doc.string("rules_dir", true)) c.rules_dir = resolve(base, *d);
  if (auto d = doc.string("registry_dir", false)) c.registry_dir = resolve(base, *d);
  if (auto d = doc.string("console_dir", false)) c.console_dir = resolve(base, *d);
  if (auto d = doc.string("messages_dir", false)) c.messages_dir = resolve(base, *d);
  if (auto l = doc.string("locale", false)) {
    if (auto loc = i18n::locale_from_tag(*l); loc && *loc == *l) {
      c.locale = *l;
    } else {
      std::string known;
      for (auto k : i18n::k_locales)
        known += (known.empty() ? "" : " or ") + std::string(k);
      doc.error(doc.get("locale"), fmt::format("'locale' must be {}, not '{}'", known, *l));
    }
  }
  if (const auto n = doc.get("mqtt"); n.IsDefined()) {
    yaml_map m(n, file, out, "mqtt");
    if (auto u = m.string("uri", false)) {
      if (!u->starts_with("tcp://") && !u->starts_with("ssl://") && !u->starts_with("mqtt://") &&
          !u->starts_with("mqtts://"))
        m.error(
            m.get("uri"),
            fmt::format("'uri' must start with tcp://, ssl://, mqtt:// or mqtts://, not '{}'", *u));
      c.mqtt.uri = *u;
    }
    if (auto id = m.string("client_id", false)) c.mqtt.client_id = *id;
    if (auto u = m.string("username", false)) c.mqtt.username = *u;
    for (auto [key, dest] :
         {std::pair{"password_file", &c.mqtt.password_file}, std::pair{"ca_file", &c.mqtt.ca_file},
          std::pair{"cert_file", &c.mqtt.cert_file}, std::pair{"key_file", &c.mqtt.key_file}}) {
      auto v = m.string(key, false);
      if (!v) continue;
      *dest = resolve(base, *v);
      std::ifstream probe(*dest, std::ios::binary);
      if (!fs::is_regular_file(*dest) || !probe)
        m.error(m.get(key), fmt::format("'{}' cannot be read: {}", key, *dest));
    }
    if (m.has("password"))
      m.error(m.get("password"),
              "a password is never written in the config: put it in a file (mode 0600) and "
              "name that file in 'password_file'");
    if (!c.mqtt.password_file.empty() && c.mqtt.username.empty())
      m.error(m.get("password_file"), "'password_file' needs 'username'");
    if (c.mqtt.cert_file.empty() != c.mqtt.key_file.empty())
      m.error(m.get(c.mqtt.cert_file.empty() ? "key_file" : "cert_file"),
              "'cert_file' and 'key_file' go together");
    const bool tls = c.mqtt.uri.starts_with("ssl://") || c.mqtt.uri.starts_with("mqtts://");
    if (!tls)
      for (const char* key : {"ca_file", "cert_file", "key_file"})
        if (m.has(key))
          m.error(m.get(key), fmt::format("'{}' needs an ssl:// or mqtts:// 'uri'", key));
    m.finish();
  }
  if (const auto n = doc.get("ingest"); n.IsDefined()) {
    yaml_map g(n, file, out, "ingest");
    for (auto [key, dest] :
         {std::pair{"bulk_queue_messages", &c.ingest.bulk_queue_messages},
          std::pair{"bulk_queue_bytes", &c.ingest.bulk_queue_bytes},
          std::pair{"priority_queue_messages", &c.ingest.priority_queue_messages},
          std::pair{"store_backlog", &c.ingest.store_backlog},
          std::pair{"priority_session_topics", &c.ingest.priority_session_topics},
          std::pair{"unknown_devices_max", &c.ingest.unknown_devices_max}}) {
      auto v = g.integer(key, false);
      if (!v) continue;
      if (*v < 1 || *v > (1LL << 40))
        g.error(g.get(key), fmt::format("'{}' must be a positive number", key));
      else
        *dest = static_cast<std::size_t>(*v);
    }
    if (auto b = g.boolean("priority_session", false)) c.ingest.priority_session = *b;
    g.finish();
  }
  if (const auto n = doc.get("http"); n.IsDefined()) {
    yaml_map h(n, file, out, "http");
    if (auto l = h.string("listen", false)) {
      if (!split_listen(*l))
        h.error(h.get("listen"), fmt::format("'listen' must be host:port, not '{}'", *l));
      c.http.listen = *l;
    }
    for (auto [key, dest, least] :
         {std::tuple{"max_connections", &c.http.max_connections, 1LL},
          std::tuple{"max_connections_per_address", &c.http.max_connections_per_address, 1LL},
          std::tuple{"max_response_bytes", &c.http.max_response_bytes, 1LL << 20}}) {
      auto v = h.integer(key, false);
      if (!v) continue;
      if (*v < least || *v > (1LL << 40))
        h.error(h.get(key), fmt::format("'{}' must be a number from {}", key, least));
      else
        *dest = static_cast<std::size_t>(*v);
    }
    for (auto [key, dest] : {std::pair{"header_timeout", &c.http.header_timeout},
                             std::pair{"body_timeout", &c.http.body_timeout},
                             std::pair{"write_timeout", &c.http.write_timeout}}) {
      auto d = h.duration_value(key, false);
      if (!d) continue;
      if (d->count() <= 0 || *d > std::chrono::hours(1))
        h.error(h.get(key), fmt::format("'{}' must be more than 0 and at most 1h", key));
      else
        *dest = *d;
    }
    if (auto t = h.strings("trusted_proxies", false)) {
      if (auto set = api::address_set::parse(*t); !set)
        h.error(h.get("trusted_proxies"), fmt::format("'trusted_proxies': {}", set.err().message));
      c.http.trusted_proxies = *t;
    }
    if (auto b = h.boolean("secure_cookie", false)) c.http.secure_cookie = *b;
    h.finish();
  }
  if (const auto n = doc.get("escalation"); n.IsDefined()) parse_escalation(n, file, out, c);
  if (const auto n = doc.get("webhooks"); n.IsDefined()) parse_webhooks(n, file, out, c);
  if (const auto n = doc.get("audit"); n.IsDefined()) {
    yaml_map a(n, file, out, "audit");
    if (auto k = a.string("key_file", false)) {
      c.audit.key_file = resolve(base, *k);
      std::ifstream probe(c.audit.key_file, std::ios::binary);
      if (!fs::is_regular_file(c.audit.key_file) || !probe)
        a.error(a.get("key_file"), fmt::format("'key_file' cannot be read: {}", c.audit.key_file));
    }
    a.finish();
  }
  if (const auto n = doc.get("sla"); n.IsDefined()) parse_sla(n, file, out, c);
  if (const auto n = doc.get("shifts"); n.IsDefined()) parse_shifts(n, file, out, c);
  if (auto r = doc.duration_value("retention", false)) {
    if (*r < std::chrono::days(1) || *r > std::chrono::days(36'500))
      doc.error(doc.get("retention"), "'retention' must be between 1d and 36500d");
    c.retention = *r;
  }
  if (const auto n = doc.get("ha"); n.IsDefined()) {
    yaml_map h(n, file, out, "ha");
    ha_config ha;
    if (auto node = h.string("node", true)) {
      const bool ok = !node->empty() && node->size() <= 64 &&
                      std::all_of(node->begin(), node->end(), [](char ch) {
                        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                               ch == '_' || ch == '.';
                      });
      if (!ok) h.error(h.get("node"), "'node' is 1-64 letters, digits, '-', '_' or '.'");
      ha.node = *node;
    }
    if (auto l = h.duration_value("lease", false)) {
      if (*l < std::chrono::seconds(2) || *l > std::chrono::seconds(60))
        h.error(h.get("lease"), "'lease' must be between 2s and 60s");
      ha.lease = *l;
    }
    h.finish();
    if (!c.database.starts_with("postgresql://") && !c.database.starts_with("postgres://"))
      doc.error(n, "'ha' needs a shared PostgreSQL 'database' (postgresql://...), not a file");
    c.ha = std::move(ha);
  }
  c.escalation.timezone = c.timezone;
  doc.finish();
  for (const auto* dir :
       {&c.devices_dir, &c.rules_dir, &c.registry_dir, &c.console_dir, &c.messages_dir}) {
    if (dir->empty()) continue;
    // Only a console_dir that was asked for must exist; the default may be missing (the
    // API works without the console).
    if (dir == &c.console_dir && !doc.get("console_dir").IsDefined()) continue;
    if (dir == &c.messages_dir && !doc.get("messages_dir").IsDefined()) continue;
    std::error_code ec;
    if (!fs::is_directory(*dir, ec)) {
      const char* key = dir == &c.devices_dir    ? "devices_dir"
                        : dir == &c.rules_dir    ? "rules_dir"
                        : dir == &c.console_dir  ? "console_dir"
                        : dir == &c.messages_dir ? "messages_dir"
                                                 : "registry_dir";
      doc.error(doc.get(key), fmt::format("'{}' is not a folder: {}", key, *dir));
    }
  }
  // SQLite creates the file, not its folder: a missing folder would otherwise surface as
  // "unable to open database file" at start (under systemd, StateDirectory= makes it).
  if (!c.database.empty() && c.database != ":memory:" &&
      c.database.find("://") == std::string::npos) {
    const auto folder = fs::path(c.database).parent_path();
    std::error_code ec;
    if (!folder.empty() && !fs::is_directory(folder, ec))
      doc.error(doc.get("database"),
                fmt::format("the folder of 'database' does not exist: {} (create it, or under "
                            "systemd let StateDirectory= make it)",
                            folder.string()));
  }
  if (out.size() != before) return std::nullopt;
  return c;
}

std::optional<config> load_config(const std::string& file, diagnostics& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    out.push_back({file, 0, "cannot open config file"});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file, out);
}

}  // namespace hearth::app
