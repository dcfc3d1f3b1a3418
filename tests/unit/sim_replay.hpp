// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Runs a simulated community's traffic through hearth's live pipeline (the shipped device
/// types and rules, an in-memory alert book) on a manual clock, as `hearthd replay` does,
/// and marks residents away as the incidents that expect it say. What it counts: the
/// messages refused by reason, the readings stored, and every alert opened.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "app/config.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "community.hpp"
#include "support/shipped.hpp"
#include "traffic.hpp"

namespace hearth::test {

struct sim_scratch {
  std::filesystem::path dir;
  sim_scratch() {
    dir = std::filesystem::temp_directory_path() /
          ("hearth-sim-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
  }
  ~sim_scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

struct sim_outcome {
  std::size_t devices_imported = 0;
  std::map<std::string, double> rejected;  ///< reason -> messages
  double readings = 0;
  /// "rule household_id" of every alert opened (household empty for building devices).
  std::multiset<std::string> opened;
  std::vector<alerts::alert> alerts;  ///< as opened
};

/// `warmup`, when given, is replayed first through the same pipeline and counts for
/// nothing: hearth learns the devices' cadences from it, as a running installation has
/// (a device seen for the first time is judged on its type's interval, so a cold start
/// raises device-offline for every device slower than its type declares, issue 12).
inline sim_outcome replay_sim(const sim::community& c, const sim::traffic& t,
                              const sim::traffic* warmup = nullptr) {
  sim_outcome out;
  // The registry imports cleanly against the shipped device types.
  sim_scratch tmp;
  sim::write_registry(c, tmp.dir);
  const auto defs = shipped_definitions();
  diagnostics diags;
  registry::tables parsed;
  auto reg = app::check_registry_import(app::registry_files(tmp.dir.string()), registry::registry{},
                                        defs.types.get(), parsed, diags);
  INFO((diags.empty() ? std::string() : diags.front().text()));
  REQUIRE(reg);
  out.devices_imported = reg->all().devices.size();

  manual_clock clock(warmup && !warmup->messages.empty() ? warmup->messages.front().ts
                                                         : t.messages.front().ts);
  telemetry tel;
  engine::engine eng(defs.rules, clock, "Asia/Shanghai");
  eng.set_messages(defs.messages, "zh-CN");
  alerts::book book(clock, 0);
  app::pipeline pipe(clock, tel, nullptr, nullptr, eng, book);
  pipe.set_catalog(defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  bool counting = !warmup;
  pipe.on_transition([&](const alerts::transition& tr) {
    if (!counting || tr.what != alerts::transition::kind::opened) return;
    out.opened.insert(tr.after.rule + " " + tr.after.subject.household_id);
    out.alerts.push_back(tr.after);
  });
  // A social worker marks the residents of the away incidents away as they leave.
  std::vector<const sim::incident*> aways;
  for (const auto& inc : t.incidents)
    if (!inc.away_resident_id.empty()) aways.push_back(&inc);
  std::sort(aways.begin(), aways.end(), [](auto* a, auto* b) { return a->at < b->at; });
  if (warmup)
    for (const auto& m : warmup->messages) {
      clock.set(m.ts);
      pipe.tick(m.ts);
      pipe.on_message(m.topic, m.payload, m.ts);
    }
  static constexpr const char* k_reasons[] = {
      "oversized",      "malformed-json", "missing-field",       "wrong-type",
      "out-of-range",   "bad-timestamp",  "future-timestamp",    "bad-frame",
      "unknown-metric", "unknown-topic",  "unregistered-device", "wrong-device-type",
      "duplicate",      "overload"};
  const auto rejected = [&](const std::string& r) {
    return tel.value("hearth_messages_rejected_total", "reason=\"" + r + "\"");
  };
  std::map<std::string, double> before;
  const double readings_before = tel.value("hearth_readings_total");
  for (const char* r : k_reasons)
    before[r] = rejected(r);
  counting = true;
  for (const auto& m : t.messages) {
    clock.set(m.ts);
    while (!aways.empty() && aways.front()->at <= m.ts) {
      eng.set_away(aways.front()->away_resident_id, aways.front()->away_until);
      aways.erase(aways.begin());
    }
    pipe.tick(m.ts);  // as hearthd replay does: deadlines before this message fire first
    pipe.on_message(m.topic, m.payload, m.ts);
  }
  for (const char* r : k_reasons)
    if (auto v = rejected(r) - before[r]; v > 0) out.rejected[r] = v;
  out.readings = tel.value("hearth_readings_total") - readings_before;
  return out;
}

/// What the incidents expect: reasons refused, and "rule household_id" per alert.
inline std::map<std::string, double> expected_rejections(const sim::traffic& t) {
  std::map<std::string, double> out;
  for (const auto& inc : t.incidents)
    for (const auto& r : inc.expected_rejections)
      ++out[r];
  return out;
}

}  // namespace hearth::test
