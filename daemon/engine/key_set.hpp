// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::engine {

/// A set of non-zero 64-bit keys in one flat table (open addressing, linear probing): what
/// the engine marks as changed, once or more for each report, and hands out once a second.
/// An insert is a multiply and, mostly, one cache line; nothing is allocated per key.
class key_set {
 public:
  /// `k` must not be 0 (the empty slot).
  void insert(std::uint64_t k) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    for (auto i = slot_of(k);; i = (i + 1) & mask()) {
      if (slots_[i] == k) return;
      if (slots_[i] == 0) {
        slots_[i] = k;
        ++size_;
        return;
      }
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  /// Appends every key to `out` (in no particular order) and empties the set. A table left
  /// far larger than what it held (after a burst) is made smaller, so that emptying it
  /// each second costs what it holds, not what it once held.
  void drain_into(std::vector<std::uint64_t>& out) {
    out.reserve(out.size() + size_);
    for (auto k : slots_)
      if (k != 0) out.push_back(k);
    const auto held = size_;
    size_ = 0;
    if (slots_.size() > k_min_slots && held * 16 < slots_.size()) {
      slots_.assign(std::max(k_min_slots, std::bit_ceil(held * 4)), 0);
      shift_ = 64 - std::countr_zero(slots_.size());
    } else {
      std::fill(slots_.begin(), slots_.end(), 0);
    }
  }

 private:
  static constexpr std::size_t k_min_slots = 1024;
  std::size_t mask() const { return slots_.size() - 1; }
  std::size_t slot_of(std::uint64_t k) const {
    // Fibonacci hashing: the keys differ mostly in their low bits (device handles).
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow() {
    std::vector<std::uint64_t> old(std::max(k_min_slots, slots_.size() * 2), 0);
    old.swap(slots_);
    shift_ = 64 - std::countr_zero(slots_.size());
    size_ = 0;
    for (auto k : old)
      if (k != 0) insert(k);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace hearth::engine
