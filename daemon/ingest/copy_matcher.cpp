// SPDX-License-Identifier: Apache-2.0
#include "ingest/copy_matcher.hpp"

#include <bit>

namespace hearth::ingest {

namespace {
/// FNV-1a, 64 bits: the second half of the key, independent of std::hash.
std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto s : {a, std::string_view("\0", 1), b})
    for (const unsigned char c : s)
      h = (h ^ c) * 0x100000001b3ull;
  return h;
}
constexpr std::size_t k_min_ring = 64, k_min_index = 64;
}  // namespace

copy_matcher::key copy_matcher::key_of(std::string_view topic, std::string_view payload) {
  const auto h = std::hash<std::string_view>{}(topic);
  return {std::hash<std::string_view>{}(payload) ^ (h + 0x9e3779b97f4a7c15ull + (h << 6)),
          fnv1a(topic, payload)};
}

bool copy_matcher::first(session from, std::string_view topic, std::string_view payload,
                         steady::time_point now) {
  const auto k = key_of(topic, payload);
  const auto self = static_cast<std::size_t>(from), other = 1 - self;
  std::lock_guard lock(mutex_);
  expire(now);
  if ((unmatched_ + 1) * 4 > index_.size() * 3)
    resize_index(std::max(k_min_index, index_.size() * 2));
  const auto slot = find(k);
  record r{k, now, {0, 0}};
  if (index_[slot] != 0) {
    auto& held = at_seq(index_[slot] - 1);
    if (held.ahead[other] > 0) {
      if (--held.ahead[other] == 0 && held.ahead[self] == 0) unlink(slot);
      return false;
    }
    // Another copy from the same session: the key's record moves to the ring's end.
    r.ahead[0] = held.ahead[0];
    r.ahead[1] = held.ahead[1];
  } else {
    ++unmatched_;
  }
  ++r.ahead[self];
  index_[slot] = push(r) + 1;
  return true;
}

std::uint64_t copy_matcher::push(const record& r) {
  if (tail_ - head_ == ring_.size()) resize_ring(std::max(k_min_ring, ring_.size() * 2));
  at_seq(tail_) = r;
  return tail_++;
}

void copy_matcher::expire(steady::time_point now) {
  // A record leaves when it leaves the window, or when the bound pushes it out; a key's
  // entry goes with its newest record. Every unmatched key has its newest record in the
  // ring, so bounding the ring bounds both.
  while (head_ != tail_) {
    const auto& r = at_seq(head_);
    const bool old = now - r.at > window_;
    if (!old && tail_ - head_ < max_entries_) break;
    if (const auto slot = find(r.k); index_[slot] == head_ + 1) {
      unlink(slot);
      if (!old) ++evicted_;
    }
    ++head_;
  }
  // After a flood, give the memory back.
  if (ring_.size() > k_min_ring && (tail_ - head_) * 4 < ring_.size())
    resize_ring(ring_.size() / 2);
  if (index_.size() > k_min_index && unmatched_ * 8 < index_.size())
    resize_index(index_.size() / 2);
}

std::size_t copy_matcher::find(const key& k) {
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = home(k);; i = (i + 1) & mask)
    if (index_[i] == 0 || at_seq(index_[i] - 1).k == k) return i;
}

void copy_matcher::unlink(std::size_t hole) {
  // Backward-shift deletion: a later entry moves into the hole unless its home slot lies
  // in the stretch (hole, i], where a search for it starts after the hole anyway.
  const std::size_t mask = index_.size() - 1;
  index_[hole] = 0;
  --unmatched_;
  for (std::size_t i = (hole + 1) & mask; index_[i] != 0; i = (i + 1) & mask) {
    const std::size_t h = home(at_seq(index_[i] - 1).k);
    if (((i - h) & mask) >= ((i - hole) & mask)) {
      index_[hole] = index_[i];
      index_[i] = 0;
      hole = i;
    }
  }
}

void copy_matcher::resize_ring(std::size_t n) {
  std::vector<record> old(n);
  old.swap(ring_);
  for (auto seq = head_; seq != tail_; ++seq)
    at_seq(seq) = old[seq & (old.size() - 1)];
}

void copy_matcher::resize_index(std::size_t n) {
  std::vector<std::uint64_t> old(n, 0);
  old.swap(index_);
  index_shift_ = 64 - std::countr_zero(n);
  const std::size_t mask = n - 1;
  for (const auto s : old) {
    if (s == 0) continue;
    auto i = home(at_seq(s - 1).k);
    while (index_[i] != 0)
      i = (i + 1) & mask;
    index_[i] = s;
  }
}

std::size_t copy_matcher::unmatched() const {
  std::lock_guard lock(mutex_);
  return unmatched_;
}

std::uint64_t copy_matcher::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace hearth::ingest
