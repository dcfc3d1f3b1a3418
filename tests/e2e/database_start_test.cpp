// SPDX-License-Identifier: Apache-2.0
// Issue 18, defect 6: a 0-byte database file started silently as an empty new database
// (no alerts, no users). A missing file is a first start; an existing empty or cut-short
// file is refused with exit 65 and left as it was, unless `hearthd run --init`; a database
// whose schema is newer than the binary is refused even then. Also: a read-only database
// at start is refused with a message that names the cause.
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace hearth::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A database made and migrated by a real hearthd that then stopped cleanly.
void first_start(const temp_dir& dir, const broker& b) {
  daemon_process first(dir, b);
  first.wait_ready();
  first.proc().signal(SIGTERM);
  REQUIRE(first.proc().wait(20s) == 0);
}

/// `hearthd run` (with `extra` flags) that is expected to exit by itself; its code and log.
std::pair<std::optional<int>, std::string> run_refused(const temp_dir& dir,
                                                       std::vector<std::string> extra = {}) {
  static int n = 0;
  std::vector<std::string> argv{HEARTHD_BINARY, "run"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"--config", (dir / "hearth.yaml").string()});
  process p(argv, dir / ("run-" + std::to_string(++n) + ".log"));
  auto code = p.wait(30s);
  return {code, p.log()};
}

}  // namespace

TEST_CASE("a 0-byte database file is refused with exit 65 unless run --init",
          "[e2e][store][start]") {
  temp_dir dir;
  broker mosquitto(dir);
  first_start(dir, mosquitto);
  const auto db = dir / "hearth.db";
  fs::remove(dir / "hearth.db-wal");
  fs::remove(dir / "hearth.db-shm");
  write_file(db, "");

  const auto [code, log] = run_refused(dir);
  INFO(log);
  CHECK(code == 65);
  CHECK_THAT(log, Catch::Contains("is 0 bytes"));
  CHECK_THAT(log, Catch::Contains("hearthd run --init"));
  CHECK(fs::file_size(db) == 0);  // left as it was

  // With --init it starts on a new database, and the empty file is kept beside it.
  process p({HEARTHD_BINARY, "run", "--init", "--config", (dir / "hearth.yaml").string()},
            dir / "init.log");
  const auto port = [&] {
    const auto cfg = read_file(dir / "hearth.yaml");
    const auto at = cfg.find("127.0.0.1:", cfg.find("listen"));
    return static_cast<unsigned short>(std::stoi(cfg.substr(at + 10)));
  }();
  CHECK(eventually([&] { return http_get(port, "/healthz").status == 200; }, 20s));
  INFO(p.log());
  CHECK_THAT(p.log(), Catch::Contains("--init: moved it to"));
  std::size_t kept = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (e.path().filename().string().starts_with("hearth.db.cut-")) kept += fs::file_size(e) == 0;
  CHECK(kept == 1);
  p.signal(SIGTERM);
  CHECK(p.wait(20s) == 0);
  store::sqlite_connection c(db.string());
  CHECK(store::schema_version(c) == store::latest_schema_version());
}

TEST_CASE("a database file cut short is refused with exit 65 and left as it was",
          "[e2e][store][start]") {
  temp_dir dir;
  broker mosquitto(dir);
  first_start(dir, mosquitto);
  const auto db = dir / "hearth.db";
  std::string bytes = read_file(db);
  REQUIRE(bytes.size() >= 8 * 4096);
  bytes.resize(bytes.size() / 2);  // a copy that stopped half way
  write_file(db, bytes);

  const auto [code, log] = run_refused(dir);
  INFO(log);
  CHECK(code == 65);
  CHECK_THAT(log, Catch::Contains("it was cut short"));
  CHECK(read_file(db) == bytes);
}

TEST_CASE("a database whose schema is newer than hearthd is refused with exit 65, even with --init",
          "[e2e][store][start]") {
  temp_dir dir;
  broker mosquitto(dir);
  first_start(dir, mosquitto);
  const auto db = dir / "hearth.db";
  {
    store::sqlite_connection c(db.string());
    c.exec("PRAGMA user_version=" + std::to_string(store::latest_schema_version() + 1));
  }
  const auto before = read_file(db);
  for (const std::vector<std::string>& flags : {std::vector<std::string>{}, {"--init"}}) {
    const auto [code, log] = run_refused(dir, flags);
    INFO(log);
    CHECK(code == 65);
    CHECK_THAT(log, Catch::Contains("is newer than this hearthd's"));
  }
  CHECK(read_file(db) == before);
}

TEST_CASE("a -wal removed under the running daemon turns /healthz to failing, with the reason",
          "[e2e][store][files]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  publish(mosquitto.uri(), "zigbee2mqtt/0x00158d0008a1b2c3",
          R"({"action":"emergency","battery":88})");
  const auto wal = hearthd.database().string() + "-wal";
  REQUIRE(eventually([&] { return fs::exists(wal); }));
  CHECK(http_get(hearthd.http_port(), "/healthz").status == 200);
  fs::remove(wal);
  http_response h;
  REQUIRE(eventually([&] {
    h = http_get(hearthd.http_port(), "/healthz");
    return h.status == 503;
  }));
  CHECK_THAT(h.body, Catch::Contains("failing"));
  CHECK_THAT(h.body, Catch::Contains("-wal was removed"));
  // The operator still sees the SOS, and hearthd keeps running.
  CHECK(http_get(hearthd.http_port(), "/api/v1/alerts").body.find("sos-pressed") !=
        std::string::npos);
  CHECK(hearthd.proc().running());
}

TEST_CASE(
    "a database on a read-only file system is refused at start with a message naming "
    "the cause",
    "[e2e][store][start]") {
  temp_dir dir;
  temp_dir logs;
  const auto data = dir / "data";
  fs::create_directories(data);
  // A tmpfs of its own for the database, made read-only once the database is in it.
  struct tmpfs {
    fs::path at;
    bool mounted = false;
    explicit tmpfs(fs::path p) : at(std::move(p)) {
      mounted = ::mount("tmpfs", at.c_str(), "tmpfs", 0, "size=8m") == 0;
    }
    ~tmpfs() {
      if (mounted) ::umount(at.c_str());
    }
  } disk(data);
  if (!disk.mounted) {
    WARN("mount -t tmpfs failed (not root, or no mounts in this sandbox): not run");
    return;
  }
  const auto db = (data / "hearth.db").string();
  { store::store st(db); }  // a whole, migrated database
  write_file(dir / "hearth.yaml", "database: " + db +
                                      "\ndevices_dir: " HEARTH_SOURCE_DIR
                                      "/devices\nrules_dir: " HEARTH_SOURCE_DIR "/rules\n");
  REQUIRE(::mount(nullptr, data.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  process p({HEARTHD_BINARY, "run", "--config", (dir / "hearth.yaml").string()}, logs / "run.log");
  const auto code = p.wait(30s);
  INFO(p.log());
  CHECK(code == 1);
  CHECK_THAT(p.log(), Catch::Contains("cannot use database " + db + ": " + db +
                                      " is on a file system mounted read-only"));
}
