// SPDX-License-Identifier: Apache-2.0
// Issue 15 over real HTTP against the real hearthd: finding a resident by the number they
// call from (scoped and audited), names with GB 18030 rare characters from CSV to API, a
// social worker ending an away early, and each user's language kept with the user.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "base/time.hpp"
#include "support/harness.hpp"

using namespace hearth::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

json::object body_of(const http_response& r) {
  return json::parse(r.body).as_object();
}

/// The test registry plus a household in B7 whose residents have rare characters in their
/// names (𠀾 U+2003E is outside the BMP; 䶮 U+4DAE is CJK Extension A).
std::string registry_with_rare_names(const temp_dir& dir) {
  const auto reg = dir.path() / "registry";
  fs::create_directories(reg);
  for (const auto& f : fs::directory_iterator(HEARTH_TEST_DATA "/registry"))
    fs::copy_file(f.path(), reg / f.path().filename());
  {
    std::ofstream h(reg / "households.csv", std::ios::app);
    h << "H-7-101,B7,101,7栋101室\n";
  }
  {
    std::ofstream r(reg / "residents.csv", std::ios::app);
    r << "R-7001,H-7-101,李𠀾,1939,true,+86 139-0013-9001,龚䶮,13900139002,sw-lu\n";
  }
  return reg.string();
}

std::vector<std::string> found(unsigned short port, const std::string& q, const std::string& token,
                               int* status = nullptr) {
  auto r = http(port, "GET", "/api/v1/search?q=" + q, "", bearer(token));
  if (status) *status = r.status;
  std::vector<std::string> ids;
  if (r.status != 200) return ids;
  const auto b = body_of(r);
  for (const auto& x : b.at("results").as_array())
    ids.emplace_back(x.at("resident_id").as_string());
  return ids;
}

}  // namespace

TEST_CASE("search finds a caller by phone, only within the caller's scope, and is audited",
          "[e2e][api][search]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process::options o;
  o.registry_dir = registry_with_rare_names(dir);
  daemon_process hearthd(dir, mosquitto, o);
  hearthd.wait_ready();
  const auto port = hearthd.http_port();
  const auto op = add_user(hearthd.config(), "op-wang", "operator");
  const auto song = add_user(hearthd.config(), "sw-song", "social_worker");
  const auto integrator = add_user(hearthd.config(), "int-chen", "integrator");

  // The number as the phone shows it, without the country code: the resident first.
  auto r = http(port, "GET", "/api/v1/search?q=13900139001", "", bearer(op));
  REQUIRE(r.status == 200);
  const auto b = body_of(r);
  REQUIRE(b.at("results").as_array().size() == 1);
  const auto& hit = b.at("results").as_array().at(0).as_object();
  CHECK(hit.at("resident_id") == "R-7001");
  CHECK(hit.at("matched") == "phone");
  // GB 18030 rare characters round-trip from the CSV, in UTF-8.
  CHECK(hit.at("name") == "李𠀾");
  CHECK(hit.at("emergency_contacts").as_array().at(0).at("name") == "龚䶮");
  CHECK(hit.at("household").at("unit") == "101");
  // Her emergency contact calling; and her name, written with the rare character.
  CHECK(found(port, "+86%20139%200013%209002", op) == std::vector<std::string>{"R-7001"});
  CHECK(found(port, "%E6%9D%8E%F0%A0%80%BE", op) == std::vector<std::string>{"R-7001"});  // 李𠀾
  CHECK(found(port, "B3%20502", op) == std::vector<std::string>{"R-1001"});

  // sw-song's caseload is R-1002 only: R-7001 does not exist for her.
  CHECK(found(port, "13900139001", song).empty());
  // The integrator may not see personal data at all.
  int status = 0;
  found(port, "13900139001", integrator, &status);
  CHECK(status == 403);
  CHECK(http(port, "GET", "/api/v1/search?q=", "", bearer(op)).status == 400);

  // Each resident shown is an audited read, by whom.
  const auto reads = run_command({"sqlite3", hearthd.database().string(),
                                  "SELECT actor || ' ' || subject FROM audit WHERE action = "
                                  "'read-personal-data'"},
                                 dir);
  CHECK(reads.output.find("op-wang resident:R-7001") != std::string::npos);
  CHECK(reads.output.find("sw-song resident:R-7001") == std::string::npos);
}

TEST_CASE("a social worker ends an away early; the API says so and the journal keeps who",
          "[e2e][api][away]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_ready();
  const auto port = hearthd.http_port();
  const auto lu = add_user(hearthd.config(), "sw-lu", "social_worker");
  const auto op = add_user(hearthd.config(), "op-wang", "operator");

  CHECK(http(port, "DELETE", "/api/v1/residents/R-1001/away", "", bearer(lu)).status == 404);
  const auto week = std::chrono::time_point_cast<hearth::duration>(
      std::chrono::system_clock::now() + std::chrono::hours(24 * 7));
  REQUIRE(http(port, "POST", "/api/v1/residents/R-1001/away",
               R"({"until":")" + hearth::format_rfc3339(week) + R"(","reason":"in hospital"})",
               bearer(lu))
              .status == 200);
  CHECK(body_of(http(port, "GET", "/api/v1/residents/R-1001", "", bearer(lu)))
            .at("away")
            .is_object());
  // An operator may not end it; sw-lu may not end an away outside her caseload.
  CHECK(http(port, "DELETE", "/api/v1/residents/R-1001/away", "", bearer(op)).status == 403);
  CHECK(http(port, "DELETE", "/api/v1/residents/R-1002/away", "", bearer(lu)).status == 404);
  CHECK(http(port, "DELETE", "/api/v1/residents/R-1001/away", "", bearer(lu)).status == 204);
  CHECK(
      body_of(http(port, "GET", "/api/v1/residents/R-1001", "", bearer(lu))).at("away").is_null());
  CHECK(http(port, "DELETE", "/api/v1/residents/R-1001/away", "", bearer(lu)).status == 404);
  const auto journal = run_command(
      {"sqlite3", hearthd.database().string(),
       "SELECT actor || ' ' || action || ' ' || subject FROM audit WHERE action LIKE 'away%'"},
      dir);
  CHECK(journal.output.find("sw-lu away-ended resident:R-1001") != std::string::npos);

  // A restart still knows the away ended (the row's end moved to the return time).
  hearthd.kill9();
  hearthd.start();
  hearthd.wait_ready();
  CHECK(
      body_of(http(port, "GET", "/api/v1/residents/R-1001", "", bearer(lu))).at("away").is_null());
}

TEST_CASE("each user's language is kept with the user, across sessions and restarts",
          "[e2e][api][i18n]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_ready();
  const auto port = hearthd.http_port();
  const auto op = add_user(hearthd.config(), "op-wang", "operator");
  const auto other = add_user(hearthd.config(), "op-li", "operator");

  // Nothing picked yet: null, and the console follows the browser.
  auto me = body_of(http(port, "GET", "/api/v1/me", "", bearer(op)));
  CHECK(me.at("locale").is_null());
  CHECK(!me.at("timezone").as_string().empty());
  auto set = http(port, "PATCH", "/api/v1/me", R"({"locale":"en"})", bearer(op));
  REQUIRE(set.status == 200);
  CHECK(body_of(set).at("locale") == "en");
  CHECK(http(port, "PATCH", "/api/v1/me", R"({"locale":"fr"})", bearer(op)).status == 400);
  CHECK(http(port, "PATCH", "/api/v1/me", R"({"language":"en"})", bearer(op)).status == 400);
  // Another user's choice is theirs.
  CHECK(body_of(http(port, "GET", "/api/v1/me", "", bearer(other))).at("locale").is_null());

  hearthd.kill9();
  hearthd.start();
  hearthd.wait_ready();
  CHECK(body_of(http(port, "GET", "/api/v1/me", "", bearer(op))).at("locale") == "en");
  REQUIRE(http(port, "PATCH", "/api/v1/me", R"({"locale":""})", bearer(op)).status == 200);
  CHECK(body_of(http(port, "GET", "/api/v1/me", "", bearer(op))).at("locale").is_null());
}
