// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The writer's cache of `device_keys`: registry device_id → the integer key its readings
/// are stored under. With a million reporting devices it is the writer's largest structure,
/// so it is kept flat: every id and its key in 1 MiB blocks of text that never move, and an
/// open-addressing table of 8-byte slots (where the entry is, and 32 bits of its hash).
/// About 40 bytes a device, where a `std::unordered_map<std::string, std::int64_t>` takes
/// about 75.
///
/// Threading: one thread (the writer's). An id longer than 255 bytes (the registry sets no
/// limit, though none is that long) is kept in an ordinary map beside the table.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hearth::store {

class key_cache {
 public:
  std::optional<std::int64_t> find(std::string_view id) const;
  /// Adds `id`, or changes its key.
  void put(std::string_view id, std::int64_t key);
  /// Forgets `id` (a key made in a transaction that rolled back). The text it took stays
  /// until the cache is dropped: rollbacks are rare.
  void erase(std::string_view id);
  std::size_t size() const { return size_ + long_ids_.size(); }
  /// Bytes held: the table and the text blocks.
  std::size_t bytes() const;

  static constexpr std::size_t k_max_id = 255;
  static constexpr std::size_t k_block = std::size_t{1} << 20;

 private:
  struct slot {
    std::uint32_t at = k_empty;  ///< offset of the entry in the text (block * k_block + offset)
    std::uint32_t hash = 0;      ///< 32 bits of the id's hash: its first slot, and a quick check
  };
  static constexpr std::uint32_t k_empty = 0xffff'ffff;

  /// The slot holding `id`, or the empty slot where it would go.
  std::size_t probe(std::string_view id, std::uint32_t hash) const;
  /// The entry at offset `at` of the text: [length: 1 byte][the id][its key: 8 bytes].
  char* entry_at(std::uint32_t at) const;
  std::string_view id_at(std::uint32_t at) const;
  std::int64_t key_at(std::uint32_t at) const;
  std::uint32_t append(std::string_view id, std::int64_t key);
  void grow();

  /// The slot an entry with this hash is looked for first.
  std::size_t home(std::uint32_t hash) const {
    return static_cast<std::size_t>((std::uint64_t{hash} * slots_.size()) >> 32);
  }
  std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }

  std::vector<slot> slots_;  ///< at most 80 % full; grows by half
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = k_block;  ///< bytes used in the last block (full: none yet)
  std::size_t size_ = 0;        ///< entries in the table
  std::unordered_map<std::string, std::int64_t> long_ids_;  ///< ids past k_max_id bytes
};

}  // namespace hearth::store
