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
constexpr std::size_t k_min_index = 64;
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
  const auto i = find(k);
  auto& s = index_[i];
  if (s.seq != 0 && s.ahead[other] > 0) {
    if (--s.ahead[other] == 0 && s.ahead[self] == 0) unlink(i);
    return false;
  }
  if (s.seq == 0) ++unmatched_;
  // A new key, or another copy from the same session: its newest record is this one.
  ++s.ahead[self];
  records_.push_back({k, now});
  s.seq = head_ + records_.size();
  return true;
}

void copy_matcher::expire(steady::time_point now) {
  // A record leaves when it leaves the window, or when the bound pushes it out; a key's
  // entry goes with its newest record. Every unmatched key has its newest record in the
  // queue, so bounding the queue bounds both.
  while (!records_.empty()) {
    const auto& r = records_.front();
    const bool old = now - r.at > window_;
    if (!old && records_.size() < max_entries_) break;
    if (const auto i = find(r.k); index_[i].seq == head_ + 1) {
      unlink(i);
      if (!old) ++evicted_;
    }
    records_.pop_front();
    ++head_;
  }
  // After a flood, give the index's memory back.
  if (index_.size() > k_min_index && unmatched_ * 8 < index_.size())
    resize_index(index_.size() / 2);
}

std::size_t copy_matcher::find(const key& k) const {
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = home(k);; i = (i + 1) & mask)
    if (index_[i].seq == 0 || at_seq(index_[i].seq - 1).k == k) return i;
}

void copy_matcher::unlink(std::size_t hole) {
  // Backward-shift deletion: a later entry moves into the hole unless its home slot lies
  // in the stretch (hole, i], where a search for it starts after the hole anyway.
  const std::size_t mask = index_.size() - 1;
  index_[hole] = {};
  --unmatched_;
  for (std::size_t i = (hole + 1) & mask; index_[i].seq != 0; i = (i + 1) & mask) {
    const std::size_t h = home(at_seq(index_[i].seq - 1).k);
    if (((i - h) & mask) >= ((i - hole) & mask)) {
      index_[hole] = index_[i];
      index_[i] = {};
      hole = i;
    }
  }
}

void copy_matcher::resize_index(std::size_t n) {
  std::vector<slot> old(n);
  old.swap(index_);
  index_shift_ = 64 - std::countr_zero(n);
  const std::size_t mask = n - 1;
  for (const auto& s : old) {
    if (s.seq == 0) continue;
    auto i = home(at_seq(s.seq - 1).k);
    while (index_[i].seq != 0)
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
