// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Shared pieces of the benchmarks (issue 8): the figure table, a raw MQTT publisher that
/// costs the machine as little as possible, a bare Paho subscriber (the ceiling), the
/// simulated message sets, and process measurements. Benchmarks may pace load with sleeps;
/// every loop is bounded in count and time.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "community.hpp"
#include "support/harness.hpp"
#include "traffic.hpp"

namespace hearth::bench {

using steady = std::chrono::steady_clock;

struct figure {
  std::string id;    ///< "ingest.qos0"
  std::string name;  ///< plain words
  double value = 0;
  std::string unit;
  std::optional<double> baseline;
  std::string baseline_name;
  std::optional<double> ratio;  ///< value / baseline, or as the note says
  std::string target;
  std::optional<bool> met;
  std::string note;
};

/// Adds a row to the table and to build/bench/results.json.
void record(figure f);
const std::vector<figure>& figures();

/// The broker config every benchmark uses: Nagle off, no per-client queue limits that
/// would drop messages instead of measuring them.
inline constexpr const char* k_broker_config =
    "max_queued_messages 0\nmax_inflight_messages 0\nmax_queued_bytes 0\n";

/// MQTT 3.1.1 over a plain socket, with every packet encoded before the clock starts.
/// QoS 1 acknowledgements are read (and counted) on a thread so the broker never stalls.
class raw_publisher {
 public:
  explicit raw_publisher(unsigned short port, const std::string& client_id);
  ~raw_publisher();
  static std::string encode(const std::string& topic, const std::string& payload, int qos,
                            std::uint16_t id);
  /// Encodes with packet ids from this connection.
  std::string packet(const std::string& topic, const std::string& payload, int qos);
  void write(const std::string& bytes);
  std::uint64_t acks() const { return acks_; }

 private:
  int fd_ = -1;
  std::uint16_t next_id_ = 1;
  std::atomic<std::uint64_t> acks_{0};
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

/// A Paho async subscriber that only counts: the ceiling of what any client can receive.
class bare_subscriber {
 public:
  bare_subscriber(const std::string& uri, const std::vector<std::string>& filters, int qos);
  ~bare_subscriber();
  std::uint64_t count() const;
  steady::time_point last_at() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The simulated community and a day of its ordinary traffic (no incidents), dated so that
/// it ends now: no payload time lies in the future.
struct workload {
  sim::community community;
  sim::traffic traffic;
  std::filesystem::path registry_dir;
};
workload make_workload(int households, double days, const std::filesystem::path& dir);

/// hearthd's test options for a workload: its registry, the shipped types and rules.
inline test::daemon_process::options daemon_options(const workload& w) {
  test::daemon_process::options o;
  o.registry_dir = w.registry_dir.string();
  return o;
}

/// Waits until hearthd's life-safety session is connected and the broker has confirmed all
/// its subscriptions (tens of thousands of exact topics in a large community): the steady
/// state that latency is measured in.
void wait_priority_session(unsigned short http_port);

/// The topic filters hearthd subscribes to for the shipped device types.
std::vector<std::string> shipped_filters();

/// VmRSS of a process in bytes (0 when unknown).
std::size_t rss_bytes(pid_t pid);

/// A /metrics sample.
double metric(unsigned short http_port, const std::string& series);

/// Percentile of a sorted copy.
double percentile(std::vector<double> v, double p);

std::filesystem::path bench_dir();  ///< build/bench (HEARTH_BENCH_DIR overrides)

}  // namespace hearth::bench
