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

#include "store/sql.hpp"

namespace hearth::store {
namespace {

void write_all_synced(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw store_error(errc::cantopen,
                      fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok)
    throw store_error(errc::full, fmt::format("cannot write {}: {}", path, std::strerror(err)));
}

void sync_folder(const std::string& file) {
  auto dir = std::filesystem::path(file).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

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
  const auto tmp = path_ + ".tmp";
  write_all_synced(tmp, fmt::format("{}\n", want));
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec)
    throw store_error(errc::cantopen, fmt::format("cannot replace {}: {}", path_, ec.message()));
  sync_folder(path_);
  reserved_ = want;
}

void id_floor::release_unused() noexcept {
  if (highest_covered_ == 0 || highest_covered_ >= reserved_) return;
  try {
    const auto tmp = path_ + ".tmp";
    write_all_synced(tmp, fmt::format("{}\n", highest_covered_));
    std::error_code ec;
    std::filesystem::rename(tmp, path_, ec);
    if (ec) return;
    sync_folder(path_);
    reserved_ = highest_covered_;
  } catch (const std::exception&) {
    // The larger reservation stays: ids are skipped, never repeated.
  }
}

}  // namespace hearth::store
