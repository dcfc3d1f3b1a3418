// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite_file.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace hearth::store {

std::string not_writable(const std::string& path) {
  namespace fs = std::filesystem;
  if (path == ":memory:") return {};
  auto dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return fmt::format(
        "{} is on a file system mounted read-only: hearthd writes every alert "
        "there. Remount it read-write, or set `database:` to a writable place",
        path);
  const auto who = fmt::format("uid {}", ::geteuid());
  for (const char* tail : {"", "-wal", "-shm"}) {
    const auto file = path + tail;
    std::error_code ec;
    if (fs::exists(file, ec) && ::access(file.c_str(), W_OK) != 0)
      return fmt::format(
          "{} is read-only for the user hearthd runs as ({}): {}. hearthd writes "
          "every alert there; give that user (the unit's User=hearth) write "
          "permission, e.g. chown hearth: {}",
          file, who, std::strerror(errno), file);
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return fmt::format(
        "the folder {} is read-only for the user hearthd runs as ({}): {}. "
        "SQLite makes {}-wal and {}-shm there; give that user write permission "
        "on the folder (the unit's StateDirectory=hearth does)",
        dir.string(), who, std::strerror(errno), path, path);
  return {};
}

std::string check_database_file(const std::string& path, bool full_check) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path == ":memory:" || !fs::exists(path, ec)) return {};
  if (fs::is_directory(path, ec)) return fmt::format("{} is a folder, not a database file", path);
  sqlite3* db = nullptr;
  // Read-only, so a damaged file is never touched (no WAL recovery is written back either).
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::string problem;
  auto ask = [&](const char* sql, std::string* first) {
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_ROW && first) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        *first = t ? t : "";
      }
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) problem = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    return rc == SQLITE_OK;
  };
  if (rc != SQLITE_OK) {
    problem = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  } else {
    std::string verdict, version;
    if (ask("SELECT count(*) FROM sqlite_schema", nullptr) &&
        ask("PRAGMA user_version", &version) &&
        ask(full_check ? "PRAGMA quick_check(1)" : "PRAGMA user_version", &verdict) && full_check &&
        verdict != "ok")
      problem = verdict;
    // A newer hearthd wrote it: this one would misread its tables (issue 18, defect 6).
    if (problem.empty() && rc == SQLITE_OK && !version.empty() &&
        std::stoll(version) > latest_schema_version())
      problem = fmt::format(
          "its schema version {} is newer than this hearthd's ({}): it was written by a newer "
          "release; run that release, or restore a backup made by this one",
          version, latest_schema_version());
  }
  sqlite3_close_v2(db);
  if (problem.empty() && rc == SQLITE_BUSY) return {};  // locked by a running peer: not damage
  return problem.empty() ? std::string() : fmt::format("{}: {}", path, problem);
}

std::string empty_or_truncated(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path == ":memory:" || !fs::is_regular_file(path, ec)) return {};
  const auto size = fs::file_size(path, ec);
  if (ec) return {};
  if (size == 0) return fmt::format("{} is 0 bytes: it holds no database", path);
  std::ifstream in(path, std::ios::binary);
  unsigned char h[100] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  const auto got = static_cast<std::size_t>(in.gcount());
  static constexpr char k_magic[] = "SQLite format 3";          // with its NUL: 16 bytes
  if (got < 16 || std::memcmp(h, k_magic, 16) != 0) return {};  // not SQLite: not ours to say
  if (got < sizeof h)
    return fmt::format("{} is {} bytes, shorter than a database header: it was cut short", path,
                       size);
  std::uint64_t page = (std::uint64_t{h[16]} << 8) | h[17];
  if (page == 1) page = 65536;
  auto be32 = [&](int at) {
    return (std::uint32_t{h[at]} << 24) | (std::uint32_t{h[at + 1]} << 16) |
           (std::uint32_t{h[at + 2]} << 8) | std::uint32_t{h[at + 3]};
  };
  // The header's page count is to be believed only when "version-valid-for" matches the
  // change counter (SQLite's file format, section 1.3.7).
  const std::uint64_t pages = be32(92) == be32(24) ? be32(28) : 0;
  if (size < page || size % page != 0 || size < pages * page)
    return fmt::format(
        "{} is {} bytes, but its header says {} pages of {} bytes ({} bytes): it was cut short",
        path, size, pages, page, pages * page);
  return {};
}

std::string move_aside(const std::string& path, const std::string& suffix) {
  namespace fs = std::filesystem;
  const auto to = path + "." + suffix;
  for (const char* tail : {"", "-wal", "-shm", ".head"}) {
    std::error_code ec;
    if (!fs::exists(path + tail, ec)) continue;
    fs::rename(path + tail, to + tail, ec);
    if (ec)
      throw store_error(errc::cantopen, fmt::format("cannot move {}{} to {}{}: {}", path, tail, to,
                                                    tail, ec.message()));
  }
  return to;
}

std::string wal_note(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto wal = path + "-wal";
  const auto wal_size = fs::file_size(wal, ec);
  if (ec || wal_size == 0) return {};
  std::ifstream in(path, std::ios::binary);
  unsigned char header[18] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return {};
  std::uint32_t page = (header[16] << 8) | header[17];
  if (page == 1) page = 65536;
  if (page < 512) return {};
  if (wal_size >= 32 && (wal_size - 32) % (page + 24) == 0) return {};
  return fmt::format(
      "{} is {} bytes, not a whole number of {}-byte frames: it was cut short (a crash or a "
      "full disk); SQLite ignores the incomplete tail, so transactions in it are gone",
      wal, wal_size, page + 24);
}

void backup(const std::string& source, const std::string& dest, int pages_per_step) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dest, ec))
    throw store_error(errc::cantopen,
                      fmt::format("{} exists; a backup never overwrites a file", dest));
  sqlite_connection src(source);
  sqlite3* out = nullptr;
  int rc = sqlite3_open_v2(dest.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = out ? sqlite3_errmsg(out) : sqlite3_errstr(rc);
    sqlite3_close(out);
    throw store_error(sqlite_errc(rc), fmt::format("cannot create {}: {}", dest, msg));
  }
  sqlite3_backup* b = sqlite3_backup_init(out, "main", src.raw(), "main");
  if (!b) {
    std::string msg = sqlite3_errmsg(out);
    sqlite3_close(out);
    fs::remove(dest, ec);
    throw store_error(errc::error, fmt::format("backup: {}", msg));
  }
  // A step holds a read lock on the source for `pages_per_step` pages only; between steps
  // the daemon writes freely. A write by another connection restarts the copy from the
  // start (SQLite's rule), so a busy daemon needs a few passes; BUSY/LOCKED just wait.
  do {
    rc = sqlite3_backup_step(b, pages_per_step);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  const std::string msg = sqlite3_errmsg(out);
  if (rc == SQLITE_DONE) {
    // The copy is a self-contained file: rollback journal mode, no -wal beside it.
    char* err = nullptr;
    rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
  sqlite3_close(out);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    fs::remove(dest, ec);
    throw store_error(sqlite_errc(rc), fmt::format("backup to {} failed: {}", dest, msg));
  }
}

}  // namespace hearth::store
