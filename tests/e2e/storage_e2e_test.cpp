// SPDX-License-Identifier: Apache-2.0
// The real hearthd against storage faults (issue 7): a database locked by another process
// turns /healthz to 503 "failing" with a detail and recovers by itself; a damaged file is
// refused at start (exit 65) and left as it was; `hearthd backup` copies the live database
// through the SQLite backup API, and the copy has the same rows and a verifiable trail.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <regex>

#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* k_sos_topic = "zigbee2mqtt/0x00158d0008a1b2c3";

std::int64_t scalar(const std::string& db, const std::string& sql) {
  store::sqlite_connection c(db);
  auto st = c.prepare(sql);
  st.step();
  return st.int64(0);
}

std::optional<int> run_cli(const temp_dir& dir, std::vector<std::string> args, std::string* log) {
  static int n = 0;
  const auto out = dir / ("cli-" + std::to_string(++n) + ".log");
  args.insert(args.begin(), HEARTHD_BINARY);
  process p(args, out);
  auto code = p.wait(60s);
  if (log) *log = p.log();
  return code;
}

}  // namespace

TEST_CASE("a locked database makes /healthz fail with a detail, and hearthd recovers by itself",
          "[e2e][store][faults]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  REQUIRE(http_get(hearthd.http_port(), "/healthz").status == 200);

  store::sqlite_connection other(hearthd.database().string());
  other.exec("BEGIN EXCLUSIVE");
  publish(mosquitto.uri(), k_sos_topic, R"({"action":"emergency","battery":88})");
  http_response h;
  REQUIRE(eventually([&] {
    h = http_get(hearthd.http_port(), "/healthz");
    return h.status == 503;
  }));
  const auto v = json::parse(h.body);
  CHECK(v.at("status") == "failing");
  CHECK_THAT(std::string(v.at("detail").as_string()), Catch::Contains("locked"));
  CHECK(metric_value(http_get(hearthd.http_port(), "/metrics").body, "hearth_store_healthy") == 0);
  // The operator still sees the SOS while the store is locked.
  CHECK(eventually([&] {
    return http_get(hearthd.http_port(), "/api/v1/alerts").body.find("sos-pressed") !=
           std::string::npos;
  }));
  CHECK(hearthd.proc().running());

  other.exec("COMMIT");  // the lock goes; no SQL, no restart
  REQUIRE(eventually([&] { return http_get(hearthd.http_port(), "/healthz").status == 200; }, 20s));
  CHECK(metric_value(http_get(hearthd.http_port(), "/metrics").body, "hearth_store_healthy") == 1);
  // What waited in memory is now on disk: the alert and its readings.
  CHECK(eventually([&] {
    return scalar(hearthd.database().string(), "SELECT COUNT(*) FROM alerts") == 1 &&
           scalar(hearthd.database().string(), "SELECT COUNT(*) FROM readings") >= 2;
  }));
  INFO(hearthd.proc().log());
  CHECK_THAT(hearthd.proc().log(), Catch::Contains("store FAILING"));
  CHECK_THAT(hearthd.proc().log(), Catch::Contains("store recovered"));
}

TEST_CASE("hearthd refuses to start on a damaged database file, with exit 65, and leaves it alone",
          "[e2e][store][faults]") {
  temp_dir dir;
  broker mosquitto(dir);
  {
    daemon_process first(dir, mosquitto);  // creates and migrates the file
    first.proc().signal(SIGTERM);
    REQUIRE(first.proc().wait(20s) == 0);
  }
  const auto db = dir / "hearth.db";
  std::string bytes = read_file(db);
  REQUIRE(bytes.size() > 4096);
  for (std::size_t i = 0; i < 64; ++i)
    bytes[i] = static_cast<char>(0x5A ^ i);
  write_file(db, bytes);
  std::string log;
  const auto code = run_cli(dir, {"run", "--config", (dir / "hearth.yaml").string()}, &log);
  INFO(log);
  CHECK(code == 65);
  CHECK_THAT(log, Catch::Contains("damaged"));
  CHECK_THAT(log, Catch::Contains("hearthd backup"));
  CHECK(read_file(db) == bytes);
}

TEST_CASE(
    "hearthd backup copies the running database; the copy has the same rows and a "
    "verifiable audit trail",
    "[e2e][store][backup]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  publish(mosquitto.uri(), k_sos_topic, R"({"action":"emergency","battery":88})");
  const auto live = hearthd.database().string();
  REQUIRE(eventually([&] {
    return scalar(live, "SELECT COUNT(*) FROM readings") >= 2 &&
           scalar(live, "SELECT COUNT(*) FROM audit") >= 1;
  }));
  const auto copy = (dir / "backup.db").string();
  std::string log;
  CHECK(run_cli(dir, {"backup", "--config", hearthd.config().string(), copy}, &log) == 0);
  INFO(log);
  CHECK_THAT(log, Catch::Contains("audit trail intact"));
  CHECK(hearthd.proc().running());
  for (const char* table : {"readings", "alerts", "audit", "residents", "devices"}) {
    const auto sql = std::string("SELECT COUNT(*) FROM ") + table;
    CHECK(scalar(copy, sql) == scalar(live, sql));
  }
  // A backup never overwrites.
  CHECK(run_cli(dir, {"backup", "--config", hearthd.config().string(), copy}, &log) == 1);
  CHECK_THAT(log, Catch::Contains("never overwrites"));
  // `hearthd audit verify` on the copy, through a config that names it.
  auto cfg = read_file(hearthd.config());
  cfg = std::regex_replace(cfg, std::regex("database: [^\n]*"), "database: " + copy);
  write_file(dir / "restore.yaml", cfg);
  CHECK(run_cli(dir, {"audit", "verify", "--config", (dir / "restore.yaml").string()}, &log) == 0);
  CHECK_THAT(log, Catch::Contains("audit trail intact"));
}

TEST_CASE(
    "hearthd residents export prints the person's data and audits it; erase refuses while "
    "the registry folder still lists them",
    "[e2e][store][privacy]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  std::string out;
  REQUIRE(run_cli(dir,
                  {"residents", "export", "R-1001", "--config", hearthd.config().string(),
                   "--actor", "dpo-chen"},
                  &out) == 0);
  const auto v = json::parse(out.substr(out.find('{')));
  CHECK(v.at("resident").at("name") == "Example Resident A");
  CHECK(scalar(hearthd.database().string(),
               "SELECT COUNT(*) FROM audit WHERE action = 'personal-data-exported' AND actor = "
               "'dpo-chen'") == 1);
  CHECK(run_cli(dir, {"residents", "export", "R-9999", "--config", hearthd.config().string()},
                &out) == 1);
  CHECK(run_cli(dir, {"residents", "erase", "R-1001", "--config", hearthd.config().string()},
                &out) == 1);
  CHECK_THAT(out, Catch::Contains("remove that line first"));
  CHECK(scalar(hearthd.database().string(),
               "SELECT COUNT(*) FROM residents WHERE resident_id = 'R-1001'") == 1);
}
