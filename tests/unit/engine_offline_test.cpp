// SPDX-License-Identifier: Apache-2.0
// device-offline as operators need it: judged on the cadence a device keeps (its type's
// interval as prior and floor), one outage one alert, and learned state that survives.
#include <catch2/catch.hpp>

#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;
using engine::signal;

namespace {

/// A check-in from `device` every `every`, `n` times, ticking each minute in between.
std::vector<signal> check_ins(fixture& f, const std::string& device, duration every, int n) {
  std::vector<signal> out;
  for (int i = 0; i < n; ++i) {
    auto s = f.run_for(every, 1min);
    out.insert(out.end(), s.begin(), s.end());
    s = f.send(device, {{metric::device_battery_pct, 90}});
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

std::size_t count(const std::vector<signal>& s, signal::kind k) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [&](const signal& x) { return x.what == k; }));
}

}  // namespace

TEST_CASE("a button that checks in every 6 h while its type says 2 h is judged on 6 h once learned",
          "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("sos-1", {{metric::device_battery_pct, 90}});
  // Seen for the first time it is judged on its type's 2 h: one episode while it learns
  // (its dropouts join the same alert), cleared once its own cadence is known and kept.
  auto learning = check_ins(f, "sos-1", 6h, 9);
  CHECK(count(learning, signal::kind::fire) >= 1);
  for (const auto& s : learning)
    CHECK(s.key == "device-offline|sos-1");
  CHECK(count(learning, signal::kind::clear) == 1);
  CHECK(learning.back().what == signal::kind::clear);
  // A month of check-ins every 6 h, some a little late: nothing.
  CHECK(check_ins(f, "sos-1", 6h + 40min, 120).empty());
  // It dies: offline after twice the interval it keeps, and the summary says which one.
  auto dead = f.run_for(13h + 20min - 1min, 1min);
  CHECK(dead.empty());
  dead = f.run_for(2min, 1min);
  REQUIRE(fired(dead) == keys{"device-offline|sos-1"});
  CHECK(dead[0].texts.at("en").summary.find(
            "it usually reports every 6 h 40 min (its type declares 2 h)") != std::string::npos);
  CHECK(dead[0].texts.at("zh-CN").summary.find(
            "它通常每 6小时40分报告一次（其类型声明为每 2小时）") != std::string::npos);
}

TEST_CASE("the type's interval is the floor: a device that reports more often is not judged faster",
          "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("sos-1", {{metric::device_battery_pct, 90}});
  CHECK(check_ins(f, "sos-1", 10min, 30).empty());  // learned 10 min, declared 2 h
  CHECK(f.run_for(4h - 1min, 1min).empty());        // 2 × 2 h, not 2 × 10 min
  CHECK(fired(f.run_for(1min, 1min)) == keys{"device-offline|sos-1"});
}

TEST_CASE("a device that drops out and back keeps one episode and clears only when steady",
          "[engine]") {
  fixture f(only(shipped_rules(), "device-offline"));
  f.send("sos-1", {{metric::device_battery_pct, 90}});
  CHECK(check_ins(f, "sos-1", 2h, 16).empty());  // keeps its declared 2 h
  std::vector<signal> all;
  for (int flap = 0; flap < 3; ++flap) {  // silent 5 h, then one message: three times
    auto s = f.run_for(5h, 1min);
    all.insert(all.end(), s.begin(), s.end());
    s = f.send("sos-1", {{metric::device_battery_pct, 90}});
    all.insert(all.end(), s.begin(), s.end());
  }
  CHECK(fired(all) == keys(3, "device-offline|sos-1"));  // three dropouts, one alert key
  CHECK(cleared(all).empty());                           // never steadily back
  // Back and reporting: the episode clears once, when it has been back one interval (three
  // long gaps in its last sixteen now count as its cadence: 5 h).
  auto back = check_ins(f, "sos-1", 2h, 3);
  CHECK(cleared(back) == keys{"device-offline|sos-1"});
  CHECK(fired(back).empty());
  // A new outage after it was steady is a new episode.
  CHECK(fired(f.run_for(10h, 1min)) == keys{"device-offline|sos-1"});
}

TEST_CASE("the learned cadence and the open episode survive a restart", "[engine]") {
  fixture a(only(shipped_rules(), "device-offline"));
  a.send("sos-1", {{metric::device_battery_pct, 90}});
  check_ins(a, "sos-1", 6h, 12);
  const auto rows = a.eng.take_changes();
  fixture b(only(shipped_rules(), "device-offline"), a.clock.now());
  b.eng.restore(rows);
  CHECK(b.eng.snapshot() == a.eng.snapshot());
  CHECK(b.run_for(12h - 1min, 1min).empty());  // 2 × the learned 6 h, not 2 × 2 h
  CHECK(fired(b.run_for(1min, 1min)) == keys{"device-offline|sos-1"});
}

TEST_CASE("after its bridge returns, the last message named is the device's own", "[engine]") {
  fixture f(shipped_rules());
  f.send("sos-1", {{metric::device_battery_pct, 90}});  // 00:00
  f.clock.advance(1h);
  f.send("bridge-1", {{metric::device_online, 0}});
  f.clock.advance(6h);
  f.send("bridge-1", {{metric::device_online, 1}});  // back at 07:00
  auto s = f.run_for(4h, 1min);                      // sos-1 stays silent
  REQUIRE(fired(s) == keys{"device-offline|sos-1"});
  CHECK(s[0].at == at("2026-11-20T11:00:00+08:00"));  // judged from the bridge's return
  CHECK(s[0].summary.find("since 00:00 (11 h)") != std::string::npos);  // but its own last word
}
