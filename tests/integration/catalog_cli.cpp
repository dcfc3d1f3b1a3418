// SPDX-License-Identifier: Apache-2.0
// The real hearthd binary on broken definitions and registries: `devices test`, `check`
// and `import` print file:line messages (and diffs) and exit non-zero.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/store.hpp"

namespace {
namespace fs = std::filesystem;

struct run_result {
  int status = -1;
  std::string output;  ///< stdout and stderr, interleaved
};

/// Runs hearthd with `args` (already shell-safe) and waits for it to exit.
run_result hearthd(const std::string& args) {
  run_result r;
  FILE* p = ::popen(fmt::format("{} {} 2>&1", HEARTHD_BINARY, args).c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

struct temp_dir {
  fs::path path;
  explicit temp_dir(const std::string& tag) {
    path = fs::temp_directory_path() / fmt::format("hearth-{}-{}", tag, ::getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const std::string k_broken = HEARTH_TEST_DATA "/broken-devices/";
}  // namespace

TEST_CASE("devices test passes on the shipped types and exits 0", "[catalog][cli]") {
  auto r = hearthd(fmt::format("devices test {}/devices/*.yaml", HEARTH_SOURCE_DIR));
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("ok   z2m.bridge (4 examples)") != std::string::npos);
  CHECK(r.output.find(" 0 failed") != std::string::npos);
}

TEST_CASE("devices test prints a diff for an example that does not match and exits 1",
          "[catalog][cli]") {
  const auto file = k_broken + "example-mismatch.yaml";
  auto r = hearthd("devices test " + file);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("FAIL example-mismatch (1 examples)\n") != std::string::npos);
  CHECK(r.output.find(file + ":13: example 'emergency press' does not match:\n"
                             "- device.battery_pct: 90\n"
                             "+ device.battery_pct: 92\n") != std::string::npos);
  CHECK(r.output.find("0 passed, 1 failed\n") != std::string::npos);
}

TEST_CASE("devices test names a definition that does not load and exits 78", "[catalog][cli]") {
  const auto file = k_broken + "unknown-key.yaml";
  auto r = hearthd("devices test " + file);
  INFO(r.output);
  CHECK(r.status == 78);
  CHECK(r.output.find(file + ":5: unknown key 'report_intervall' in device type (did you mean "
                             "'report_interval'?)\n") != std::string::npos);
  CHECK(r.output.find("1 definition file(s) did not load\n") != std::string::npos);
}

TEST_CASE("check --config lists every error in devices, examples and the registry as file:line",
          "[catalog][cli]") {
  temp_dir dir("check");
  fs::create_directories(dir.path / "devices");
  fs::create_directories(dir.path / "registry");
  for (const auto& e : fs::directory_iterator(HEARTH_SOURCE_DIR "/devices"))
    fs::copy_file(e.path(), dir.path / "devices" / e.path().filename());
  for (const char* f : {"bad-path.yaml", "example-mismatch.yaml", "wrong-type-boolean.yaml"})
    fs::copy_file(k_broken + f, dir.path / "devices" / f);
  fs::copy_file(HEARTH_TEST_DATA "/broken-registry/bad-birth-year.csv",
                dir.path / "registry" / "residents.csv");
  std::ofstream(dir.path / "hearth.yaml") << fmt::format(
      "database: ':memory:'\ndevices_dir: devices\nrules_dir: {}/rules\nregistry_dir: registry\n",
      HEARTH_SOURCE_DIR);
  auto r = hearthd(fmt::format("check --config {}/hearth.yaml", dir.path.string()));
  INFO(r.output);
  CHECK(r.status == 78);
  const auto d = (dir.path / "devices").string();
  CHECK(r.output.find(
            d + "/bad-path.yaml:10: bad path 'battery..level': use dotted keys like 'a.b'\n") !=
        std::string::npos);
  CHECK(r.output.find(
            d +
            "/wrong-type-boolean.yaml:6: 'life_safety' must be true or false, not 'sometimes'\n") !=
        std::string::npos);
  CHECK(
      r.output.find(d + "/example-mismatch.yaml:13: example 'emergency press' does not match:\n") !=
      std::string::npos);
  CHECK(r.output.find((dir.path / "registry").string() +
                      "/residents.csv:2:4: birth_year '19x1' is not a year\n") !=
        std::string::npos);
}

TEST_CASE(
    "check --config catches a misplaced placeholder and a text missing a language, as file:line",
    "[catalog][cli][i18n]") {
  temp_dir dir("check-texts");
  for (const char* sub : {"rules", "messages"}) {
    fs::create_directories(dir.path / sub);
    for (const auto& e : fs::directory_iterator(fs::path(HEARTH_SOURCE_DIR) / sub))
      fs::copy_file(e.path(), dir.path / sub / e.path().filename());
  }
  // {baseline} is filled by inactivity and baseline rules, never by a threshold rule.
  std::ofstream(dir.path / "rules" / "door-tamper.yaml")
      << "id: door-tamper\npriority: 3\nkind: threshold\n"
         "title: { zh-CN: \"{place}门磁被拆动\", en: \"Door sensor tampered with in {place}\" }\n"
         "summary:\n"
         "  zh-CN: \"{place}的门磁在 {time} 被拆动（平时 {baseline}）。\"\n"
         "  en: \"The door sensor in {place} was tampered with at {time} (usually {baseline}).\"\n"
         "when: { metric: device.tamper, is: true }\n";
  std::ofstream(dir.path / "messages" / "extra.yaml")
      << "console:\n  queue:\n    empty: { zh-CN: 没有待处理的告警 }\n";
  std::ofstream(dir.path / "hearth.yaml") << fmt::format(
      "database: ':memory:'\ndevices_dir: {}/devices\nrules_dir: rules\nmessages_dir: messages\n",
      HEARTH_SOURCE_DIR);
  auto r = hearthd(fmt::format("check --config {}/hearth.yaml", dir.path.string()));
  INFO(r.output);
  CHECK(r.status == 78);
  CHECK(r.output.find((dir.path / "rules").string() +
                      "/door-tamper.yaml:6: summary: placeholder '{baseline}' is never filled by "
                      "a threshold rule") != std::string::npos);
  CHECK(r.output.find((dir.path / "messages").string() +
                      "/extra.yaml:3: 'console.queue.empty' has no en text\n") !=
        std::string::npos);
}

TEST_CASE("check --config on the shipped definitions and the sample registry says ok and exits 0",
          "[catalog][cli]") {
  temp_dir dir("check-ok");
  std::ofstream(dir.path / "hearth.yaml") << fmt::format(
      "database: ':memory:'\ndevices_dir: {0}/devices\nrules_dir: {0}/rules\nregistry_dir: "
      "{1}/registry\n",
      HEARTH_SOURCE_DIR, HEARTH_TEST_DATA);
  auto r = hearthd(fmt::format("check --config {}/hearth.yaml", dir.path.string()));
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find(": ok (") != std::string::npos);
}

TEST_CASE("import with one bad row imports nothing, names file:line:column and exits 78",
          "[registry][cli]") {
  temp_dir dir("import");
  std::ofstream(dir.path / "hearth.yaml") << fmt::format(
      "database: hearth.db\ndevices_dir: {0}/devices\nrules_dir: {0}/rules\n", HEARTH_SOURCE_DIR);
  const auto good =
      fmt::format("{0}/registry/households.csv {0}/registry/buildings.csv", HEARTH_TEST_DATA);
  const auto bad = fmt::format("{}/broken-registry/unknown-device-type.csv", HEARTH_TEST_DATA);
  auto r =
      hearthd(fmt::format("import --config {}/hearth.yaml {} {}", dir.path.string(), good, bad));
  INFO(r.output);
  CHECK(r.status == 78);
  CHECK(r.output.find(bad + ":2:3: type 'z2m.panic-button' is not a known device type\n") !=
        std::string::npos);
  CHECK(r.output.find("nothing was imported") != std::string::npos);
  {
    hearth::store::store st((dir.path / "hearth.db").string());
    CHECK(st.load_registry().all().households.empty());
    CHECK(st.load_registry().all().buildings.empty());
  }
  auto ok = hearthd(fmt::format("import --config {}/hearth.yaml {}", dir.path.string(), good));
  INFO(ok.output);
  CHECK(ok.status == 0);
  hearth::store::store st((dir.path / "hearth.db").string());
  CHECK(st.load_registry().all().households.size() == 2);
}
