// SPDX-License-Identifier: Apache-2.0
#include "support/sqlite_peek.hpp"

#include <sqlite3.h>

namespace hearth::test {

namespace {
template <typename F>
bool each_row(const std::filesystem::path& db, const std::string& sql, F f) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return false;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  bool ok = sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK;
  int rc = SQLITE_ROW;
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
    f(st);
  ok = ok && rc == SQLITE_DONE;
  sqlite3_finalize(st);
  sqlite3_close(h);
  return ok;
}
}  // namespace

std::int64_t query_int(const std::filesystem::path& db, const std::string& sql) {
  std::int64_t n = -1;
  bool first = true;
  each_row(db, sql, [&](sqlite3_stmt* st) {
    if (first) n = sqlite3_column_int64(st, 0);
    first = false;
  });
  return n;
}

std::vector<std::int64_t> query_ints(const std::filesystem::path& db, const std::string& sql) {
  std::vector<std::int64_t> out;
  each_row(db, sql, [&](sqlite3_stmt* st) { out.push_back(sqlite3_column_int64(st, 0)); });
  return out;
}

std::set<std::string> query_texts(const std::filesystem::path& db, const std::string& sql) {
  std::set<std::string> out;
  each_row(db, sql, [&](sqlite3_stmt* st) {
    const auto* t = sqlite3_column_text(st, 0);
    out.insert(t ? reinterpret_cast<const char*>(t) : "");
  });
  return out;
}

}  // namespace hearth::test
