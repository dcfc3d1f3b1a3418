// SPDX-License-Identifier: Apache-2.0
// The engine's set of changed rows (engine::key_set): each key inserted is handed out once
// per drain however often it was inserted, through growth and after a burst has made the
// table shrink again.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "engine/key_set.hpp"

using hearth::engine::key_set;

namespace {

/// Keys as the engine makes them: a kind in the top bits, a rule table, a device handle.
std::uint64_t key(std::uint64_t kind, std::uint64_t table, std::uint32_t h) {
  return kind << 62 | table << 32 | h;
}

std::set<std::uint64_t> drained(key_set& s) {
  std::vector<std::uint64_t> out;
  s.drain_into(out);
  const std::set<std::uint64_t> unique(out.begin(), out.end());
  REQUIRE(unique.size() == out.size());  // no key twice
  return unique;
}

}  // namespace

TEST_CASE("changed keys: each once per drain, however often inserted", "[engine]") {
  key_set s;
  CHECK(s.empty());
  std::set<std::uint64_t> want;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50'000; ++i) {
    const auto k = key(1 + rng() % 2, rng() % 12, static_cast<std::uint32_t>(rng() % 9'000));
    s.insert(k);
    want.insert(k);
  }
  CHECK(s.size() == want.size());
  CHECK(drained(s) == want);
  CHECK(s.empty());
  CHECK(drained(s).empty());
}

TEST_CASE("changed keys: after a burst the set shrinks and still holds what comes", "[engine]") {
  key_set s;
  for (std::uint32_t h = 0; h < 200'000; ++h)  // a restore: every device at once
    s.insert(key(1, 0, h));
  CHECK(drained(s).size() == 200'000);
  // Then a few devices a second: the table is made small again and keeps working.
  for (int round = 0; round < 3; ++round) {
    std::set<std::uint64_t> want;
    for (std::uint32_t h = 0; h < 300; ++h) {
      const auto k = key(2, 3, h * 7 + static_cast<std::uint32_t>(round));
      s.insert(k);
      s.insert(k);
      want.insert(k);
    }
    CHECK(s.size() == want.size());
    CHECK(drained(s) == want);
  }
}
