// SPDX-License-Identifier: Apache-2.0
#include "support/postgres.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <stdexcept>

#include "store/postgres.hpp"
#include "support/harness.hpp"

namespace hearth::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

fs::path postgres_bindir() {
  for (const char* d : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"})
    if (fs::exists(fs::path(d) / "initdb")) return d;
  throw std::runtime_error("PostgreSQL server binaries not found (apt-get install postgresql-15)");
}

/// Runs a command to completion, as the postgres user when asked; throws with its output
/// when it fails.
void run_as(bool as_postgres, std::vector<std::string> argv, const fs::path& log,
            std::chrono::milliseconds limit = 60s) {
  if (as_postgres)
    argv.insert(argv.begin(),
                {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"});
  process p(argv, log);
  const auto rc = p.wait(limit);
  if (rc != std::optional<int>(0))
    throw std::runtime_error(
        fmt::format("{} failed ({}): {}", argv[as_postgres ? 5 : 0], rc ? *rc : -1, p.log()));
}

}  // namespace

pg_cluster::pg_cluster(bool fsync, fs::path dir) : bin_(postgres_bindir()), port_(free_port()) {
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "hearth-pg-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  } else {
    std::error_code ec;
    fs::remove_all(dir, ec);  // a cluster left by an interrupted run
    fs::create_directories(dir);
    dir_ = dir;
  }
  as_postgres_ = geteuid() == 0;
  if (as_postgres_) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("no 'postgres' user to run PostgreSQL as (not root)");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("cannot give the cluster folder to postgres");
  }
  run_as(as_postgres_,
         {(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", "postgres",
          "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"},
         dir_ / "initdb.log");
  write_file(dir_ / "data" / "postgresql.auto.conf",
             fmt::format("port = {}\nlisten_addresses = '127.0.0.1'\n"
                         "unix_socket_directories = '{}'\nfsync = {}\nmax_connections = 200\n"
                         "shared_buffers = '64MB'\n",
                         port_, dir_.string(), fsync ? "on" : "off"));
  if (as_postgres_) {
    const passwd* pw = getpwnam("postgres");
    (void)chown((dir_ / "data" / "postgresql.auto.conf").c_str(), pw->pw_uid, pw->pw_gid);
  }
  start();
  write_file(dir_ / "port", std::to_string(port_));
}

pg_cluster::~pg_cluster() {
  if (kept_) return;
  try {
    if (running_) stop();
  } catch (...) {
  }
  std::error_code ec;
  if (!std::getenv("HEARTH_KEEP_TEST_DIRS")) fs::remove_all(dir_, ec);
}

std::unique_ptr<pg_cluster> pg_cluster::attach(const fs::path& dir) {
  const auto port = read_file(dir / "port");
  if (port.empty()) return nullptr;
  std::unique_ptr<pg_cluster> c(new pg_cluster(attached{}));
  c->dir_ = dir;
  c->bin_ = postgres_bindir();
  c->port_ = static_cast<unsigned short>(std::stoi(port));
  c->as_postgres_ = geteuid() == 0;
  c->running_ = true;
  c->kept_ = true;
  return c;
}

pg_cluster& pg_cluster::shared() {
  static std::unique_ptr<pg_cluster> cluster = [] {
    if (const char* d = std::getenv("HEARTH_TEST_PG"); d && *d)
      if (auto c = attach(d)) return c;
    return std::make_unique<pg_cluster>();
  }();
  return *cluster;
}

void pg_cluster::pg_ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{
      (bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-w", "-t", "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  run_as(as_postgres_, argv, dir_ / "pg_ctl.log", 90s);
}

void pg_cluster::start() {
  pg_ctl({"-l", (dir_ / "server.log").string(), "start"});
  running_ = true;
}

void pg_cluster::stop() {
  pg_ctl({"-m", "fast", "stop"});
  running_ = false;
}

std::string pg_cluster::log() const {
  return read_file(dir_ / "server.log");
}

std::string pg_cluster::uri(const std::string& db) const {
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, db);
}

std::string pg_cluster::fresh_database() {
  // Unique across the processes that share the cluster.
  const auto name = fmt::format("hearth_{}_{}", ::getpid(), ++databases_);
  store::pg_connection admin(uri());
  admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", name));
  admin.exec(fmt::format("CREATE DATABASE {}", name));
  return uri(name);
}

std::vector<std::int64_t> pg_query_ints(const std::string& uri, const std::string& sql) {
  std::vector<std::int64_t> out;
  try {
    store::pg_connection c(uri);
    auto st = c.prepare(sql);
    while (st.step())
      out.push_back(st.int64(0));
  } catch (const store::store_error&) {
    out.clear();
  }
  return out;
}

std::string fresh_database(backend b, const temp_dir& dir, const std::string& file) {
  if (b == backend::sqlite) return (dir / file).string();
  return pg_cluster::shared().fresh_database();
}

}  // namespace hearth::test
