// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Alert ids are never given twice (issue 18, defect 1): a SQLite database whose -wal was
/// deleted, or that was restored from an older backup, has forgotten its newest alerts, and
/// `MAX(id) + 1` would hand the next SOS the id of an alert that operators, webhooks and
/// the audit trail already know. So the highest id ever handed out is also kept in a small
/// file beside the database (`<database>.ids`), which a lost WAL or a restored backup does
/// not take with it.
///
/// Ids are reserved in blocks of `k_block`: the file is rewritten (written, fsynced,
/// renamed over, the folder fsynced) once per block, before the first alert of the block is
/// written, so a crash can skip ids but never repeat one. A clean stop gives the unused
/// part of the block back.
///
/// SQLite files only: a PostgreSQL server keeps its own WAL, and its alert ids can come
/// from a sequence, which never goes back either. One thread at a time (the store's).

#include <cstdint>
#include <string>

namespace hearth::store {

class id_floor {
 public:
  static constexpr std::uint64_t k_block = 64;

  /// Reads `path` if it exists (a missing file is 0). Throws store_error on a file that
  /// is not one number.
  explicit id_floor(std::string path);

  /// Every id at or below this was (or may have been) handed out.
  std::uint64_t reserved() const { return reserved_; }
  /// Makes sure `id` is covered, rewriting the file when it is not. Throws store_error.
  void cover(std::uint64_t id);
  /// On a clean stop: gives back the unused part of the block, so that a restart does not
  /// skip ids. Only ever lowers the file to an id that `cover` was given. Never throws.
  void release_unused() noexcept;

 private:
  std::string path_;
  std::uint64_t reserved_ = 0;
  std::uint64_t highest_covered_ = 0;  ///< by this process
};

}  // namespace hearth::store
