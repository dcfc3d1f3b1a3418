// SPDX-License-Identifier: Apache-2.0
#include "app/replay.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <tuple>

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

/// What a replay runs on: the definitions (rules from `rules_dir`) and the registry.
struct replay_setup {
  config cfg;
  definitions defs;
  registry::registry reg;
};

/// Loads the config's definitions (with `rules_dir` instead of the config's, when given)
/// and the registry. Diagnostics go to `err`; nullopt when anything is wrong.
std::optional<replay_setup> setup(const std::string& config_file, const std::string& rules_dir,
                                  std::ostream& err) {
  diagnostics diags;
  auto cfg = load_config(config_file, diags);
  if (cfg && !rules_dir.empty()) {
    if (!std::filesystem::is_directory(rules_dir))
      diags.push_back({rules_dir, 0, "not a folder of rules"});
    cfg->rules_dir = rules_dir;
  }
  if (!cfg || !diags.empty()) {
    for (const auto& d : diags)
      fmt::print(err, "{}\n", d.text());
    return std::nullopt;
  }
  replay_setup s{*cfg, load_definitions(*cfg, diags), {}};
  if (diags.empty()) {
    if (!cfg->registry_dir.empty()) {
      registry::tables parsed;
      if (auto merged =
              check_registry_import(registry_files(cfg->registry_dir), registry::registry{},
                                    s.defs.types.get(), parsed, diags))
        s.reg = std::move(*merged);
    } else if (cfg->database != ":memory:" && std::filesystem::exists(cfg->database)) {
      s.reg = store::store(cfg->database).load_registry();
    }
  }
  if (!diags.empty()) {
    for (const auto& d : diags)
      fmt::print(err, "{}\n", d.text());
    return std::nullopt;
  }
  return s;
}

/// The capture's readable lines; unreadable ones are reported on `err` and skipped.
std::optional<std::vector<capture_line>> read_capture(const std::string& capture_file,
                                                      std::ostream& err) {
  std::ifstream in(capture_file, std::ios::binary);
  if (!in) {
    fmt::print(err, "{}: cannot open capture\n", capture_file);
    return std::nullopt;
  }
  std::vector<capture_line> lines;
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
    lines.push_back(std::move(*line));
  }
  return lines;
}

/// Runs the live pipeline over `lines` and hands every published transition to `sink`.
void replay_lines(const replay_setup& s, const std::vector<capture_line>& lines,
                  const std::function<void(const alerts::transition&)>& sink) {
  store::store st(":memory:");
  manual_clock clk;
  telemetry tel;
  engine::engine eng(s.defs.rules, clk, s.cfg.timezone);
  eng.set_messages(s.defs.messages, s.cfg.locale);  // replay speaks the config's language
  // Replay judges the rules, dedup and auto-resolve exactly as live mode does; escalation
  // is left out, because nobody claims anything in a replay.
  alerts::book book(clk, 0);
  book.set_rule_policies(rule_policies(s.defs.rules));
  pipeline pipe(clk, tel, &st, nullptr, eng, book);
  pipe.set_catalog(s.defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(s.reg));
  pipe.on_transition(sink);
  // Time-driven rules (no-data, `for:`, inactivity) fire at their own deadlines: the clock
  // steps to each one between two lines, as the live daemon's 1-second tick would reach
  // it, so that a sparse capture does not show them hours late at the next line.
  auto advance_to = [&](time_point to) {
    pipe.tick(clk.now());
    for (std::size_t guard = 0; guard < 10'000'000; ++guard) {
      const auto due = eng.next_due();
      if (due <= clk.now() || due > to) break;
      clk.set(due);
      pipe.tick(due);
      pipe.record(book.publish_repeats(due));
    }
    if (to > clk.now()) clk.set(to);
    pipe.tick(clk.now());
    pipe.record(book.publish_repeats(clk.now()));
  };
  bool first = true;
  for (const auto& line : lines) {
    if (first) clk.set(line.ts);  // the capture's first moment is replay's start
    first = false;
    if (line.ts >= clk.now())
      advance_to(line.ts);
    else
      clk.set(line.ts);  // a line out of order: its own time, as before
    pipe.on_message(line.topic, line.payload, line.ts);
  }
}

}  // namespace

int run_replay(const std::string& config_file, const std::string& capture_file, std::ostream& out,
               std::ostream& err) {
  auto s = setup(config_file, {}, err);
  if (!s) return k_exit_config;
  auto lines = read_capture(capture_file, err);
  if (!lines) return 1;
  replay_lines(*s, *lines, [&](const alerts::transition& t) {
    auto o = alerts::to_json(t.after).as_object();
    o["transition"] = alerts::transition_name(t.what);
    out << json::serialize(o) << '\n';
  });
  out.flush();
  return 0;
}

int run_replay_compare(const std::string& config_file, const std::string& other_rules,
                       const std::string& capture_file, std::ostream& out, std::ostream& err) {
  auto a = setup(config_file, {}, err);
  auto b = setup(config_file, other_rules, err);
  if (!a || !b) return k_exit_config;
  auto lines = read_capture(capture_file, err);
  if (!lines) return 1;
  // An alert is the same in both runs when the same rule opened it for the same subject at
  // the same moment; one that opens at another time is shown on both sides.
  using opened_key = std::tuple<std::string, time_point>;
  auto run = [&](const replay_setup& s) {
    std::map<opened_key, alerts::alert> opened;
    replay_lines(s, *lines, [&](const alerts::transition& t) {
      if (t.what == alerts::transition::kind::opened)
        opened.emplace(opened_key{t.after.key, t.after.opened_at}, t.after);
    });
    return opened;
  };
  const auto in_a = run(*a), in_b = run(*b);
  std::size_t both = 0, only_a = 0, only_b = 0;
  std::vector<std::pair<const alerts::alert*, const std::string*>> diff;
  for (const auto& [k, v] : in_a)
    if (in_b.count(k))
      ++both;
    else
      diff.emplace_back(&v, &a->cfg.rules_dir), ++only_a;
  for (const auto& [k, v] : in_b)
    if (!in_a.count(k)) diff.emplace_back(&v, &b->cfg.rules_dir), ++only_b;
  std::stable_sort(diff.begin(), diff.end(), [](const auto& x, const auto& y) {
    return std::tie(x.first->opened_at, x.first->key) < std::tie(y.first->opened_at, y.first->key);
  });
  for (const auto& [alert, dir] : diff) {
    auto o = alerts::to_json(*alert).as_object();
    o["only_in"] = *dir;
    out << json::serialize(o) << '\n';
  }
  out.flush();
  fmt::print(err, "replay compare: {} alerts opened by both, {} only by {}, {} only by {}\n", both,
             only_a, a->cfg.rules_dir, only_b, b->cfg.rules_dir);
  return 0;
}

}  // namespace hearth::app
