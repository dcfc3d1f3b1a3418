// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Notices a SQLite file, or its -wal, removed or replaced under a running hearthd (issue
/// 18, defect 1). `rm hearth.db-wal` while hearthd runs does not stop SQLite: it goes on
/// writing to the unlinked file, every commit "succeeds", and all of it is gone at the next
/// start. So the files' device and inode are taken when the store opens (the -wal's when it
/// first appears) and compared on each `check()`.
///
/// One thread at a time (the store's). Pure file metadata: no SQL.

#include <sys/types.h>

#include <optional>
#include <string>

namespace hearth::store {

class file_watch {
 public:
  /// Starts watching `database` and `database-wal` as they are now.
  explicit file_watch(std::string database);
  /// Empty while both files are the ones first seen; else what happened, once and for
  /// good ("hearth.db-wal was removed while hearthd had it open: ..."). A missing -wal that
  /// was never seen is fine (SQLite makes it at the first write).
  const std::string& check();
  const std::string& problem() const { return problem_; }

 private:
  struct identity {
    dev_t dev;
    ino_t ino;
    bool operator==(const identity&) const = default;
  };
  static std::optional<identity> identify(const std::string& path);
  std::string database_;
  std::optional<identity> db_, wal_;
  std::string problem_;
};

}  // namespace hearth::store
