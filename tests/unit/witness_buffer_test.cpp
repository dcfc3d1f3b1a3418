// SPDX-License-Identifier: Apache-2.0
// The standby's buffer of recent messages (ingest/witness.hpp): bounded by age, count and
// bytes, oldest out first, and handed over up to a cutoff.
#include <catch2/catch.hpp>

#include "ingest/witness.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

const time_point t0 = time_point(std::chrono::hours(24 * 20000));

ingest::inbound msg(int n, time_point at, std::size_t payload_bytes = 10) {
  return {"t/" + std::to_string(n), std::string(payload_bytes, 'x'), at, false, {}, false};
}

std::vector<std::string> topics(const std::vector<ingest::inbound>& v) {
  std::vector<std::string> out;
  for (const auto& m : v)
    out.push_back(m.topic);
  return out;
}
}  // namespace

TEST_CASE("the witness buffer forgets what is older than its window", "[witness]") {
  ingest::recent_messages b({6s, 100, 1 << 20});
  b.push(msg(0, t0));
  b.push(msg(1, t0 + 5s));
  b.push(msg(2, t0 + 6s));  // t0 is exactly 6 s old: kept
  CHECK(b.size() == 3);
  b.push(msg(3, t0 + 6001ms));
  CHECK(b.size() == 3);
  CHECK(b.dropped() == 1);
  CHECK(topics(b.take_until(t0 + 1h)) == std::vector<std::string>{"t/1", "t/2", "t/3"});
}

TEST_CASE("the witness buffer keeps at most its count and its bytes, the newest", "[witness]") {
  ingest::recent_messages by_count({1h, 3, 1 << 20});
  for (int n = 0; n < 5; ++n)
    by_count.push(msg(n, t0 + n * 1s));
  CHECK(by_count.dropped() == 2);
  CHECK(topics(by_count.take_until(t0 + 1h)) == std::vector<std::string>{"t/2", "t/3", "t/4"});

  // Each message is 3 + 97 = 100 bytes: 250 bytes hold two.
  ingest::recent_messages by_bytes({1h, 100, 250});
  for (int n = 0; n < 4; ++n)
    by_bytes.push(msg(n, t0 + n * 1s, 97));
  CHECK(by_bytes.size() == 2);
  CHECK(by_bytes.bytes() == 200);
  by_bytes.push(msg(9, t0 + 10s, 400));  // larger than the whole buffer: refused
  CHECK(by_bytes.size() == 2);
  CHECK(by_bytes.dropped() == 3);
  CHECK(topics(by_bytes.take_until(t0 + 1h)) == std::vector<std::string>{"t/2", "t/3"});
}

TEST_CASE("the witness buffer hands over what was received up to the cutoff, and empties",
          "[witness]") {
  ingest::recent_messages b;
  for (int n = 0; n < 5; ++n)
    b.push(msg(n, t0 + n * 1s));
  CHECK(topics(b.take_until(t0 + 2s)) == std::vector<std::string>{"t/0", "t/1", "t/2"});
  CHECK(b.size() == 0);
  CHECK(b.bytes() == 0);
  CHECK(b.take_until(t0 + 1h).empty());
}
