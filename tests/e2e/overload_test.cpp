// SPDX-License-Identifier: Apache-2.0
// Backpressure: a flood of meter frames beyond what storage absorbs. Memory stays bounded
// (the bulk lane sheds when full, counted and sampled into quarantine), and an SOS pressed
// during the flood still opens its alert at once: life-safety messages take their own lane.
#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "support/harness.hpp"
#include "support/sqlite_peek.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::size_t alert_count(unsigned short port) {
  auto r = http_get(port, "/api/v1/alerts?priority=1");
  if (r.status != 200) return 0;
  return json::parse(r.body).as_object().at("alerts").as_array().size();
}

constexpr long k_flood = 150'000;
constexpr long k_bulk_limit = 2'000;

}  // namespace

TEST_CASE(
    "under a flood beyond what storage absorbs, memory and the queue stay bounded, bulk "
    "frames are shed and counted, and an SOS still opens its alert",
    "[e2e][overload]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process::options o;
  // Storage is made the bottleneck on purpose: the bulk lane waits until the writer's queue
  // is empty (store_backlog 1), so it fills and sheds even on a fast machine.
  o.extra_config =
      fmt::format("ingest: {{ bulk_queue_messages: {}, store_backlog: 1 }}\n", k_bulk_limit);
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_connected();
  const auto port = hearthd.http_port();
  const long rss_before = rss_kib(hearthd.proc().pid());

  // The SOS button's client is connected before the flood, as a Zigbee2MQTT bridge is.
  mqtt::async_client button(mosquitto.uri(), "hearth-test-sos-" + std::to_string(free_port()));
  button.connect()->wait_for(10s);

  // The flood: native meter readings, QoS 0, as fast as the client can send them.
  mqtt::async_client flood(mosquitto.uri(), "hearth-test-flood-" + std::to_string(free_port()));
  flood.connect()->wait_for(10s);
  const auto base =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 72h;
  std::atomic<long> published{0};
  std::thread flooder([&] {
    for (long n = 0; n < k_flood; ++n) {
      try {
        flood.publish(
            "hearth/v1/devices/button-demo-1/up",
            fmt::format(R"({{"ts":"{}","metrics":{{"water.total_l":{}}}}})",
                        hearth::format_rfc3339(hearth::time_point(base + std::chrono::seconds(n))),
                        n),
            0, false);
        ++published;
      } catch (const mqtt::exception&) {
        --n;  // the client's buffer is full: offer the same message again
        std::this_thread::yield();
      }
    }
  });

  // Watch depth and RSS while the flood runs; press SOS in the middle of it.
  double max_depth = 0;
  long max_rss = 0;
  auto sample = [&] {
    const auto m = http_get(port, "/metrics").body;
    max_depth = std::max(max_depth, metric_value(m, "hearth_ingest_queue_depth{lane=\"bulk\"}"));
    max_rss = std::max(max_rss, rss_kib(hearthd.proc().pid()));
  };
  REQUIRE(eventually(
      [&] {
        sample();
        return metric_value(http_get(port, "/metrics").body,
                            "hearth_messages_shed_total{lane=\"bulk\"}") > 0;
      },
      30s));
  const auto pressed = std::chrono::steady_clock::now();
  button.publish("zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency"})", 1, false)
      ->wait_for(10s);
  const auto published_in = std::chrono::steady_clock::now() - pressed;
  REQUIRE(eventually(
      [&] {
        sample();
        return alert_count(port) == 1;
      },
      10s));
  const auto sos_latency = std::chrono::steady_clock::now() - pressed;
  eventually(
      [&] {
        sample();
        return published == k_flood;
      },
      60s);
  flooder.join();
  flood.disconnect()->wait_for(5s);
  button.disconnect()->wait_for(5s);

  // Frames the broker had already queued may still be arriving (and being shed) after the
  // flooder is gone: read the counters once they have settled.
  std::string m;
  double shed = 0;
  eventually(
      [&] {
        m = http_get(port, "/metrics").body;
        shed = metric_value(m, "hearth_messages_shed_total{lane=\"bulk\"}");
        return shed == metric_value(m, "hearth_messages_rejected_total{reason=\"overload\"}");
      },
      10s);
  fmt::print(
      "overload: {} frames flooded at QoS 0; {} shed; bulk queue depth max {} (limit {}); RSS "
      "{} MiB before, max {} MiB during; SOS to alert in the API {} ms during the flood (publish "
      "{} ms, wait in the priority lane {:.1f} ms)\n",
      published.load(), shed, max_depth, k_bulk_limit, rss_before / 1024, max_rss / 1024,
      std::chrono::duration_cast<std::chrono::milliseconds>(sos_latency).count(),
      std::chrono::duration_cast<std::chrono::milliseconds>(published_in).count(),
      metric_value(m, "hearth_ingest_queue_wait_seconds{lane=\"priority\"}") * 1000);
  CHECK(shed > 0);
  CHECK(metric_value(m, "hearth_messages_shed_total{lane=\"priority\"}") == 0);
  CHECK(metric_value(m, "hearth_messages_rejected_total{reason=\"overload\"}") == shed);
  CHECK(max_depth <= k_bulk_limit);
  // A bounded queue of 2,000 small frames: RSS grows by a few MiB, not by the flood's size.
  CHECK(max_rss - rss_before < 64 * 1024);
  CHECK(sos_latency < 1s);  // measured ~5 ms here; generous for a busy CI machine
  CHECK(metric_value(m, "hearth_ingest_priority_total") >= 1);
  // Shed messages are sampled into quarantine (at most one row a second) with the reason.
  REQUIRE(eventually([&] {
    return query_int(hearthd.database(),
                     "SELECT COUNT(*) FROM quarantine WHERE reason = 'overload'") >= 1;
  }));
  CHECK(hearthd.proc().running());
}
