// SPDX-License-Identifier: Apache-2.0
// hearth-sim: the community simulator and load generator (tools/hearth-sim/README.md).
//   hearth-sim generate --households 2000 --days 1 --seed 7 --out DIR
//   hearth-sim run --uri tcp://127.0.0.1:1883 --households 2000 --speed 60 --out DIR
//   hearth-sim publish --uri tcp://127.0.0.1:1883 [--speed 60] CAPTURE.jsonl
//   hearth-sim month --households 2000 --days 30 --warmup 7     (issue 12's false-alert figure)
#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <deque>
#include <fstream>
#include <thread>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "base/time.hpp"
#include "community.hpp"
#include "month.hpp"
#include "normalize/normalizer.hpp"
#include "traffic.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

std::vector<sim::message> read_capture(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file);
  std::vector<sim::message> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object())
      throw std::runtime_error(fmt::format("{}:{}: not a JSON object", file, n));
    const auto& o = v.as_object();
    sim::message c;
    const auto* ts = o.if_contains("ts");
    const auto* topic = o.if_contains("topic");
    if (!ts || !ts->is_string() || !parse_rfc3339(ts->as_string()))
      throw std::runtime_error(fmt::format("{}:{}: 'ts' must be an RFC 3339 time", file, n));
    if (!topic || !topic->is_string())
      throw std::runtime_error(fmt::format("{}:{}: 'topic' is missing", file, n));
    c.ts = *parse_rfc3339(ts->as_string());
    c.topic = topic->as_string();
    if (const auto* p = o.if_contains("payload"); p && p->is_string()) {
      c.payload = p->as_string();
    } else if (const auto* b = o.if_contains("payload_b64"); b && b->is_string()) {
      auto bytes = normalize::base64_decode(b->as_string());
      if (!bytes)
        throw std::runtime_error(fmt::format("{}:{}: 'payload_b64' is not base64", file, n));
      c.payload = *bytes;
    } else {
      throw std::runtime_error(fmt::format("{}:{}: needs 'payload' or 'payload_b64'", file, n));
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// Publishes in capture order. speed 0: as fast as the broker takes them (a window of
/// unacknowledged QoS 1 messages); otherwise the capture's spacing divided by `speed`.
int publish(const std::string& uri, const std::vector<sim::message>& lines, int qos, double speed) {
  // Paho counts every publish not yet written to the socket against max_buffered_messages
  // (default 100), connected or not: the window below needs more room than that.
  mqtt::async_client client(uri, fmt::format("hearth-sim-{}", ::getpid()),
                            mqtt::create_options(MQTTVERSION_3_1_1, 4096));
  client.connect(mqtt::connect_options_builder().clean_session(true).max_inflight(1024).finalize())
      ->wait();
  const auto start = std::chrono::steady_clock::now();
  std::deque<mqtt::delivery_token_ptr> window;
  std::size_t sent = 0;
  auto last_report = start;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (speed > 0 && i > 0) {
      const auto offset = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          (lines[i].ts - lines[0].ts) / speed);
      std::this_thread::sleep_until(start + offset);
    }
    window.push_back(
        client.publish(mqtt::make_message(lines[i].topic, lines[i].payload, qos, false)));
    ++sent;
    while (window.size() > (speed > 0 ? 16u : 512u)) {
      window.front()->wait();
      window.pop_front();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report > 10s) {
      last_report = now;
      fmt::print(stderr, "hearth-sim: {} of {} published; simulated time {}\n", sent, lines.size(),
                 format_rfc3339(lines[i].ts));
    }
  }
  for (auto& t : window)
    t->wait();
  client.disconnect()->wait();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("published {} messages in {:.1f} s ({:.0f}/s)\n", sent, secs,
             secs > 0 ? static_cast<double>(sent) / secs : 0.0);
  return 0;
}

struct sim_args {
  int households = 2000;
  int first_building = 1;
  double days = 1;
  std::uint64_t seed = 7;
  std::string start;  ///< RFC 3339, or "now"
  bool no_incidents = false;
  bool no_bridge = false;
  double incident_rate = 1;
  double death_rate = 0;
  std::string out;
};

void add_sim_options(CLI::App* cmd, sim_args& a) {
  cmd->add_option("--households", a.households, "households in the community")
      ->check(CLI::Range(1, 2'000'000));
  cmd->add_option("--first-building", a.first_building,
                  "number of the first building (B1 by default); start past another "
                  "registry's buildings so that no id is given twice")
      ->check(CLI::Range(1, 100'000));
  cmd->add_flag("--no-bridge", a.no_bridge,
                "register no Zigbee2MQTT bridge: the community shares another registry's "
                "bridge on zigbee2mqtt/bridge (the demo's sample bridge-b3)");
  cmd->add_option("--days", a.days, "simulated days (fractions allowed)")
      ->check(CLI::Range(0.0, 366.0));
  cmd->add_option("--seed", a.seed, "random seed: the same seed gives byte-identical output");
  cmd->add_option("--start", a.start,
                  "RFC 3339 start of the simulated period, or 'now' "
                  "(generate: 2026-11-20T00:00:00+08:00)");
  cmd->add_flag("--no-incidents", a.no_incidents, "ordinary traffic only");
  cmd->add_option("--incident-rate", a.incident_rate, "multiplies the incident counts")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--deaths", a.death_rate,
                  "devices that really die, per 2,000 households per day (default 0)")
      ->check(CLI::Range(0.0, 1000.0));
}

time_point resolve_start(const std::string& s, time_point fallback) {
  if (s.empty()) return fallback;
  if (s == "now") return std::chrono::floor<std::chrono::seconds>(wall_clock{}.now());
  auto t = parse_rfc3339(s);
  if (!t) throw std::runtime_error("--start must be an RFC 3339 time or 'now'");
  return *t;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

/// Writes DIR/registry/*.csv, DIR/capture.jsonl, DIR/incidents.json, DIR/community.json.
sim::traffic generate(const sim_args& a, time_point start, bool write_capture) {
  const auto c = sim::make_community({a.households, a.seed, a.first_building, !a.no_bridge});
  sim::traffic_options to;
  to.start = start;
  to.days = a.days;
  to.incidents = !a.no_incidents;
  to.incident_rate = a.incident_rate;
  to.death_rate = a.death_rate;
  auto t = sim::make_traffic(c, to);
  if (!a.out.empty()) {
    const std::filesystem::path dir(a.out);
    sim::write_registry(c, dir / "registry");
    write_text(dir / "incidents.json", sim::incidents_json(t.incidents));
    write_text(dir / "community.json", sim::community_json(c));
    if (write_capture) {
      std::ofstream out(dir / "capture.jsonl", std::ios::binary);
      for (const auto& m : t.messages)
        out << sim::capture_line(m) << '\n';
      if (!out) throw std::runtime_error("cannot write " + (dir / "capture.jsonl").string());
    }
  }
  fmt::print(stderr,
             "hearth-sim: {} households, {} residents, {} devices, {} buildings; {} messages "
             "from {} over {} days; {} incidents{}\n",
             c.households.size(), c.residents.size(), c.devices.size(), c.buildings.size(),
             t.messages.size(), format_rfc3339(start), a.days, t.incidents.size(),
             a.out.empty() ? "" : "; written to " + a.out);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hearth-sim: community simulator and load generator"};
  app.require_subcommand(1);

  sim_args gen_args;
  auto* gen = app.add_subcommand(
      "generate", "write a community's registry CSVs, capture (JSONL) and incident list");
  add_sim_options(gen, gen_args);
  gen->add_option("--out", gen_args.out, "output folder")->required();

  sim_args run_args;
  std::string uri = "tcp://127.0.0.1:1883";
  int qos = 1;
  double speed = 1;
  auto* run = app.add_subcommand(
      "run", "simulate a community live through a broker (registry and incidents to --out)");
  add_sim_options(run, run_args);
  run->add_option("--out", run_args.out, "where to write the registry and incident list");
  run->add_option("--uri", uri, "broker URI");
  run->add_option("--qos", qos, "0 or 1")->check(CLI::Range(0, 1));
  run->add_option("--speed", speed, "1: real time; 60: a minute a second; 0: as fast as possible")
      ->check(CLI::Range(0.0, 1e9));

  std::string file;
  double pub_speed = 0;
  int pub_qos = 1;
  auto* pub = app.add_subcommand("publish", "publish a capture (JSON lines) through a broker");
  pub->add_option("--uri", uri, "broker URI");
  pub->add_option("--qos", pub_qos, "0 or 1")->check(CLI::Range(0, 1));
  pub->add_option("--speed", pub_speed,
                  "0: as fast as possible; 1: real time; 60: a minute a second");
  pub->add_option("capture", file, "capture file")->required();

  sim::month_options month_opts;
  app::config defs_dirs;
  defs_dirs.devices_dir = HEARTH_SOURCE_DIR "/devices";
  defs_dirs.rules_dir = HEARTH_SOURCE_DIR "/rules";
  auto* month = app.add_subcommand(
      "month", "run a simulated month through hearth's rules and report the false-alert share");
  month->add_option("--households", month_opts.households)->check(CLI::Range(1, 200'000));
  month->add_option("--days", month_opts.days, "measured days")->check(CLI::Range(1, 366));
  month->add_option("--warmup", month_opts.warmup_days, "days run before the measured ones")
      ->check(CLI::Range(0, 366));
  month->add_option("--seed", month_opts.seed);
  month->add_option("--deaths", month_opts.death_rate,
                    "devices that really die, per 2,000 households per day");
  month->add_option("--devices", defs_dirs.devices_dir, "device types folder");
  month->add_option("--rules", defs_dirs.rules_dir, "rules folder");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*gen) {
      generate(gen_args, resolve_start(gen_args.start, *parse_rfc3339("2026-11-20T00:00:00+08:00")),
               true);
      return 0;
    }
    if (*run) {
      // Real time starts now. Faster runs end now instead, so that no payload carries a time
      // in the future (hearthd refuses event times more than 5 minutes ahead).
      const auto now = std::chrono::floor<std::chrono::seconds>(wall_clock{}.now());
      const auto fallback =
          speed == 1 ? now
                     : now - std::chrono::duration_cast<duration>(
                                 std::chrono::duration<double, std::ratio<86400>>(run_args.days));
      const auto t = generate(run_args, resolve_start(run_args.start, fallback), false);
      return publish(uri, t.messages, qos, speed);
    }
    if (*pub) return publish(uri, read_capture(file), pub_qos, pub_speed);
    if (*month) {
      diagnostics d;
      const auto defs = app::load_definitions(defs_dirs, d);
      for (const auto& x : d)
        fmt::print(stderr, "{}\n", x.text());
      if (!d.empty()) return 78;
      const auto r = sim::run_month(month_opts, defs);
      fmt::print("{}", sim::describe(month_opts, r));
      return r.false_share() < 0.01 && r.missed.empty() ? 0 : 1;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "hearth-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
