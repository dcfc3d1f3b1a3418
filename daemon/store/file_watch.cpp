// SPDX-License-Identifier: Apache-2.0
#include "store/file_watch.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

namespace hearth::store {

file_watch::file_watch(std::string database)
    : database_(std::move(database)),
      db_(identify(database_)),
      wal_(identify(database_ + "-wal")) {}

std::optional<file_watch::identity> file_watch::identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity{st.st_dev, st.st_ino};
}

const std::string& file_watch::check() {
  if (!problem_.empty()) return problem_;
  constexpr const char* k_after =
      "writes since then would be lost; alerts are kept in memory and still published. Stop "
      "hearthd, restore the database (README, \"Storage and privacy\") and start it again";
  const auto db = identify(database_);
  if (db_ && !db)
    problem_ = fmt::format("{} was removed while hearthd had it open: {}", database_, k_after);
  else if (db_ && db && !(*db == *db_))
    problem_ = fmt::format("{} was replaced by another file while hearthd had it open: {}",
                           database_, k_after);
  if (!problem_.empty()) return problem_;
  const auto wal = identify(database_ + "-wal");
  if (wal_ && !wal)
    problem_ = fmt::format("{}-wal was removed while hearthd had it open: {}", database_, k_after);
  else if (wal_ && wal && !(*wal == *wal_))
    problem_ = fmt::format("{}-wal was replaced by another file while hearthd had it open: {}",
                           database_, k_after);
  else if (!wal_ && wal)
    wal_ = wal;  // SQLite made it at the first write
  return problem_;
}

}  // namespace hearth::store
