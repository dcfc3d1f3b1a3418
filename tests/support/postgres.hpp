// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A throwaway PostgreSQL 15 cluster for tests: `initdb` in a temporary folder and
/// `postgres` on a free loopback port (and a Unix socket in that folder), stopped and removed
/// at the end. initdb and postgres refuse to run as root, and the tests run as root: then
/// both run as the unprivileged `postgres` user (setpriv), which owns the folder.
///
/// `shared()` is one cluster for the whole test run: when HEARTH_TEST_PG names a folder
/// holding a cluster (ctest starts one there as a fixture, see tests/CMakeLists.txt), every
/// test process uses it, so a run pays initdb once; otherwise the process starts its own on
/// first use. Each test takes a fresh database on it (`fresh_database`).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hearth::test {

class temp_dir;

/// The two store backends, for tests that run on both (`GENERATE(backends())`).
enum class backend { sqlite, postgresql };
inline const char* backend_name(backend b) {
  return b == backend::sqlite ? "sqlite" : "postgresql";
}
/// A fresh, empty database: a SQLite file in `dir`, or a new database on the shared cluster.
std::string fresh_database(backend b, const temp_dir& dir, const std::string& file = "hearth.db");

/// The first column of every row of `sql` on the database at `uri`, as integers (empty
/// when the query fails). For looking into a running node's database.
std::vector<std::int64_t> pg_query_ints(const std::string& uri, const std::string& sql);

class pg_cluster {
 public:
  /// `fsync`: off for tests (nothing here survives a crash of the machine anyway); benches
  /// keep PostgreSQL's defaults.
  /// `dir`: where (default: a new folder under /tmp).
  explicit pg_cluster(bool fsync = false, std::filesystem::path dir = {});
  ~pg_cluster();  ///< stops the server (fast shutdown) and removes the folder, unless kept

  /// The cluster that another process started in `dir` (its `port` file); not stopped here.
  static std::unique_ptr<pg_cluster> attach(const std::filesystem::path& dir);
  /// Leaves the server running and the folder in place at destruction (ctest's fixture).
  void keep() { kept_ = true; }
  pg_cluster(const pg_cluster&) = delete;
  pg_cluster& operator=(const pg_cluster&) = delete;

  static pg_cluster& shared();

  unsigned short port() const { return port_; }
  /// postgresql://postgres@127.0.0.1:PORT/DB
  std::string uri(const std::string& db = "postgres") const;
  /// Creates a new empty database (hearth_1, hearth_2, ...) and returns its URI.
  std::string fresh_database();

  /// pg_ctl stop -m fast (connections are closed) / start; `restart` is both.
  void stop();
  void start();
  bool running() const { return running_; }
  /// The server's log (for INFO in a failing test).
  std::string log() const;

 private:
  struct attached {};
  explicit pg_cluster(attached) {}
  void pg_ctl(const std::vector<std::string>& args);
  std::filesystem::path dir_, bin_;
  bool kept_ = false;
  unsigned short port_ = 0;
  bool running_ = false;
  bool as_postgres_ = false;
  int databases_ = 0;
};

}  // namespace hearth::test
