// SPDX-License-Identifier: Apache-2.0
// The README's worked example, end to end: the NB-IoT water meter's YAML device type (taken
// from the README itself) and a registry row are dropped into a running hearthd's folders,
// `hearthd devices test` passes it, SIGHUP loads it, a report that is 10 minutes late goes
// through a real mosquitto, and the HTTP API serves its readings at the meter's time; the
// same report delivered again is stored once. Nothing sleeps: every wait is on the daemon's
// output or a poll with a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <mqtt/client.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>

#include "base/time.hpp"
#include "support/harness.hpp"

namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// A child process whose stdout and stderr are read through a pipe. Waiting on that pipe is
/// how the test waits: for a line of output, for the process to end, or for a short while
/// between two polls of something else.
class child {
 public:
  explicit child(std::vector<std::string> argv) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      _exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() { stop(); }

  pid_t pid() const { return pid_; }
  const std::string& output() const { return out_; }

  /// Reads what is available, waiting at most `wait`. Returns false at end of output.
  bool pump(std::chrono::milliseconds wait) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buf[4096];
    const auto n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    out_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  /// Waits until the output matches `re` (from `from` on); returns the match.
  std::optional<std::smatch> wait_for(const std::regex& re, std::chrono::seconds timeout,
                                      std::size_t from = 0) {
    const auto deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
      std::smatch m;
      if (std::regex_search(
              out_.cbegin() + static_cast<std::ptrdiff_t>(std::min(from, out_.size())), out_.cend(),
              m, re))
        return m;
      if (!pump(100ms)) break;
    }
    std::smatch m;
    if (std::regex_search(out_.cbegin() + static_cast<std::ptrdiff_t>(std::min(from, out_.size())),
                          out_.cend(), m, re))
      return m;
    return std::nullopt;
  }

  /// SIGTERM, then up to 10 s for the end of output, then SIGKILL. Returns the exit status.
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    const auto deadline = steady::now() + 10s;
    while (fd_ >= 0 && steady::now() < deadline)
      pump(100ms);
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pid_ = -1;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int status_ = -1;
  std::string out_;
};

/// A free loopback port: bind to port 0 and read back what the kernel chose.
unsigned short free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(s);
  return ntohs(a.sin_port);
}

bool accepts(unsigned short port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

/// The token of the integrator the test reads readings as (issue 6: the API needs one).
std::string api_token;

/// GET on the daemon's HTTP API; returns status and body.
std::pair<int, std::string> http_get(unsigned short port, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!api_token.empty()) req.set(http::field::authorization, "Bearer " + api_token);
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The worked example of the README ("Device types"), verbatim: the YAML block that starts
/// with the NB-IoT meter's comment.
std::string readme_type() {
  const auto readme = read_text(HEARTH_SOURCE_DIR "/README.md");
  const auto start = readme.find("```yaml\n# An NB-IoT water meter");
  REQUIRE(start != std::string::npos);
  const auto body = start + 8;
  const auto end = readme.find("```", body);
  REQUIRE(end != std::string::npos);
  return readme.substr(body, end - body);
}

/// The meter's report as its platform republishes it, sent at `sent_ms` (epoch ms).
std::string meter_report(long long sent_ms) {
  return fmt::format(
      R"({{"upPacketSN": 7001, "upDataSN": -1, "topic": "v1/up/ad", "timestamp": {}, )"
      R"("messageType": "dataReport", "IMEI": "868333030012345", "payload": {{"serviceId": )"
      R"("WaterMeter", "serviceData": {{"cumulativeFlow": 123.456, "batteryVoltage": 3.45, )"
      R"("leakAlarm": 0, "magneticAttack": 0}}}}}})",
      sent_ms);
}

}  // namespace

TEST_CASE(
    "a new device type is added with one YAML file and SIGHUP, and its message becomes a stored "
    "reading",
    "[e2e][catalog]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("hearth-e2e-catalog-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir / "registry");
  fs::copy(HEARTH_SOURCE_DIR "/devices", dir / "devices");
  // The meter's type ships; the integrator of the example writes it, so it starts absent.
  fs::remove(dir / "devices" / "nbiot.water-meter.yaml");
  for (const char* f : {"households.csv", "devices.csv", "buildings.csv"})
    fs::copy_file(fs::path(HEARTH_TEST_DATA) / "registry" / f, dir / "registry" / f);

  // A private broker on a port the test picked.
  const auto broker_port = free_port();
  write_file(dir / "mosquitto.conf",
             fmt::format("listener {} 127.0.0.1\nallow_anonymous true\n", broker_port));
  // mosquitto lives in /usr/sbin, which is not on every user's PATH.
  child broker({fs::exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto", "-c",
                (dir / "mosquitto.conf").string()});
  {
    const auto deadline = steady::now() + 10s;
    while (!accepts(broker_port) && steady::now() < deadline)
      broker.pump(50ms);
    INFO(broker.output());
    REQUIRE(accepts(broker_port));
  }

  const auto broker_uri = fmt::format("tcp://127.0.0.1:{}", broker_port);
  write_file(
      dir / "hearth.yaml",
      fmt::format("database: hearth.db\ndevices_dir: devices\nrules_dir: {}/rules\n"
                  "registry_dir: registry\nmqtt: {{ uri: \"{}\", client_id: hearthd-e2e-{} }}\n"
                  "http: {{ listen: \"127.0.0.1:0\" }}\n",
                  HEARTH_SOURCE_DIR, broker_uri, ::getpid()));
  api_token = hearth::test::add_user(dir / "hearth.yaml", "integrator-1", "integrator");
  REQUIRE(!api_token.empty());
  child daemon({HEARTHD_BINARY, "run", "--config", (dir / "hearth.yaml").string()});
  auto listening = daemon.wait_for(std::regex(R"(http listening on 127\.0\.0\.1:(\d+))"), 20s);
  INFO(daemon.output());
  REQUIRE(listening);
  const auto http_port = static_cast<unsigned short>(std::stoi((*listening)[1].str()));
  {
    // The API answers once the event loop runs, and with it the SIGHUP handler.
    const auto deadline = steady::now() + 10s;
    bool up = false;
    while (!up && steady::now() < deadline) {
      up = accepts(http_port) && http_get(http_port, "/healthz").first == 200;
      if (!up) daemon.pump(50ms);
    }
    REQUIRE(up);
  }
  // Before the new type: the device is unknown to the API.
  CHECK(http_get(http_port, "/api/v1/devices/nbmeter-3-503/readings").first == 404);

  const auto shipped_types =
      std::distance(fs::directory_iterator(dir / "devices"), fs::directory_iterator{});
  const auto registered_devices = [&] {
    std::ifstream in(dir / "registry" / "devices.csv");
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n') -
           1;
  }();

  // 1. One new YAML file, as the README shows it, checked with `hearthd devices test`.
  const auto type_file = dir / "devices" / "nbiot.water-meter.yaml";
  write_file(type_file, readme_type());
  {
    child test({HEARTHD_BINARY, "devices", "test", type_file.string()});
    while (test.pump(1s)) {
    }
    INFO(test.output());
    CHECK(test.stop() == 0);
    CHECK(test.output().find("ok   nbiot.water-meter (6 examples)") != std::string::npos);
  }
  // 2. The device is registered: one row in the registry folder's devices.csv.
  {
    std::ofstream csv(dir / "registry" / "devices.csv", std::ios::app);
    csv << "nbmeter-3-503,868333030012345,nbiot.water-meter,H-3-503,B3,kitchen\n";
  }
  // 3. SIGHUP: definitions and registry are reloaded without a restart.
  const auto before_reload = daemon.output().size();
  REQUIRE(::kill(daemon.pid(), SIGHUP) == 0);
  auto reloaded = daemon.wait_for(
      std::regex(R"(reloaded: (\d+) device types, \d+ rules, (\d+) devices)"), 20s, before_reload);
  REQUIRE(reloaded);
  CHECK(std::stoi((*reloaded)[1].str()) == shipped_types + 1);
  CHECK(std::stoi((*reloaded)[2].str()) == registered_devices + 1);

  // 4. A report the meter sent 10 minutes ago, through the real broker. Retained, so that it
  //    is delivered whether the daemon's subscription is already in place or is (re)made a
  //    moment later.
  const auto sent = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
                    std::chrono::minutes(10);
  const auto sent_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(sent.time_since_epoch()).count();
  const auto sent_text = hearth::format_rfc3339(hearth::time_point{sent});
  const auto topic = "nbiot/watermeter/868333030012345/report";
  auto publish = [&](bool retain) {
    mqtt::client pub(broker_uri, fmt::format("e2e-publisher-{}", ::getpid()));
    auto opts = mqtt::connect_options_builder().clean_session(true).finalize();
    pub.connect(opts);
    pub.publish(mqtt::make_message(topic, meter_report(sent_ms), 1, retain));
    pub.disconnect();
  };
  publish(true);

  // 5. The stored readings, served by GET /api/v1/devices/<id>/readings, at the meter's time.
  boost::json::array readings;
  const auto deadline = steady::now() + 20s;
  while (readings.size() < 4 && steady::now() < deadline) {
    auto [status, body] = http_get(http_port, "/api/v1/devices/nbmeter-3-503/readings");
    if (status == 200) readings = boost::json::parse(body).at("readings").as_array();
    if (readings.size() < 4) daemon.pump(50ms);
  }
  INFO(daemon.output());
  REQUIRE(readings.size() == 4);
  std::map<std::string, boost::json::value> by_metric;
  for (const auto& r : readings) {
    by_metric[std::string(r.at("metric").as_string())] = r.at("value");
    CHECK(r.at("ts").as_string() == sent_text);  // the event time, not the arrival
  }
  CHECK(by_metric.at("water.total_l").to_number<double>() == Approx(123456.0));
  CHECK(by_metric.at("device.battery_pct").to_number<double>() == Approx(75.0));
  CHECK(by_metric.at("water.leak") == false);
  CHECK(by_metric.at("device.tamper") == false);

  // The same report again (a platform's retry): a duplicate by its frame counter, not stored.
  const auto duplicates = [&] {
    return hearth::test::metric_value(http_get(http_port, "/metrics").second,
                                      "hearth_messages_rejected_total{reason=\"duplicate\"}");
  };
  const auto before_dup = duplicates();
  publish(false);
  const auto dup_deadline = steady::now() + 20s;
  while (duplicates() == before_dup && steady::now() < dup_deadline)
    daemon.pump(50ms);
  CHECK(duplicates() == before_dup + 1);
  CHECK(boost::json::parse(http_get(http_port, "/api/v1/devices/nbmeter-3-503/readings").second)
            .at("readings")
            .as_array()
            .size() == 4);

  CHECK(daemon.stop() == 0);
  broker.stop();
  fs::remove_all(dir);
}
