// SPDX-License-Identifier: Apache-2.0
// Issue 18 end to end, against a real mosquitto and the real hearthd on loopback.
//
// - Defect 3 as it was found: at the 1,024 file descriptors a unit gave by default, 1,100
//   idle sockets locked every console user out and the accept loop spun at 100 % CPU.
// - The hostile-load measure, bounded in time and count: 2,000 idle sockets, slow readers
//   of every list endpoint and a 100,000-id unregistered flood at once; meanwhile a console
//   login and an SOS → WebSocket alert each within 1 s, RSS under 256 MiB, and no webhook
//   delivery lost. The figures go to stdout for the README's Reliability section.
#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "support/harness.hpp"
#include "support/hook_server.hpp"
#include "support/raw_client.hpp"
#include "support/sqlite_peek.hpp"
#include "support/stream_client.hpp"

using namespace hearth::test;
using hearth::test::hook_server;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string k_sos_topic = "zigbee2mqtt/0x00158d0008a1b2c3";  // sos-3-502 of the test registry
const std::map<std::string, std::string> k_no_token{{"Authorization", ""}};

/// CPU seconds a process has used (utime + stime of /proc/<pid>/stat).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The 1-minute load average (/proc/loadavg): the timings mean little on a machine that
/// other jobs keep busy, so they are printed beside it.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

/// POST /api/v1/login with the console password; the time it took, or nullopt when refused.
std::optional<std::chrono::milliseconds> timed_login(unsigned short port, const std::string& user,
                                                     const std::string& password) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      http(port, "POST", "/api/v1/login",
           json::serialize(json::object{{"user", user}, {"password", password}}), k_no_token);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  INFO("login answered " << r.status << ": " << r.body);
  if (r.status != 200) return std::nullopt;
  return took;
}

/// The bound a login under load must meet: 1 s, or 1.5 times the same login on an idle
/// daemon when that alone is slower (PBKDF2's 600,000 rounds take ~0.3 s on a quiet core, and
/// over 1 s on a build machine that other jobs keep busy: what load costs is the difference).
std::chrono::milliseconds login_bound(std::chrono::milliseconds idle) {
  return std::max<std::chrono::milliseconds>(1s, idle * 3 / 2);
}

/// Lowers every thread of this test process to nice 10, and so every thread it starts later.
/// On a real attack the flood, the idle sockets and the slow readers run on the attacker's
/// machines; here they share the test machine's cores with mosquitto and hearthd (started
/// before, at normal priority), and would otherwise take half of them from the defence.
void yield_to_the_deployment() {
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task"))
    setpriority(PRIO_PROCESS, static_cast<id_t>(std::stoi(t.path().filename().string())), 10);
}

std::vector<std::unique_ptr<raw_client>> idle_sockets(unsigned short port, int n) {
  std::vector<std::unique_ptr<raw_client>> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::make_unique<raw_client>(port));
  return out;
}

}  // namespace

TEST_CASE("at 1,024 descriptors, 1,100 idle sockets neither lock the console out nor spin accept",
          "[e2e][hardening]") {
  REQUIRE(raise_open_files() >= 2'000);
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process::options o;
  o.launcher = {"prlimit", "--nofile=1024:1024", "--"};  // what a unit gave before LimitNOFILE=
  // All 1,100 come from 127.0.0.1: without a per-address limit in the way, the descriptors
  // are the bound, as they were.
  o.http_extra = "max_connections_per_address: 5000";
  daemon_process hearthd(dir, mosquitto, o);
  REQUIRE(!add_user(hearthd.config(), "op-wang", "operator", "night shift").empty());
  const auto port = hearthd.http_port();
  const auto quiet = timed_login(port, "op-wang", "night shift");
  REQUIRE(quiet);
  const double cpu0 = cpu_seconds(hearthd.proc().pid());
  const auto t0 = std::chrono::steady_clock::now();
  auto idle = idle_sockets(port, 1'100);
  const auto login = timed_login(port, "op-wang", "night shift");
  REQUIRE(login);
  INFO("login on an idle daemon " << quiet->count() << " ms, with 1,100 sockets " << login->count()
                                  << " ms");
  CHECK(*login < login_bound(*quiet));
  CHECK(http_get(port, "/healthz").status == 200);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds(hearthd.proc().pid()) - cpu0;
  INFO("hearthd used " << cpu << " s of CPU in " << wall << " s");
  CHECK(cpu < 0.5 * wall + 0.5);  // a spinning accept loop takes a whole core
  // It shed idle sockets to stay within what its descriptors allow, and said so once.
  const auto metrics = http_get(port, "/metrics").body;
  CHECK(metric_value(metrics, R"(hearth_http_connections_shed_total{reason="total"})") > 0);
  const auto log = hearthd.proc().log();
  CHECK(log.find("http.max_connections 1024 lowered to") != std::string::npos);
  // Issue 18, "Also": a log line outside journald says when, how bad and which part.
  CHECK(std::regex_search(
      log,
      std::regex(R"(\n?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  app: http listening on )")));
}

namespace {

/// The sum of every series of a metric family in /metrics text.
double metric_sum(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line))
    if (line.starts_with(name + "{") || line.starts_with(name + " "))
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

/// 100,000 messages from 100,000 external ids nobody registered, at QoS 0 as fast as one
/// client sends them, on its own thread.
class unregistered_flood {
 public:
  explicit unregistered_flood(const std::string& uri, int count)
      : client_(uri, "hostile-flood-" + std::to_string(free_port())) {
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    thread_ = std::thread([this, count] {
      for (int i = 0; i < count; ++i) {
        auto tok =
            client_.publish(mqtt::make_message(fmt::format("zigbee2mqtt/0xf1{:014x}", i),
                                               R"({"battery": 50, "linkquality": 80})", 0, false));
        // Paho buffers at most 100 unsent messages: wait for the socket every 50.
        if (i % 50 == 49) tok->wait();
        sent_ = i + 1;
      }
    });
  }
  ~unregistered_flood() {
    if (thread_.joinable()) thread_.join();
    try {
      client_.disconnect()->wait_for(5s);
    } catch (const std::exception&) {
    }
  }
  int sent() const { return sent_.load(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  mqtt::async_client client_;
  std::atomic<int> sent_{0};
  std::thread thread_;
};

/// Samples a process's RSS every 20 ms on its own thread; the highest seen.
class rss_watch {
 public:
  explicit rss_watch(pid_t pid)
      : thread_([this, pid] {
          std::unique_lock lock(m_);
          while (!cv_.wait_for(lock, 20ms, [&] { return stop_; }))
            max_ = std::max(max_.load(), rss_kib(pid));
        }) {}
  ~rss_watch() { stop(); }
  long stop() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return max_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<long> max_{0};
  std::thread thread_;
};

}  // namespace

// Run alone with `hearth_e2e_tests "[hostile]"`. The list pages the slow readers ask for
// are built off the domain thread (api/query_thread.hpp), and unregistered devices are
// bounded (ingest.unknown_devices_max).
// Hidden from ctest's discovery ([.]): tests/CMakeLists.txt registers it to run alone
// (RUN_SERIAL), since other tests on the same cores would be load it did not make.
TEST_CASE(
    "hostile load: idle sockets, slow readers and an unregistered flood at once cost no "
    "login, no SOS, no webhook delivery, and stay under 256 MiB",
    "[.][e2e][hardening][hostile]") {
  REQUIRE(raise_open_files() >= 4'000);
  temp_dir dir;
  // mosquitto queues at most 1,000 messages per subscriber by default and drops the rest:
  // room for the whole flood, so that every message reaches hearthd (which sheds what it
  // cannot take, and counts it).
  broker mosquitto(dir, "max_queued_messages 200000\n");
  hook_server receiver({});
  daemon_process::options o;
  o.extra_config = "webhooks:\n  - { url: \"" + receiver.url() + "\", timeout: 5s }\n";
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_connected();
  REQUIRE(!add_user(hearthd.config(), "op-wang", "operator", "night shift").empty());
  const auto port = hearthd.http_port();
  const auto admin = hearthd.admin_token();
  const auto quiet = timed_login(port, "op-wang", "night shift");
  REQUIRE(quiet);
  yield_to_the_deployment();
  stream_client queue(port, admin);
  REQUIRE(queue.next().value().contains("hello"));
  rss_watch rss(hearthd.proc().pid());
  const long rss_before = rss_kib(hearthd.proc().pid());
  const double load_before = load_average();
  const double cpu_before = cpu_seconds(hearthd.proc().pid());
  const auto started = std::chrono::steady_clock::now();

  // The SOS button's bridge is connected before the load, as a real one is: the time
  // measured is from its publish to the operator's WebSocket.
  mqtt::async_client sos_button(mosquitto.uri(), "hostile-sos-button");
  sos_button.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  std::vector<long long> logins_ms, sos_ms;
  int presses = 0;
  auto probe = [&](const char* when) {
    INFO(when);
    const auto login = timed_login(port, "op-wang", "night shift");
    CHECK(login);
    if (login) logins_ms.push_back(login->count());
    // A new press each time (Zigbee2MQTT presses have no identity: the same bytes within
    // 2 s are one press), on no open alert (a press on an open one is told again only
    // after 30 s): the previous probe resolved its alert.
    const auto payload = fmt::format(R"({{"action": "emergency", "battery": {}}})", 90 - presses++);
    const auto t0 = std::chrono::steady_clock::now();
    sos_button.publish(mqtt::make_message(k_sos_topic, payload, 1, false));
    std::optional<json::object> opened;
    while (std::chrono::steady_clock::now() - t0 < 5s) {
      const auto m = queue.next(5s);
      if (!m) break;
      if (m->contains("rule") && m->at("rule") == "sos-pressed" && m->at("state") == "open") {
        opened = m;
        break;
      }
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    CHECK(opened);
    if (!opened) return;
    sos_ms.push_back(took.count());
    const std::string id(opened->at("id").as_string());
    CHECK(http(port, "POST", "/api/v1/alerts/" + id + "/resolve", R"({"outcome": "false-alarm"})",
               bearer(admin))
              .status == 200);
    // Its push, so that the next probe reads only what comes after it.
    while (const auto m = queue.next(5s))
      if (m->contains("id") && m->at("id").as_string() == id && m->at("state") == "resolved") break;
  };

  // The flood starts; the sockets arrive while it runs.
  constexpr int k_flood = 100'000;
  unregistered_flood flood(mosquitto.uri(), k_flood);
  // 2,000 idle sockets from 20 addresses (100 each: under the per-address limit, so the total
  // limit is what holds them back).
  std::vector<std::unique_ptr<raw_client>> idle;
  for (int a = 0; a < 20; ++a) {
    const auto from = fmt::format("127.0.1.{}", a + 1);
    for (int i = 0; i < 100; ++i)
      idle.push_back(std::make_unique<raw_client>(port, from.c_str()));
  }
  probe("with 2,000 idle sockets and the flood running");
  // Slow readers: 25 of every list endpoint, each asking for a full page and never reading.
  const std::vector<std::string> lists = {
      "alerts",     "devices",  "devices/unknown", "devices/sos-3-502/readings",
      "quarantine", "silences", "users",           "residents"};
  std::vector<std::unique_ptr<raw_client>> slow;
  for (std::size_t l = 0; l < lists.size(); ++l) {
    const auto from = fmt::format("127.0.2.{}", l + 1);
    for (int i = 0; i < 25; ++i) {
      slow.push_back(std::make_unique<raw_client>(port, from.c_str(), 4096));
      slow.back()->send(get_request("/api/v1/" + lists[l] + "?limit=1000", admin));
    }
  }
  probe("with the slow readers too");
  flood.join();
  REQUIRE(eventually(
      [&] {
        // Each flood message was either taken in or shed at the ingest queue (and counted).
        const auto m = http_get(port, "/metrics").body;
        return metric_value(m, "hearth_messages_received_total") +
                   metric_sum(m, "hearth_messages_shed_total") >=
               k_flood;
      },
      60s));
  probe("after the flood, everything else still in place");
  const long rss_max = rss.stop();

  const auto metrics = http_get(port, "/metrics").body;
  const double transitions = metric_sum(metrics, "hearth_alert_transitions_total");
  CHECK(transitions >= 6);  // each probe's alert opened and resolved
  // Every transition reached the webhook, none was dropped or overflowed.
  CHECK(eventually([&] { return receiver.requests() >= static_cast<std::size_t>(transitions); },
                   30s));
  const auto after = http_get(port, "/metrics").body;
  CHECK(metric_value(after, R"(hearth_webhook_deliveries_total{result="dropped"})") == 0);
  CHECK(metric_value(after, R"(hearth_webhook_deliveries_total{result="overflow"})") == 0);
  CHECK(receiver.requests() ==
        static_cast<std::size_t>(metric_sum(after, "hearth_alert_transitions_total")));
  CHECK(rss_max < 256 * 1024);
  // The 100,000 unregistered ids are bounded: the newest 10,000 are kept, the rest forgotten
  // (oldest first) and counted.
  REQUIRE(eventually([&] {
    return query_int(hearthd.database(), "SELECT COUNT(*) FROM unknown_devices") == 10'000;
  }));
  const double forgotten =
      metric_value(http_get(port, "/metrics").body, "hearth_unknown_devices_forgotten_total");
  CHECK(forgotten > 0);
  for (auto ms : logins_ms)
    CHECK(std::chrono::milliseconds(ms) < login_bound(*quiet));
  for (auto ms : sos_ms)
    CHECK(ms < 1000);

  const auto shed = [&](const char* reason) {
    return metric_value(
        after, fmt::format(R"(hearth_http_connections_shed_total{{reason="{}"}})", reason));
  };
  fmt::print(
      "hostile load: {} idle sockets, {} slow readers, {} unregistered ids; logins {} ms, SOS -> "
      "WebSocket {} ms (a login on the idle daemon {} ms); RSS {} -> max {} MiB; connections shed: "
      "{} (total), {} (per address), {} "
      "(response bytes); flood messages taken in {}, shed {}; webhook deliveries {} of {} "
      "transitions\n",
      idle.size(), slow.size(), k_flood, fmt::join(logins_ms, "/"), fmt::join(sos_ms, "/"),
      quiet->count(), rss_before / 1024, rss_max / 1024, shed("total"), shed("per-address"),
      shed("response-bytes"), metric_value(after, "hearth_messages_received_total"),
      metric_sum(after, "hearth_messages_shed_total"), receiver.requests(),
      metric_sum(after, "hearth_alert_transitions_total"));
  fmt::print("hostile load: unregistered devices kept 10000, forgotten {}\n", forgotten);
  fmt::print(
      "hostile load: load average {:.1f} at the start, {:.1f} at the end; hearthd used {:.1f} s "
      "of CPU in {:.1f} s; the last SOS waited {:.1f} ms in the priority lane\n",
      load_before, load_average(), cpu_seconds(hearthd.proc().pid()) - cpu_before,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
      1000 * metric_value(after, R"(hearth_ingest_queue_wait_seconds{lane="priority"})"));
  sos_button.disconnect()->wait_for(5s);
}
