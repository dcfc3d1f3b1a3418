// SPDX-License-Identifier: Apache-2.0
#include "store/id_floor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "store/audit_head.hpp"
#include "store/sql.hpp"

namespace hearth::store {

id_floor::id_floor(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_);
  if (!in) return;
  std::string text((std::istreambuf_iterator<char>(in)), {});
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  if (text.empty()) return;  // a crash between create and write: the database's MAX(id) holds
  std::size_t used = 0;
  try {
    reserved_ = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size())
    throw store_error(errc::corrupt,
                      fmt::format("{} should hold the highest alert id handed out, and holds "
                                  "\"{}\"; remove it only if the database is whole",
                                  path_, text.substr(0, 40)));
}

void id_floor::cover(std::uint64_t id) {
  highest_covered_ = std::max(highest_covered_, id);
  if (id <= reserved_) return;
  const auto want = id + k_block - 1;
  replace_file_synced(path_, fmt::format("{}\n", want));
  reserved_ = want;
}

void id_floor::release_unused() noexcept {
  if (highest_covered_ == 0 || highest_covered_ >= reserved_) return;
  try {
    replace_file_synced(path_, fmt::format("{}\n", highest_covered_));
    reserved_ = highest_covered_;
  } catch (const std::exception&) {
    // The larger reservation stays: ids are skipped, never repeated.
  }
}

}  // namespace hearth::store
