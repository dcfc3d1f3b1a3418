// SPDX-License-Identifier: Apache-2.0
// The writer's device-key cache: every id it was given is found with its key, through
// growth, changed keys and forgotten ids, and it stays small.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <unordered_map>

#include "store/key_cache.hpp"

using hearth::store::key_cache;

namespace {

// Ids as the registry's look: "water-12-0304".
std::string id_of(int n) {
  return fmt::format("water-{}-{:04}", n / 10'000, n % 10'000);
}

}  // namespace

TEST_CASE("the key cache finds every id it was given, with its key, as it grows", "[store]") {
  key_cache c;
  CHECK_FALSE(c.find("water-1-0001"));
  constexpr int n = 200'000;
  for (int i = 0; i < n; ++i)
    c.put(id_of(i), 1'000'000'000'000LL + i);
  REQUIRE(c.size() == n);
  int found = 0;
  for (int i = 0; i < n; ++i)
    found += c.find(id_of(i)) == 1'000'000'000'000LL + i;
  CHECK(found == n);
  // Ids never given miss, including ones that share a prefix with given ones.
  int missed = 0;
  for (int i = n; i < n + 10'000; ++i)
    missed += !c.find(id_of(i));
  CHECK(missed == 10'000);
  CHECK_FALSE(c.find("water-1"));
  CHECK_FALSE(c.find(""));
  // About 40 bytes a device (an unordered_map<std::string, int64> takes about 75).
  CHECK(static_cast<double>(c.bytes()) / n < 48);
}

TEST_CASE("the key cache changes a key in place and forgets ids", "[store]") {
  key_cache c;
  c.put("sos-1-0101", 7);
  c.put("sos-1-0101", 9);
  CHECK(c.size() == 1);
  CHECK(c.find("sos-1-0101") == 9);
  c.erase("sos-1-0101");
  CHECK(c.size() == 0);
  CHECK_FALSE(c.find("sos-1-0101"));
  c.erase("sos-1-0101");  // twice: nothing happens
  c.put("sos-1-0101", 11);
  CHECK(c.find("sos-1-0101") == 11);
  // An empty id is an id, and so is one past 255 bytes (kept beside the table).
  c.put("", 3);
  CHECK(c.find("") == 3);
  const std::string long_id(key_cache::k_max_id + 1, 'x');
  c.put(long_id, 5);
  CHECK(c.find(long_id) == 5);
  CHECK_FALSE(c.find(long_id.substr(1)));
  CHECK(c.size() == 3);
  c.erase(long_id);
  CHECK_FALSE(c.find(long_id));
  CHECK(c.size() == 2);
}

TEST_CASE("the key cache agrees with a map through random puts and erases", "[store]") {
  // Erasing from an open-addressing table moves entries back into the hole: every entry
  // after it must stay reachable. A small id space makes long runs of taken slots.
  std::mt19937 rng(12);
  key_cache c;
  std::unordered_map<std::string, std::int64_t> want;
  for (int step = 0; step < 200'000; ++step) {
    const auto id = id_of(static_cast<int>(rng() % 5'000));
    if (rng() % 3 == 0) {
      c.erase(id);
      want.erase(id);
    } else {
      const auto key = static_cast<std::int64_t>(rng());
      c.put(id, key);
      want[id] = key;
    }
  }
  REQUIRE(c.size() == want.size());
  int wrong = 0;
  for (int i = 0; i < 5'000; ++i) {
    const auto id = id_of(i);
    const auto it = want.find(id);
    wrong += c.find(id) != (it == want.end() ? std::nullopt : std::optional(it->second));
  }
  CHECK(wrong == 0);
}
