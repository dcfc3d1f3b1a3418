// SPDX-License-Identifier: Apache-2.0
#include "app/config.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/yaml_reader.hpp"

namespace hearth::app {
namespace fs = std::filesystem;

namespace {
std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p == ":memory:" || fs::path(p).is_absolute()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}
}  // namespace

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
    m.finish();
  }
  if (const auto n = doc.get("http"); n.IsDefined()) {
    yaml_map h(n, file, out, "http");
    if (auto l = h.string("listen", false)) {
      if (!split_listen(*l))
        h.error(h.get("listen"), fmt::format("'listen' must be host:port, not '{}'", *l));
      c.http.listen = *l;
    }
    h.finish();
  }
  doc.finish();
  for (const auto* dir : {&c.devices_dir, &c.rules_dir, &c.registry_dir}) {
    if (dir->empty()) continue;
    std::error_code ec;
    if (!fs::is_directory(*dir, ec)) {
      const char* key = dir == &c.devices_dir ? "devices_dir"
                        : dir == &c.rules_dir ? "rules_dir"
                                              : "registry_dir";
      doc.error(doc.get(key), fmt::format("'{}' is not a folder: {}", key, *dir));
    }
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
