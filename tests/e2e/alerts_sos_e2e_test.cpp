// SPDX-License-Identifier: Apache-2.0
// End to end: a real mosquitto on a free loopback port and the real hearthd. An SOS press
// published the way Zigbee2MQTT does arrives as alert JSON on hearth/alerts/<id>; an
// operator claims and resolves it over HTTP, and each step is published again. Every wait
// is a poll with a deadline; nothing sleeps.
#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/audit_head.hpp"
#include "support/harness.hpp"

extern char** environ;

namespace {
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / fmt::format("hearth-e2e-{:x}", rd());
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

unsigned short free_port() {
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// A child process with stdout and stderr sent to `log`; stopped with SIGTERM at the end.
class child {
 public:
  child(std::vector<std::string> argv, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
  }
  ~child() { stop(); }
  int stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGTERM);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  bool running() {
    if (pid_ <= 0) return false;
    return waitpid(pid_, &status_, WNOHANG) == 0;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

struct http_reply {
  int status = 0;
  std::string body;
};

/// One HTTP request; status 0 when the daemon is not listening yet.
http_reply request(unsigned short port, http::verb verb, const std::string& target,
                   const std::string& body = {}, const std::string& actor = {}) {
  try {
    asio::io_context io;
    beast::tcp_stream s(io);
    s.expires_after(5s);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    // `actor` is the API token of the user acting (issue 6).
    if (!actor.empty()) req.set(http::field::authorization, "Bearer " + actor);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return {static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return {};
  }
}

template <class F>
bool eventually(F f, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    // Poll interval: block on a timer rather than spin on the shared CPUs.
    asio::io_context io;
    asio::steady_timer t(io, 20ms);
    t.wait();
  }
  return f();
}

/// The next message on hearth/alerts/<id>, as JSON; fails the test after `limit`.
json::object next_alert(mqtt::async_client& c, std::chrono::seconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto msg = c.try_consume_message_for(deadline - std::chrono::steady_clock::now());
    if (!msg) break;
    if (!msg->get_topic().starts_with("hearth/alerts/")) continue;
    return json::parse(msg->get_payload_str()).as_object();
  }
  FAIL("no alert published on hearth/alerts/# in time");
  return {};
}

}  // namespace

TEST_CASE("an SOS press reaches hearth/alerts and is claimed and resolved over HTTP",
          "[e2e][alerts]") {
  temp_dir dir;
  const auto broker_port = free_port();
  const auto http_port = free_port();
  std::ofstream(dir.file("mosquitto.conf"))
      << fmt::format("listener {} 127.0.0.1\nallow_anonymous true\n", broker_port);
  child broker({"/usr/sbin/mosquitto", "-c", dir.file("mosquitto.conf")},
               dir.file("mosquitto.log"));

  std::ofstream(dir.file("hearth.yaml")) << fmt::format(
      "timezone: Asia/Shanghai\n"
      "database: {}\n"
      "devices_dir: {}\n"
      "rules_dir: {}\n"
      "registry_dir: {}\n"
      "mqtt: {{ uri: \"tcp://127.0.0.1:{}\", client_id: hearthd-e2e }}\n"
      "http: {{ listen: \"127.0.0.1:{}\" }}\n"
      "audit: {{ key_file: {} }}\n",
      dir.file("hearth.db"), HEARTH_SOURCE_DIR "/devices", HEARTH_SOURCE_DIR "/rules",
      HEARTH_TEST_DATA "/registry", broker_port, http_port, dir.file("audit.key"));
  const std::string audit_key = "e2e-audit-key-0123456789abcdef";
  std::ofstream(dir.file("audit.key")) << audit_key << "\n";
  const auto op_wang = hearth::test::add_user(dir.file("hearth.yaml"), "op-wang", "operator");
  const auto op_li = hearth::test::add_user(dir.file("hearth.yaml"), "op-li", "operator");
  REQUIRE(!op_wang.empty());
  REQUIRE(!op_li.empty());
  child daemon({HEARTHD_BINARY, "run", "--config", dir.file("hearth.yaml")},
               dir.file("hearthd.log"));

  // Ready means: HTTP answers and the ingest client is connected and subscribed.
  REQUIRE(eventually(
      [&] {
        const auto r = request(http_port, http::verb::get, "/healthz");
        return r.status == 200 && r.body.find("\"mqtt_connected\":true") != std::string::npos;
      },
      20s));

  mqtt::async_client watcher(fmt::format("tcp://127.0.0.1:{}", broker_port), "e2e-watcher");
  watcher.start_consuming();
  watcher.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
  REQUIRE(watcher.is_connected());
  watcher.subscribe("hearth/alerts/#", 1)->wait_for(10s);

  mqtt::async_client device(fmt::format("tcp://127.0.0.1:{}", broker_port), "e2e-sos-button");
  device.connect()->wait_for(10s);
  REQUIRE(device.is_connected());
  // The subscription of hearthd is made right after it connects; the health check above
  // says connected, so give the SUBACK a moment by retrying the press until an alert shows.
  json::object opened;
  REQUIRE(eventually(
      [&] {
        device
            .publish("zigbee2mqtt/0x00158d0008a1b2c3",
                     std::string(R"({"action":"emergency","battery":92})"), 1, false)
            ->wait_for(5s);
        auto msg = watcher.try_consume_message_for(2s);
        if (!msg) return false;
        opened = json::parse(msg->get_payload_str()).as_object();
        return msg->get_topic() == "hearth/alerts/" + std::string(opened.at("id").as_string());
      },
      20s));

  const std::string id(opened.at("id").as_string());
  CHECK(opened.at("rule") == "sos-pressed");
  CHECK(opened.at("priority") == 1);
  CHECK(opened.at("state") == "open");
  CHECK(opened.at("subject").as_object().at("device_id") == "sos-3-502");
  CHECK(opened.at("subject").as_object().at("resident_ids").as_array().size() == 1);
  CHECK(opened.size() == 13);  // exactly the alert JSON of DESIGN.md
  const auto raw = json::serialize(opened);
  CHECK(raw.find("Example Resident") == std::string::npos);  // no names over MQTT
  CHECK(raw.find("+86") == std::string::npos);               // no phones either

  auto claim = request(http_port, http::verb::post, "/api/v1/alerts/" + id + "/claim",
                       R"({"note":"calling"})", op_wang);
  REQUIRE(claim.status == 200);
  // Later messages may include repeats of the press above; skip to the claim.
  json::object acked;
  REQUIRE(eventually(
      [&] {
        acked = next_alert(watcher);
        return acked.at("state") == "acknowledged";
      },
      10s));
  CHECK(acked.at("assignee") == "op-wang");

  auto resolve = request(http_port, http::verb::post, "/api/v1/alerts/" + id + "/resolve",
                         R"({"outcome":"help-arrived","note":"neighbour went in"})", op_wang);
  REQUIRE(resolve.status == 200);
  json::object resolved;
  REQUIRE(eventually(
      [&] {
        resolved = next_alert(watcher);
        return resolved.at("state") == "resolved";
      },
      10s));
  CHECK(resolved.at("outcome") == "help-arrived");
  CHECK(resolved.at("id").as_string() == id);

  auto again = request(http_port, http::verb::post, "/api/v1/alerts/" + id + "/claim", "", op_li);
  CHECK(again.status == 409);

  auto detail = request(http_port, http::verb::get, "/api/v1/alerts/" + id, "", op_li);
  REQUIRE(detail.status == 200);
  const auto d = json::parse(detail.body).as_object();
  std::vector<std::string> actions;
  for (const auto& e : d.at("timeline").as_array())
    actions.emplace_back(e.as_object().at("action").as_string());
  CHECK(std::find(actions.begin(), actions.end(), "opened") != actions.end());
  CHECK(std::find(actions.begin(), actions.end(), "claimed") != actions.end());
  CHECK(actions.back() == "resolved");

  // The audit head (issue 18, defect 4): retained on hearth/audit/head, signed with the
  // key of audit.key_file, and reaching the resolved alert.
  mqtt::async_client auditor(fmt::format("tcp://127.0.0.1:{}", broker_port), "e2e-auditor");
  auditor.start_consuming();
  auditor.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait_for(10s);
  REQUIRE(auditor.is_connected());
  auditor.subscribe("hearth/audit/head", 1)->wait_for(10s);
  std::optional<hearth::store::audit_head> head;
  REQUIRE(eventually(
      [&] {
        auto msg = auditor.try_consume_message_for(2s);
        if (!msg) return false;
        std::string why;
        head = hearth::store::parse_head(msg->get_payload_str(), why);
        return head && head->last_alert_id == std::stoull(id) && head->rows >= 6;
      },
      10s));
  CHECK(hearth::store::head_hmac(*head, audit_key) == head->hmac);
  auditor.disconnect()->wait_for(5s);

  watcher.disconnect()->wait_for(5s);
  device.disconnect()->wait_for(5s);
  const int status = daemon.stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // What was published is an anchor `audit verify` checks the chain against; so is the
  // head hearthd left beside the database.
  hearth::test::temp_dir scratch;
  auto verified = hearth::test::run_command(
      {HEARTHD_BINARY, "audit", "verify", "--config", dir.file("hearth.yaml"), "--head",
       hearth::store::head_json(*head)},
      scratch);
  INFO(verified.output);
  CHECK(verified.status == 0);
  CHECK(verified.output.find("it reaches the head in --head") != std::string::npos);
  verified = hearth::test::run_command(
      {HEARTHD_BINARY, "audit", "verify", "--config", dir.file("hearth.yaml")}, scratch);
  CHECK(verified.status == 0);
  CHECK(verified.output.find("it reaches the head in " + dir.file("hearth.db") + ".head") !=
        std::string::npos);

  // The trail the daemon wrote verifies.
  const auto verify = fmt::format("{} audit verify --config {} > {} 2>&1", HEARTHD_BINARY,
                                  dir.file("hearth.yaml"), dir.file("verify.log"));
  CHECK(std::system(verify.c_str()) == 0);
}
