// SPDX-License-Identifier: Apache-2.0
#include "app/replay.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

using namespace hearth;

namespace {

struct replayed {
  int code;
  std::string out, err;
};

replayed replay(const std::string& dir, const std::string& capture) {
  std::ostringstream out, err;
  const int code = app::run_replay(dir + "/config.yaml", dir + "/" + capture, out, err);
  return {code, out.str(), err.str()};
}

/// "transition rule device_id" of every printed line.
std::multiset<std::string> transitions(const std::string& jsonl) {
  std::multiset<std::string> out;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    const auto v = boost::json::parse(line).as_object();
    out.insert(std::string(v.at("transition").as_string()) + " " +
               std::string(v.at("rule").as_string()) + " " +
               std::string(v.at("subject").as_object().at("device_id").as_string()));
  }
  return out;
}

}  // namespace

TEST_CASE("a week of a small community replays to exactly the expected alerts and no others",
          "[engine][replay]") {
  const auto r = replay(HEARTH_TEST_DATA "/week", "capture.jsonl");
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  // The smoke test press raises nothing, and H-02's silent meter raises device-offline but
  // never lone-elder-no-water (see tests/data/week/generate.py for the story of the week).
  const std::multiset<std::string> want{
      "opened water-continuous-flow meter-15",
      "opened device-offline meter-02",
      "opened lone-elder-no-water meter-03",
      "opened building-tilt-warning tilt-w1",
  };
  CHECK(transitions(r.out) == want);
}

TEST_CASE("the quiet resident's alert explains itself with numbers and no personal data",
          "[engine][replay]") {
  const auto r = replay(HEARTH_TEST_DATA "/week", "capture.jsonl");
  std::istringstream in(r.out);
  std::string line;
  std::string summary;
  while (std::getline(in, line))
    if (line.find("\"lone-elder-no-water\"") != std::string::npos)
      summary = boost::json::parse(line).as_object().at("summary").as_string();
  CHECK(summary ==
        "No water used since 20 Nov 13:00 (12 h 3 min; 0 L in that time); the longest quiet spell "
        "at this time of "
        "day in the last 28 d was 5 h 4 min. The meter is still reporting (last reading 01:04).");
  CHECK(r.out.find("Example Resident") == std::string::npos);
  CHECK(r.out.find("+86") == std::string::npos);
}

TEST_CASE("replaying the same capture twice prints the same bytes", "[engine][replay]") {
  const auto a = replay(HEARTH_TEST_DATA "/week", "capture.jsonl");
  const auto b = replay(HEARTH_TEST_DATA "/week", "capture.jsonl");
  REQUIRE_FALSE(a.out.empty());
  CHECK(a.out == b.out);
}

TEST_CASE("the sample capture replays to its life-safety alerts", "[engine][replay]") {
  const auto r = replay(HEARTH_TEST_DATA "/sample", "capture-example.jsonl");
  REQUIRE(r.code == 0);
  const std::multiset<std::string> want{
      "opened sos-pressed sos-3-502",
      "opened smoke-detected smoke-3-502",
      "opened gas-leak gas-3-502",
      "opened sos-pressed button-demo-1",
  };
  CHECK(transitions(r.out) == want);
}

TEST_CASE("replay reports a broken capture line with file:line and goes on", "[engine][replay]") {
  const auto r = replay(HEARTH_TEST_DATA "/sample", "broken-capture.jsonl");
  REQUIRE(r.code == 0);
  CHECK(r.err == HEARTH_TEST_DATA "/sample/broken-capture.jsonl:2: 'ts' is not an RFC 3339 time\n");
  CHECK(transitions(r.out) == std::multiset<std::string>{"opened sos-pressed sos-3-502"});
}
