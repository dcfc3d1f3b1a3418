// SPDX-License-Identifier: Apache-2.0
#include "app/replay.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"

namespace hearth::app {
namespace json = boost::json;

namespace {

struct capture_line {
  time_point ts;
  std::string topic, payload;
};

/// Parses `{"ts","topic","payload"}` or `{"ts","topic","payload_b64"}`.
result<capture_line> parse_line(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error("malformed-json", "not a JSON object");
  const auto& o = v.get_object();
  const auto* ts = o.if_contains("ts");
  const auto* topic = o.if_contains("topic");
  if (!ts || !ts->is_string()) return make_error("missing-field", "no 'ts' string");
  if (!topic || !topic->is_string()) return make_error("missing-field", "no 'topic' string");
  auto t = parse_rfc3339(ts->get_string());
  if (!t) return make_error("bad-timestamp", "'ts' is not an RFC 3339 time");
  capture_line line{*t, std::string(topic->get_string()), {}};
  if (const auto* p = o.if_contains("payload"); p && p->is_string()) {
    line.payload = p->get_string();
  } else if (const auto* b = o.if_contains("payload_b64"); b && b->is_string()) {
    auto bytes = normalize::base64_decode(b->get_string());
    if (!bytes) return make_error("bad-frame", "'payload_b64' is not base64");
    line.payload = std::move(*bytes);
  } else {
    return make_error("missing-field", "no 'payload' or 'payload_b64' string");
  }
  return line;
}

}  // namespace

int run_replay(const std::string& config_file, const std::string& capture_file, std::ostream& out,
               std::ostream& err) {
  diagnostics diags;
  auto cfg = load_config(config_file, diags);
  if (!cfg) {
    for (const auto& d : diags)
      fmt::print(err, "{}\n", d.text());
    return k_exit_config;
  }
  auto defs = load_definitions(*cfg, diags);
  registry::registry reg;
  if (diags.empty()) {
    if (!cfg->registry_dir.empty()) {
      registry::tables parsed;
      if (auto merged =
              check_registry_import(registry_files(cfg->registry_dir), registry::registry{},
                                    defs.types.get(), parsed, diags))
        reg = std::move(*merged);
    } else if (cfg->database != ":memory:" && std::filesystem::exists(cfg->database)) {
      reg = registry::registry(store::store(cfg->database).load_registry());
    }
  }
  if (!diags.empty()) {
    for (const auto& d : diags)
      fmt::print(err, "{}\n", d.text());
    return k_exit_config;
  }
  std::ifstream in(capture_file, std::ios::binary);
  if (!in) {
    fmt::print(err, "{}: cannot open capture\n", capture_file);
    return 1;
  }

  store::store st(":memory:");
  manual_clock clk;
  telemetry tel;
  engine::engine eng(defs.rules, clk, cfg->timezone);
  // Replay judges the rules, dedup and auto-resolve exactly as live mode does; escalation
  // is left out, because nobody claims anything in a replay.
  alerts::book book(clk, 0);
  book.set_rule_policies(rule_policies(defs.rules));
  pipeline pipe(clk, tel, &st, nullptr, eng, book);
  pipe.set_catalog(defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(std::move(reg)));
  pipe.on_transition([&](const alerts::transition& t) {
    auto o = alerts::to_json(t.after).as_object();
    o["transition"] = alerts::transition_name(t.what);
    out << json::serialize(o) << '\n';
  });

  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (text.empty() || text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto line = parse_line(text);
    if (!line) {
      fmt::print(err, "{}:{}: {}\n", capture_file, n, line.err().message);
      continue;
    }
    clk.set(line->ts);
    pipe.tick(clk.now());  // deadlines that fall before this message fire before it
    pipe.on_message(line->topic, line->payload, line->ts);
  }
  out.flush();
  return 0;
}

}  // namespace hearth::app
