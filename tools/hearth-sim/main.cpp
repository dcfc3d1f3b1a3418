// SPDX-License-Identifier: Apache-2.0
// hearth-sim: publishes captures through a real broker (and, as it grows, simulates a
// whole community). `hearth-sim publish --uri tcp://127.0.0.1:1883 CAPTURE.jsonl`
#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "base/time.hpp"
#include "normalize/normalizer.hpp"

namespace {
using namespace hearth;

struct capture_line {
  time_point ts;
  std::string topic, payload;
};

std::vector<capture_line> read_capture(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file);
  std::vector<capture_line> out;
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
    capture_line c;
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

int publish(const std::string& uri, const std::string& file, int qos, double speed) {
  const auto lines = read_capture(file);
  mqtt::async_client client(uri, fmt::format("hearth-sim-{}", ::getpid()));
  client.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (speed > 0 && i > 0) {
      // Real-time or accelerated playback keeps the capture's spacing, scaled.
      const auto offset = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          (lines[i].ts - lines[0].ts) / speed);
      std::this_thread::sleep_until(start + offset);
    }
    client.publish(mqtt::make_message(lines[i].topic, lines[i].payload, qos, false))->wait();
  }
  client.disconnect()->wait();
  fmt::print("published {} messages from {}\n", lines.size(), file);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hearth-sim: community simulator and capture publisher"};
  app.require_subcommand(1);
  auto* pub = app.add_subcommand("publish", "publish a capture (JSON lines) through a broker");
  std::string uri = "tcp://127.0.0.1:1883", file;
  int qos = 1;
  double speed = 0;
  pub->add_option("--uri", uri, "broker URI");
  pub->add_option("--qos", qos, "0 or 1")->check(CLI::Range(0, 1));
  pub->add_option("--speed", speed, "0: as fast as possible; 1: real time; 60: a minute a second");
  pub->add_option("capture", file, "capture file")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*pub) return publish(uri, file, qos, speed);
  } catch (const std::exception& e) {
    fmt::print(stderr, "hearth-sim: {}\n", e.what());
    return 1;
  }
  return 0;
}
