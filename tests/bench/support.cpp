// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>

#include "bench.hpp"

namespace hearth::bench {
using namespace std::chrono_literals;

namespace {
std::vector<figure>& table() {
  static std::vector<figure> t;
  return t;
}
}  // namespace

void record(figure f) {
  fmt::print("  {:<34} {:>12.1f} {}{}\n", f.name, f.value, f.unit,
             f.baseline ? fmt::format("  (baseline {} {:.1f})", f.baseline_name, *f.baseline)
                        : std::string());
  table().push_back(std::move(f));
}

const std::vector<figure>& figures() {
  return table();
}

// --- raw publisher -----------------------------------------------------------------------

raw_publisher::raw_publisher(unsigned short port, const std::string& client_id) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("raw_publisher: connect failed");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 0.
  std::string body;
  body += std::string("\x00\x04MQTT\x04\x02\x00\x00", 10);
  body += static_cast<char>(client_id.size() >> 8);
  body += static_cast<char>(client_id.size() & 0xff);
  body += client_id;
  std::string pkt(1, '\x10');
  pkt += static_cast<char>(body.size());
  write(pkt + body);
  unsigned char connack[4];
  std::size_t got = 0;
  while (got < 4) {
    const auto n = ::read(fd_, connack + got, 4 - got);
    if (n <= 0) throw std::runtime_error("raw_publisher: no CONNACK");
    got += static_cast<std::size_t>(n);
  }
  if (connack[0] != 0x20 || connack[3] != 0) throw std::runtime_error("raw_publisher: refused");
  reader_ = std::thread([this] {
    char buf[65536];
    std::size_t carry = 0;  // PUBACKs are 4 bytes; count whole ones
    while (!stop_) {
      const auto n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      carry += static_cast<std::size_t>(n);
      acks_ = carry / 4;
    }
  });
}

raw_publisher::~raw_publisher() {
  stop_ = true;
  const char disconnect[2] = {'\xe0', '\x00'};
  (void)::send(fd_, disconnect, 2, MSG_NOSIGNAL);
  ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

std::string raw_publisher::encode(const std::string& topic, const std::string& payload, int qos,
                                  std::uint16_t id) {
  std::size_t len = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size();
  std::string out;
  out.reserve(len + 5);
  out += static_cast<char>(0x30 | (qos << 1));
  do {
    char b = static_cast<char>(len % 128);
    len /= 128;
    if (len > 0) b = static_cast<char>(b | 0x80);
    out += b;
  } while (len > 0);
  out += static_cast<char>(topic.size() >> 8);
  out += static_cast<char>(topic.size() & 0xff);
  out += topic;
  if (qos > 0) {
    out += static_cast<char>(id >> 8);
    out += static_cast<char>(id & 0xff);
  }
  out += payload;
  return out;
}

std::string raw_publisher::packet(const std::string& topic, const std::string& payload, int qos) {
  if (next_id_ == 0) next_id_ = 1;
  return encode(topic, payload, qos, next_id_++);
}

void raw_publisher::write(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("raw_publisher: write failed");
    off += static_cast<std::size_t>(n);
  }
}

// --- bare subscriber ---------------------------------------------------------------------

struct bare_subscriber::impl : public virtual mqtt::callback {
  explicit impl(const std::string& uri)
      : client(uri, fmt::format("bench-bare-{}", ::getpid()),
               mqtt::create_options(MQTTVERSION_3_1_1)) {}
  mqtt::async_client client;
  std::atomic<std::uint64_t> n{0};
  std::atomic<std::int64_t> last{0};
  void message_arrived(mqtt::const_message_ptr) override {
    n.fetch_add(1, std::memory_order_relaxed);
    last.store(steady::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
};

bare_subscriber::bare_subscriber(const std::string& uri, const std::vector<std::string>& filters,
                                 int qos)
    : impl_(std::make_unique<impl>(uri)) {
  impl_->client.set_callback(*impl_);
  impl_->client.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  impl_->client
      .subscribe(mqtt::string_collection::create(filters), std::vector<int>(filters.size(), qos))
      ->wait();
}

bare_subscriber::~bare_subscriber() {
  try {
    impl_->client.disconnect()->wait_for(2s);
  } catch (const mqtt::exception&) {
  }
}

std::uint64_t bare_subscriber::count() const {
  return impl_->n;
}

steady::time_point bare_subscriber::last_at() const {
  return steady::time_point(steady::duration(impl_->last.load()));
}

// --- workload ----------------------------------------------------------------------------

workload make_workload(int households, double days, const std::filesystem::path& dir) {
  workload w{sim::make_community({households, 7}), {}, dir / "registry"};
  sim::traffic_options o;
  o.days = days;
  o.incidents = false;
  const auto now = std::chrono::floor<std::chrono::seconds>(wall_clock{}.now());
  o.start =
      now -
      std::chrono::duration_cast<duration>(std::chrono::duration<double, std::ratio<86400>>(days)) -
      std::chrono::minutes(10);
  w.traffic = sim::make_traffic(w.community, o);
  sim::write_registry(w.community, w.registry_dir);
  return w;
}

void wait_priority_session(unsigned short http_port) {
  const bool settled = test::eventually(
      [&] {
        const auto text = test::http_get(http_port, "/metrics").body;
        return test::metric_value(text, "mqtt_priority_session_connected") == 1 &&
               test::metric_value(text, "hearth_ingest_priority_session_topics") > 0 &&
               test::metric_value(text, "hearth_ingest_priority_session_pending") == 0;
      },
      60s);
  INFO("hearthd's priority session did not connect and confirm its subscriptions in 60 s");
  REQUIRE(settled);
}

std::vector<std::string> shipped_filters() {
  return {"application/+/device/+/event/up",
          "hearth/v1/devices/+/up",
          "v3/+/devices/+/up",
          "zigbee2mqtt/+",
          "zigbee2mqtt/+/availability",
          "zigbee2mqtt/bridge/state"};
}

std::size_t rss_bytes(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

double metric(unsigned short http_port, const std::string& series) {
  return test::metric_value(test::http_get(http_port, "/metrics").body, series);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

std::filesystem::path bench_dir() {
  if (const char* d = std::getenv("HEARTH_BENCH_DIR")) return d;
  return std::filesystem::path(HEARTH_SOURCE_DIR) / "build" / "bench";
}

}  // namespace hearth::bench
