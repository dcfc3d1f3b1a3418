// SPDX-License-Identifier: Apache-2.0
// The community simulator (tools/hearth-sim) is deterministic, its registry imports, and
// hearth's pipeline accepts every message it generates except the faults it injected,
// which are refused for the reasons the incident list names.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "community.hpp"
#include "support/shipped.hpp"
#include "traffic.hpp"

using namespace hearth;

namespace {

std::string capture_of(const sim::traffic& t) {
  std::string out;
  for (const auto& m : t.messages)
    out += sim::capture_line(m) + "\n";
  return out;
}

sim::traffic small_day(const sim::community& c) {
  sim::traffic_options o;
  o.start = std::chrono::sys_days{std::chrono::year{2026} / 11 / 19} + std::chrono::hours{16};
  o.days = 1;
  return sim::make_traffic(c, o);
}

struct scratch {
  std::filesystem::path dir;
  scratch() {
    dir = std::filesystem::temp_directory_path() /
          ("hearth-sim-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("the same seed gives a byte-identical capture, incident list and registry", "[sim]") {
  const auto a = sim::make_community({300, 7});
  const auto b = sim::make_community({300, 7});
  REQUIRE(sim::devices_csv(a) == sim::devices_csv(b));
  REQUIRE(sim::residents_csv(a) == sim::residents_csv(b));
  const auto ta = small_day(a), tb = small_day(b);
  REQUIRE(ta.messages.size() > 10'000);
  REQUIRE(capture_of(ta) == capture_of(tb));
  REQUIRE(sim::incidents_json(ta.incidents) == sim::incidents_json(tb.incidents));

  const auto other = sim::make_community({300, 8});
  REQUIRE(capture_of(small_day(other)) != capture_of(ta));
}

TEST_CASE("the reference meter frame round-trips through base64", "[sim]") {
  // ../shared/samples/README.md: 123456 L, no flags, battery 88 % is "QOIBAABY".
  REQUIRE(sim::base64_encode(sim::meter_frame(123456, false, false, false, false, 88)) ==
          "QOIBAABY");
}

TEST_CASE("hearth accepts every simulated message except the injected faults", "[sim]") {
  const auto c = sim::make_community({400, 11});
  const auto t = small_day(c);

  // The registry imports cleanly against the shipped device types.
  scratch tmp;
  sim::write_registry(c, tmp.dir);
  const auto defs = test::shipped_definitions();
  diagnostics diags;
  registry::tables parsed;
  auto reg = app::check_registry_import(app::registry_files(tmp.dir.string()), registry::registry{},
                                        defs.types.get(), parsed, diags);
  INFO((diags.empty() ? std::string() : diags.front().text()));
  REQUIRE(reg);
  REQUIRE(reg->all().devices.size() == c.devices.size());

  manual_clock clock(t.messages.front().ts);
  telemetry tel;
  engine::engine eng(defs.rules, clock, "Asia/Shanghai");
  eng.set_messages(defs.messages, "zh-CN");
  alerts::book book(clock, 0);
  app::pipeline pipe(clock, tel, nullptr, nullptr, eng, book);
  pipe.set_catalog(defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  std::map<std::string, int> opened;
  pipe.on_transition([&](const alerts::transition& tr) {
    if (tr.what == alerts::transition::kind::opened) ++opened[tr.after.rule];
  });

  const std::vector<std::string> reasons = {
      "oversized",      "malformed-json", "missing-field",       "wrong-type",
      "out-of-range",   "bad-timestamp",  "future-timestamp",    "bad-frame",
      "unknown-metric", "unknown-topic",  "unregistered-device", "wrong-device-type",
      "duplicate",      "overload"};
  auto rejected = [&] {
    std::map<std::string, double> m;
    for (const auto& r : reasons)
      if (auto v = tel.value("hearth_messages_rejected_total", "reason=\"" + r + "\""); v > 0)
        m[r] = v;
    return m;
  };
  for (const auto& m : t.messages) {
    clock.set(m.ts);
    pipe.on_message(m.topic, m.payload, m.ts);
  }

  std::map<std::string, double> expected;
  for (const auto& inc : t.incidents)
    for (const auto& r : inc.expected_rejections)
      ++expected[r];
  REQUIRE(rejected() == expected);
  REQUIRE(tel.value("hearth_readings_total") > 3.0 * static_cast<double>(t.messages.size()) / 2);

  // Every kind of fault and incident is in the list.
  std::set<std::string> kinds;
  for (const auto& inc : t.incidents)
    kinds.insert(inc.kind);
  for (const char* k : {"sos-press", "smoke", "smoke-test", "gas-leak", "quiet-resident",
                        "silent-meter", "tilt-drift", "gateway-outage", "duplicate", "malformed",
                        "clock-skew", "battery-low", "tamper"})
    CHECK(kinds.count(k) == 1);

  // For the event rules shipped so far, hearth found exactly the incidents that expect them.
  for (const auto& rule : defs.rules) {
    if (rule.id != "sos-pressed" && rule.id != "smoke-detected" && rule.id != "gas-leak" &&
        rule.id != "device-tamper")
      continue;
    int want = 0;
    for (const auto& inc : t.incidents)
      want += static_cast<int>(
          std::count(inc.expected_rules.begin(), inc.expected_rules.end(), rule.id));
    INFO(rule.id);
    CHECK(opened[rule.id] == want);
  }
}

TEST_CASE("the demo's community sits beside the sample registry without sharing an id", "[sim]") {
  // scripts/demo imports the sample registry (B3, H-3-502, ...) and a simulated community
  // together. Numbered from B1, the community reused H-3-502 and the later rows replaced
  // the sample's: the household ended with two residents who each "live alone". Now an id
  // given twice is refused, and the demo's community starts at B10.
  auto import_with_sample = [](int first_building, diagnostics& d) {
    scratch tmp;
    sim::write_registry(sim::make_community({400, 7, first_building}), tmp.dir);
    auto files = app::registry_files(HEARTH_TEST_DATA "/registry");
    for (const auto& f : app::registry_files(tmp.dir.string()))
      files.push_back(f);
    registry::tables parsed;
    return app::check_registry_import(files, registry::registry{}, test::shipped_types().get(),
                                      parsed, d);
  };
  diagnostics overlap;
  CHECK_FALSE(import_with_sample(1, overlap));
  CHECK(std::any_of(overlap.begin(), overlap.end(), [](const diagnostic& x) {
    return x.message.find("household_id 'H-3-502' is already defined at") != std::string::npos;
  }));
  diagnostics apart;
  auto reg = import_with_sample(10, apart);
  INFO((apart.empty() ? std::string() : apart.front().text()));
  REQUIRE(reg);
  CHECK(reg->residents_of("H-3-502").size() == 1);
  CHECK(reg->find_device_by_external_id("0x00158d0008a1b2c3")->id == "sos-3-502");
}
