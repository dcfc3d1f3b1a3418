// SPDX-License-Identifier: Apache-2.0
// Figure 5: RSS and start-up time of hearthd with 10 k, 100 k and 1 M registered devices,
// after each device has reported (so that per-device state exists), and bytes per device.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <set>

#include "bench.hpp"

using namespace hearth;
using namespace hearth::bench;
using namespace std::chrono_literals;

namespace {

std::string config_for(const test::temp_dir& dir, unsigned short mqtt, unsigned short http) {
  const std::string src = HEARTH_SOURCE_DIR;
  return fmt::format(
      "timezone: Asia/Shanghai\ndatabase: {}\ndevices_dir: {}/devices\nrules_dir: {}/rules\n"
      "mqtt: {{ uri: \"tcp://127.0.0.1:{}\", client_id: hearthd-scale }}\n"
      "http: {{ listen: \"127.0.0.1:{}\" }}\n",
      (dir / "hearth.db").string(), src, src, mqtt, http);
}

struct startup {
  double seconds = 0;
  std::size_t rss = 0;
  std::unique_ptr<test::process> proc;
  unsigned short http = 0;
};

startup start(const test::temp_dir& dir, const test::broker& b) {
  startup s;
  s.http = test::free_port();
  test::write_file(dir / "hearth.yaml", config_for(dir, b.port(), s.http));
  const auto t0 = steady::now();
  s.proc = std::make_unique<test::process>(
      std::vector<std::string>{HEARTHD_BINARY, "run", "--config", (dir / "hearth.yaml").string()},
      dir / "hearthd.log");
  REQUIRE(test::eventually([&] { return test::http_get(s.http, "/healthz").status != 0; }, 120s));
  s.seconds = std::chrono::duration<double>(steady::now() - t0).count();
  REQUIRE(test::eventually([&] { return metric(s.http, "mqtt_connected") == 1; }, 30s));
  s.rss = rss_bytes(s.proc->pid());
  return s;
}

}  // namespace

TEST_CASE("RSS and start-up with 10k, 100k and 1M registered devices", "[scale]") {
  std::size_t empty_rss = 0;
  {
    test::temp_dir dir;
    test::broker b(dir, k_broker_config);
    auto s = start(dir, b);
    empty_rss = s.rss;
    fmt::print("  empty registry: start-up {:.2f} s, RSS {:.1f} MiB\n", s.seconds,
               static_cast<double>(s.rss) / 1048576.0);
  }
  const char* only = std::getenv("HEARTH_BENCH_SCALE_MAX");
  const std::size_t max_devices = only ? std::stoull(only) : 1'000'000;
  for (std::size_t target : {10'000UL, 100'000UL, 1'000'000UL}) {
    if (target > max_devices) continue;
    test::temp_dir dir;
    // About 3.9 devices a household in the simulated community.
    const auto c = sim::make_community({static_cast<int>(static_cast<double>(target) / 3.93), 7});
    sim::write_registry(c, dir / "registry");
    test::broker b(dir, k_broker_config);
    // Import once (as `hearthd import` does); start-up is then measured from the database.
    test::write_file(dir / "hearth.yaml", config_for(dir, b.port(), test::free_port()));
    const auto ti = steady::now();
    std::vector<std::string> argv{HEARTHD_BINARY, "import", "--config",
                                  (dir / "hearth.yaml").string()};
    for (const char* f : {"households.csv", "residents.csv", "devices.csv", "buildings.csv"})
      argv.push_back((dir / "registry" / f).string());
    test::process imp(argv, dir / "import.log");
    const auto rc = imp.wait(600s);
    INFO(imp.log());
    REQUIRE(rc == std::optional<int>(0));
    const double import_s = std::chrono::duration<double>(steady::now() - ti).count();

    auto s = start(dir, b);
    // An hour of traffic: every meter, tilt sensor and pendant reports, and most Zigbee
    // devices check in, so each has its per-device state.
    sim::traffic_options o;
    o.start = std::chrono::floor<std::chrono::seconds>(wall_clock{}.now()) - 2h;
    o.days = 1.0 / 24;
    o.incidents = false;
    const auto t = sim::make_traffic(c, o);
    std::set<int> reporting;
    {
      raw_publisher pub(b.port(), "bench-scale");
      std::string chunk;
      for (const auto& m : t.messages) {
        reporting.insert(m.device);
        chunk += pub.packet(m.topic, m.payload, 0);
        if (chunk.size() > 65536) {
          pub.write(chunk);
          chunk.clear();
        }
      }
      pub.write(chunk);
      test::eventually(
          [&] {
            return metric(s.http, "hearth_messages_received_total") >=
                   static_cast<double>(t.messages.size());
          },
          300s);
    }
    const auto rss = rss_bytes(s.proc->pid());
    const double per_device =
        static_cast<double>(rss - std::min(rss, empty_rss)) / static_cast<double>(c.devices.size());
    const auto note = fmt::format(
        "{} devices ({} reported once), RSS {:.1f} MiB after start, {:.1f} MiB with state "
        "(empty registry {:.1f} MiB); import {:.1f} s",
        c.devices.size(), reporting.size(), static_cast<double>(s.rss) / 1048576.0,
        static_cast<double>(rss) / 1048576.0, static_cast<double>(empty_rss) / 1048576.0, import_s);
    fmt::print("  scale {}: {}\n", target, note);
    const auto label = target >= 1'000'000 ? "1M" : fmt::format("{}k", target / 1000);
    record({fmt::format("scale.{}.startup", label), fmt::format("start-up, {} devices", label),
            s.seconds, "s", std::nullopt, "", std::nullopt, target >= 1'000'000 ? "<= 3 s" : "",
            target >= 1'000'000 ? std::optional<bool>(s.seconds <= 3) : std::nullopt, ""});
    record({fmt::format("scale.{}.rss", label), fmt::format("RSS with state, {} devices", label),
            static_cast<double>(rss) / 1048576.0, "MiB", std::nullopt, "", std::nullopt,
            target >= 1'000'000 ? "<= 1024 MiB" : "",
            target >= 1'000'000 ? std::optional<bool>(rss <= (1ULL << 30)) : std::nullopt, note});
    record({fmt::format("scale.{}.per_device", label), fmt::format("bytes per device, {}", label),
            per_device, "B", std::nullopt, "", std::nullopt, "<= 512 B", per_device <= 512, ""});
  }
}
