// SPDX-License-Identifier: Apache-2.0
// Finding a resident while they are on the phone (issue 15): by the number they call from,
// by name (CJK as written, GB 18030 rare characters included), unit, building, id; every
// word must match; the caller's scope hides the rest.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "registry/registry.hpp"
#include "registry/search.hpp"

namespace {
using namespace hearth;

registry::registry community() {
  registry::tables t;
  diagnostics d;
  registry::parse_csv_text(
      "household_id,building,unit,address\n"
      "H-3-502,B3,502,3栋502室\n"
      "H-3-503,B3,503,3栋503室\n"
      "H-7-502,B7,502,7栋502室\n",
      "households.csv", t, d);
  registry::parse_csv_text(
      "resident_id,household_id,name,birth_year,lives_alone,phone,emergency_contact,"
      "emergency_phone,social_worker\n"
      "R-1001,H-3-502,王秀英,1941,true,+86 138-0013-8000,王小明,13900139000,sw-lu\n"
      "R-1002,H-3-503,李𠀾,1950,false,010-6552-1234,李强,+8613700137000,sw-song\n"
      "R-1003,H-7-502,龚䶮,1938,true,13600136000,王秀兰,13500135000,sw-lu\n"
      "R-1004,H-7-502,Zhang Wei,1945,false,13300133000,Li Na,13200132000,sw-lu\n",
      "residents.csv", t, d);
  for (const auto& x : d)
    UNSCOPED_INFO(x.text());
  REQUIRE(d.empty());
  return registry::registry(t);
}

std::vector<std::string> ids(const registry::search_result& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits)
    out.emplace_back(h.who->id);
  return out;
}

auto everyone = [](const registry::resident&) { return true; };

}  // namespace

TEST_CASE("phone digits drop the country code and the punctuation", "[registry][search]") {
  CHECK(registry::phone_digits("+86 138-0013-8000") == "13800138000");
  CHECK(registry::phone_digits("0086 13800138000") == "13800138000");
  CHECK(registry::phone_digits("8613800138000") == "13800138000");
  CHECK(registry::phone_digits("010-6552-1234") == "01065521234");
  CHECK(registry::phone_digits("no number") == "");
}

TEST_CASE("a caller's number finds them, written any way", "[registry][search]") {
  const auto reg = community();
  for (const char* q : {"13800138000", "+86 138 0013 8000", "008613800138000", "138-0013-8000"}) {
    INFO(q);
    const auto r = registry::search(reg, q, everyone, 20);
    REQUIRE(ids(r) == std::vector<std::string>{"R-1001"});
    CHECK(r.hits[0].field == registry::match_field::phone);
  }
  // The emergency contact calling: the resident they are the contact of.
  auto r = registry::search(reg, "+86 137 0013 7000", everyone, 20);
  REQUIRE(ids(r) == std::vector<std::string>{"R-1002"});
  CHECK(r.hits[0].field == registry::match_field::emergency_phone);
  // The last digits are enough (a line that shows part of the number).
  r = registry::search(reg, "8000", everyone, 20);
  CHECK(ids(r) == std::vector<std::string>{"R-1001"});
}

TEST_CASE("names match as written, rare characters included", "[registry][search]") {
  const auto reg = community();
  CHECK(ids(registry::search(reg, "李𠀾", everyone, 20)) == std::vector<std::string>{"R-1002"});
  CHECK(ids(registry::search(reg, "䶮", everyone, 20)) == std::vector<std::string>{"R-1003"});
  // "王秀" starts 王秀英's name and is inside the contact name 王秀兰: her own name first.
  const auto r = registry::search(reg, "王秀", everyone, 20);
  REQUIRE(ids(r) == std::vector<std::string>{"R-1001", "R-1003"});
  CHECK(r.hits[0].field == registry::match_field::name);
  CHECK(r.hits[1].field == registry::match_field::emergency_contact);
  CHECK(ids(registry::search(reg, "zhang", everyone, 20)) == std::vector<std::string>{"R-1004"});
}

TEST_CASE("building and unit, in the ways a caller says them", "[registry][search]") {
  const auto reg = community();
  const std::vector<std::string> b3_502{"R-1001"};
  CHECK(ids(registry::search(reg, "3栋502", everyone, 20)) == b3_502);
  CHECK(ids(registry::search(reg, "3号楼502室", everyone, 20)) == b3_502);
  CHECK(ids(registry::search(reg, "B3 502", everyone, 20)) == b3_502);
  CHECK(ids(registry::search(reg, "3-502", everyone, 20)) == b3_502);
  CHECK(ids(registry::search(reg, "3 502", everyone, 20)) == b3_502);
  // Unit 502 alone is in two buildings; every word must match.
  CHECK(ids(registry::search(reg, "502", everyone, 20)).size() == 3);
  CHECK(ids(registry::search(reg, "7栋 502 zhang", everyone, 20)) ==
        std::vector<std::string>{"R-1004"});
  CHECK(ids(registry::search(reg, "3栋 zhang", everyone, 20)).empty());
}

TEST_CASE("search shows only the caller's scope, and says when it cut the list",
          "[registry][search]") {
  const auto reg = community();
  auto lu = [](const registry::resident& r) { return r.social_worker == "sw-lu"; };
  CHECK(ids(registry::search(reg, "李𠀾", lu, 20)).empty());
  const auto r = registry::search(reg, "502", lu, 2);
  CHECK(r.hits.size() == 2);
  CHECK(r.truncated);
  CHECK_FALSE(registry::search(reg, "502", lu, 3).truncated);
  CHECK(registry::search(reg, "   ", everyone, 20).hits.empty());
}
