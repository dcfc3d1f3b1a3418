// SPDX-License-Identifier: Apache-2.0
#include "support/harness.hpp"

#include <fcntl.h>
#include <mqtt/async_client.h>
#include <mqtt/client.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace hearth::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

temp_dir::temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "hearth-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  if (!std::getenv("HEARTH_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

/// Whether nothing listens on (or holds) loopback `port` now; 0 asks the kernel for one.
unsigned short try_bind(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  unsigned short got = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    got = ntohs(a.sin_port);
  }
  ::close(fd);
  return got;
}

}  // namespace

unsigned short free_port() {
  // Below the kernel's ephemeral range (32768-60999 by default). A port the kernel hands out
  // for bind(0) comes from that range, and once it is closed again the outgoing connections
  // of tests running beside this one (MQTT, PostgreSQL, HTTP clients) may take it as their
  // local port before the broker or daemon under test binds it. Random per process, and
  // never the same twice in one process.
  static std::mutex m;
  static std::mt19937 pick(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  static std::set<unsigned short> given;
  std::lock_guard lock(m);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const auto port = static_cast<unsigned short>(20000 + pick() % 12000);
    if (given.count(port) || try_bind(port) != port) continue;
    given.insert(port);
    return port;
  }
  if (const auto port = try_bind(0)) return port;
  throw std::runtime_error("bind to port 0 failed");
}

process::process(std::vector<std::string> argv, fs::path log) : log_(std::move(log)) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::setpgid(0, 0);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(5s);
  }
}

bool process::running() {
  if (status_) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

void process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> process::wait(std::chrono::milliseconds limit) {
  eventually([&] { return !running(); }, limit);
  return status_;
}

std::string process::log() const {
  return read_file(log_);
}

bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = 2ms;
  while (true) {
    if (ok()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Back off between polls; this is the poll interval of a deadline, not a wait for an event.
    std::this_thread::yield();
    struct timespec ts {
      0, static_cast<long>(std::chrono::nanoseconds(pause).count())
    };
    ::nanosleep(&ts, nullptr);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

namespace {
bool port_open(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

broker::broker(const temp_dir& dir, const std::string& extra_config) : port_(free_port()) {
  conf_ = dir / "mosquitto.conf";
  log_ = dir / "mosquitto.log";
  write_file(conf_,
             "listener " + std::to_string(port_) +
                 " 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n" +
                 extra_config);
  restart();
}

void broker::stop() {
  if (!proc_) return;
  proc_->signal(SIGTERM);
  proc_->wait(10s);
  proc_.reset();
}

void broker::restart() {
  stop();
  proc_ =
      std::make_unique<process>(std::vector<std::string>{"mosquitto", "-c", conf_.string()}, log_);
  REQUIRE(eventually([&] { return port_open(port_); }, 10s));
}

/// Admin tokens of the daemon_process instances, by HTTP port (see `http`).
std::map<unsigned short, std::string>& default_tokens() {
  static std::map<unsigned short, std::string> tokens;
  return tokens;
}

http_response http(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body, const std::map<std::string, std::string>& headers) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  http_response out;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(10s);
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers)
      if (!v.empty()) req.set(k, v);
    if (!headers.count("Authorization"))
      if (auto t = default_tokens().find(port); t != default_tokens().end())
        req.set(bhttp::field::authorization, "Bearer " + t->second);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buf, res);
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res)
      out.headers[std::string(f.name_string())] = std::string(f.value());
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  } catch (const std::exception&) {
    out.status = 0;
  }
  return out;
}

void publish(const std::string& uri, const std::string& topic, const std::string& payload,
             int qos) {
  mqtt::client c(
      uri, "hearth-test-pub-" + std::to_string(::getpid()) + "-" + std::to_string(free_port()));
  auto opts = mqtt::connect_options_builder().clean_session(true).finalize();
  c.connect(opts);
  c.publish(mqtt::make_message(topic, payload, qos, false));
  c.disconnect();
}

void publish(const client_options& o, const std::string& topic, const std::string& payload,
             int qos) {
  mqtt::client c(
      o.uri, "hearth-test-pub-" + std::to_string(::getpid()) + "-" + std::to_string(free_port()));
  auto b = mqtt::connect_options_builder().clean_session(true);
  if (!o.username.empty()) b.user_name(o.username);
  if (!o.password.empty()) b.password(o.password);
  if (!o.ca_file.empty()) {
    auto ssl = mqtt::ssl_options_builder();
    ssl.trust_store(o.ca_file);
    if (!o.cert_file.empty()) ssl.key_store(o.cert_file);
    if (!o.key_file.empty()) ssl.private_key(o.key_file);
    ssl.enable_server_cert_auth(true);
    b.ssl(ssl.finalize());
  }
  c.connect(b.finalize());
  c.publish(mqtt::make_message(topic, payload, qos, false));
  c.disconnect();
}

struct paced_publisher::impl {
  explicit impl(const std::string& uri)
      : client(
            uri,
            "hearth-test-stream-" + std::to_string(::getpid()) + "-" + std::to_string(free_port()),
            mqtt::create_options_builder()
                .mqtt_version(MQTTVERSION_3_1_1)
                .send_while_disconnected(true, true)
                .max_buffered_messages(1'000'000)
                .finalize()) {}
  mqtt::async_client client;
};

paced_publisher::paced_publisher(std::string uri, double per_second,
                                 std::function<std::string(long)> topic_of,
                                 std::function<std::string(long)> make, long limit, int qos)
    : impl_(std::make_unique<impl>(uri)) {
  // A persistent session on the publisher's side too: a QoS 1 message in flight when the
  // broker goes down is sent again after the reconnect. With a clean session Paho drops
  // it, and a test would blame hearthd for the publisher's loss.
  auto opts = mqtt::connect_options_builder()
                  .clean_session(false)
                  .automatic_reconnect(std::chrono::milliseconds(100), std::chrono::seconds(1))
                  .finalize();
  impl_->client.connect(opts)->wait_for(10s);
  thread_ = std::thread([this, per_second, topic_of, make, limit, qos] {
    const auto start = std::chrono::steady_clock::now();
    for (long n = 0; n < limit; ++n) {
      // Load pacing: message n leaves at start + n / rate, unless stop() comes first.
      const auto due =
          start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(n) / per_second));
      {
        std::unique_lock lock(stop_mutex_);
        if (stop_cv_.wait_until(lock, due, [&] { return stop_; })) break;
      }
      try {
        auto tok = impl_->client.publish(topic_of(n), make(n), qos, false);
        ++sent_;
        (void)tok;
      } catch (const mqtt::exception&) {
        --n;  // buffer full or not connected yet: try the same message again
        std::this_thread::yield();
      }
    }
  });
}

void paced_publisher::request_stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

long paced_publisher::stop() {
  request_stop();
  // Everything handed over is eventually delivered to the broker (QoS 1, buffered).
  eventually([&] { return impl_->client.get_pending_delivery_tokens().empty(); }, 30s);
  return sent_;
}

paced_publisher::~paced_publisher() {
  request_stop();
  try {
    impl_->client.disconnect()->wait_for(2s);
  } catch (const mqtt::exception&) {
  }
}

command_result run_command(std::vector<std::string> argv, const temp_dir& dir,
                           std::chrono::milliseconds limit) {
  const auto log = dir / ("cmd-" + std::to_string(free_port()) + ".log");
  process p(std::move(argv), log);
  command_result r;
  r.status = p.wait(limit).value_or(-1);
  r.output = p.log();
  return r;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return 0;
}

daemon_process::daemon_process(const temp_dir& dir, const broker& b, options o)
    : http_port_(free_port()) {
  config_ = dir / "hearth.yaml";
  database_ = o.database.empty() ? dir / "hearth.db" : fs::path(o.database);
  log_ = dir / "hearthd.log";
  const std::string src = HEARTH_SOURCE_DIR;
  if (o.registry_dir.empty()) o.registry_dir = std::string(HEARTH_TEST_DATA) + "/registry";
  if (o.devices_dir.empty()) o.devices_dir = src + "/devices";
  if (o.rules_dir.empty()) o.rules_dir = src + "/rules";
  std::string cfg = "timezone: Asia/Shanghai\n";
  cfg += "database: " + database_.string() + "\n";
  cfg += "devices_dir: " + o.devices_dir + "\n";
  cfg += "rules_dir: " + o.rules_dir + "\n";
  cfg += "registry_dir: " + o.registry_dir + "\n";
  if (o.mqtt_config.empty())
    cfg += "mqtt: { uri: \"" + b.uri() + "\", client_id: hearthd-test-" +
           std::to_string(http_port_) + " }\n";
  else
    cfg += o.mqtt_config + "\n";
  cfg += "http: { listen: \"127.0.0.1:" + std::to_string(http_port_) + "\"" +
         (o.http_extra.empty() ? "" : ", " + o.http_extra) + " }\n";
  launcher_ = o.launcher;
  cfg += o.extra_config;
  write_file(config_, cfg);
  admin_token_ = o.admin_token.empty() ? add_user(config_, "test-admin", "admin") : o.admin_token;
  REQUIRE(!admin_token_.empty());
  default_tokens()[http_port_] = admin_token_;
  start();
}

std::string add_user(const fs::path& config, const std::string& name, const std::string& role,
                     const std::string& password) {
  const auto dir = config.parent_path();
  std::vector<std::string> argv{HEARTHD_BINARY, "users", "add",      name,
                                "--role",       role,    "--config", config.string()};
  if (!password.empty()) {
    write_file(dir / ("password-" + name), password + "\n");
    argv.push_back("--password-file");
    argv.push_back((dir / ("password-" + name)).string());
  }
  const auto log = dir / ("users-add-" + name + ".log");
  process p(argv, log);
  if (p.wait(60s) != std::optional<int>(0)) return {};
  // The token is the last line printed.
  std::istringstream in(read_file(log));
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

void daemon_process::start() {
  auto argv = launcher_;
  for (const auto& a :
       {std::string(HEARTHD_BINARY), std::string("run"), std::string("--config"), config_.string()})
    argv.push_back(a);
  proc_ = std::make_unique<process>(std::move(argv), log_);
  wait_ready();
}

void daemon_process::wait_ready() {
  const bool up = eventually(
      [&] { return http_get(http_port_, "/healthz").status != 0 || !proc_->running(); }, 20s);
  INFO("hearthd log:\n" << proc_->log());
  REQUIRE(up);
  REQUIRE(proc_->running());
}

void daemon_process::wait_connected() {
  const bool ok = eventually(
      [&] { return metric_value(http_get(http_port_, "/metrics").body, "mqtt_connected") == 1; },
      20s);
  INFO("hearthd log:\n" << proc_->log());
  REQUIRE(ok);
}

void daemon_process::kill9() {
  proc_->signal(SIGKILL);
  proc_->wait(10s);
}

int daemon_process::audit_verify() {
  const auto log = config_.parent_path() / ("audit-verify-" + std::to_string(free_port()) + ".log");
  process p({HEARTHD_BINARY, "audit", "verify", "--config", config_.string()}, log);
  const auto rc = p.wait(30s).value_or(-1);
  INFO("hearthd audit verify said:\n" << p.log());
  return rc;
}

std::string daemon_process::role() {
  const auto r = http_get(http_port_, "/healthz");
  const auto at = r.body.find("\"role\":\"");
  if (r.status == 0 || at == std::string::npos) return {};
  const auto from = at + 8;
  return r.body.substr(from, r.body.find('"', from) - from);
}

double metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

}  // namespace hearth::test
