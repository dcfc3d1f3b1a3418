// SPDX-License-Identifier: Apache-2.0
#include "store/key_cache.hpp"

#include <cstring>
#include <functional>

namespace hearth::store {
namespace {

std::uint32_t hash_of(std::string_view id) {
  const auto h = std::hash<std::string_view>{}(id);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

}  // namespace

// An entry in the text: [length: 1 byte][the id][its key: 8 bytes, unaligned]. It never
// crosses a block, so an offset names it whole.

char* key_cache::entry_at(std::uint32_t at) const {
  return blocks_[at / k_block].get() + at % k_block;
}

std::string_view key_cache::id_at(std::uint32_t at) const {
  const char* p = entry_at(at);
  return {p + 1, static_cast<unsigned char>(*p)};
}

std::int64_t key_cache::key_at(std::uint32_t at) const {
  const auto id = id_at(at);
  std::int64_t key;
  std::memcpy(&key, id.data() + id.size(), sizeof key);
  return key;
}

std::uint32_t key_cache::append(std::string_view id, std::int64_t key) {
  const std::size_t need = 1 + id.size() + sizeof key;
  if (used_ + need > k_block) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(k_block));
    used_ = 0;
  }
  const auto at = static_cast<std::uint32_t>((blocks_.size() - 1) * k_block + used_);
  char* p = blocks_.back().get() + used_;
  *p = static_cast<char>(id.size());
  std::memcpy(p + 1, id.data(), id.size());
  std::memcpy(p + 1 + id.size(), &key, sizeof key);
  used_ += need;
  return at;
}

std::size_t key_cache::probe(std::string_view id, std::uint32_t hash) const {
  for (std::size_t i = home(hash);; i = next(i)) {
    const auto& s = slots_[i];
    if (s.at == k_empty || (s.hash == hash && id_at(s.at) == id)) return i;
  }
}

std::optional<std::int64_t> key_cache::find(std::string_view id) const {
  if (id.size() > k_max_id) {
    const auto it = long_ids_.find(std::string(id));
    return it == long_ids_.end() ? std::nullopt : std::optional(it->second);
  }
  if (slots_.empty()) return std::nullopt;
  const auto& s = slots_[probe(id, hash_of(id))];
  if (s.at == k_empty) return std::nullopt;
  return key_at(s.at);
}

void key_cache::put(std::string_view id, std::int64_t key) {
  if (id.size() > k_max_id) {
    long_ids_[std::string(id)] = key;
    return;
  }
  if ((size_ + 1) * 5 > slots_.size() * 4) grow();
  const auto hash = hash_of(id);
  auto& s = slots_[probe(id, hash)];
  if (s.at != k_empty) {  // a changed key: rewritten in place
    std::memcpy(entry_at(s.at) + 1 + id.size(), &key, sizeof key);
    return;
  }
  s = {append(id, key), hash};
  ++size_;
}

void key_cache::erase(std::string_view id) {
  if (id.size() > k_max_id) {
    long_ids_.erase(std::string(id));
    return;
  }
  if (slots_.empty()) return;
  auto hole = probe(id, hash_of(id));
  if (slots_[hole].at == k_empty) return;
  slots_[hole] = {};
  --size_;
  // Backward-shift deletion: an entry after the hole moves into it unless its first slot
  // lies in the stretch (hole, i], so that every entry stays reachable from its first slot
  // with no tombstones.
  const std::size_t n = slots_.size();
  for (std::size_t i = next(hole); slots_[i].at != k_empty; i = next(i)) {
    const std::size_t from_home = (i + n - home(slots_[i].hash)) % n;
    if (from_home >= (i + n - hole) % n) {
      slots_[hole] = slots_[i];
      slots_[i] = {};
      hole = i;
    }
  }
}

void key_cache::grow() {
  std::vector<slot> old(slots_.empty() ? 1024 : slots_.size() + slots_.size() / 2);
  old.swap(slots_);
  for (const auto& s : old) {
    if (s.at == k_empty) continue;
    std::size_t i = home(s.hash);
    while (slots_[i].at != k_empty)
      i = next(i);
    slots_[i] = s;
  }
}

std::size_t key_cache::bytes() const {
  return slots_.capacity() * sizeof(slot) + blocks_.size() * k_block;
}

}  // namespace hearth::store
