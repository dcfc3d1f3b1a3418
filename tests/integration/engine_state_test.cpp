// SPDX-License-Identifier: Apache-2.0
// Rule state survives a restart: a real SQLite file, a manual clock, an engine that is
// dropped without any shutdown (as after kill -9) and a new one built from the file.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;

namespace {

struct temp_db {
  std::string path;
  temp_db() {
    path = (std::filesystem::temp_directory_path() /
            ("hearth-engine-state-" + std::to_string(::getpid()) + ".db"))
               .string();
    remove();
  }
  ~temp_db() { remove(); }
  void remove() {
    for (const char* ext : {"", "-wal", "-shm"})
      std::filesystem::remove(path + ext);
  }
};

std::vector<engine::rule> rules_under_test() {
  auto rules = only(shipped_rules(), "device-offline");
  rules.push_back(rule_from(
      "id: gas-high\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, "
      "en: s}\nfor: 10min\n"
      "when: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: gas.lel_pct, below: 5}\n"));
  rules.push_back(only(shipped_rules(), "building-tilt-critical").front());
  return rules;
}

}  // namespace

TEST_CASE(
    "after a restart silence is judged over the time hearthd listened, and a pending for: "
    "window fires on time",
    "[engine][store]") {
  temp_db db;
  const auto t0 = at("2026-11-20T00:00:00+08:00");
  {
    fixture before(rules_under_test(), t0);
    store::store st(db.path);
    before.send("sos-1", {{metric::device_battery_pct, 90}});  // device-offline due at 04:00
    before.send("tilt-1",
                {{metric::tilt_x_deg, 0.41}, {metric::tilt_y_deg, -0.12}});  // installation angles
    before.clock.advance(3h + 55min);
    before.send("gas-1", {{metric::gas_lel_pct, 12}});  // for: 10 min, due at 04:05
    CHECK(before.tick().empty());
    st.save_engine_state(before.eng.take_changes());
    // The process dies here: no shutdown, nothing else written.
  }
  fixture after(rules_under_test(), t0 + 4h + 1min);  // back up at 04:01
  store::store st(db.path);
  after.eng.restore(st.load_engine_state());
  // sos-1 was due at 04:00, but hearthd was down from 03:55 (its last tick) to 04:01: those
  // 6 minutes are nobody's silence, so it is due at 04:06, not at once.
  CHECK(after.tick().empty());
  after.clock.set(t0 + 4h + 5min - 1ms);
  CHECK(after.tick().empty());
  after.clock.set(t0 + 4h + 5min);
  CHECK(fired(after.tick()) == keys{"gas-high|gas-1"});  // still pending at restart: on time
  after.clock.set(t0 + 4h + 6min - 1ms);
  CHECK(after.tick().empty());
  after.clock.set(t0 + 4h + 6min);
  CHECK(fired(after.tick()) == keys{"device-offline|sos-1"});
  // The tilt baseline came back too: 0.23 degrees from the installation angles is critical.
  CHECK(fired(after.send("tilt-1", {{metric::tilt_x_deg, 0.64}, {metric::tilt_y_deg, -0.12}})) ==
        keys{"building-tilt-critical|tilt-1"});
}

TEST_CASE("an alert that fired before the restart does not fire again after it",
          "[engine][store]") {
  temp_db db;
  const auto t0 = at("2026-11-20T00:00:00+08:00");
  {
    fixture before(rules_under_test(), t0);
    store::store st(db.path);
    before.send("sos-1", {{metric::device_battery_pct, 90}});
    REQUIRE(fired(before.run_for(5h, 30min)) == keys{"device-offline|sos-1"});
    st.save_engine_state(before.eng.take_changes());
  }
  fixture after(rules_under_test(), t0 + 6h);
  store::store st(db.path);
  after.eng.restore(st.load_engine_state());
  CHECK(after.run_for(6h, 30min).empty());
}

TEST_CASE("learned quiet spells and the quiet so far survive a restart", "[engine][store]") {
  temp_db db;
  const auto t0 = at("2026-11-20T06:10:00+08:00");
  double l = 100;
  {
    fixture before(only(shipped_rules(), "lone-elder-no-water"), t0);
    store::store st(db.path);
    before.meter("meter-1", l);
    for (int i = 0; i < 6; ++i) {
      before.clock.advance(1h);
      before.meter("meter-1", l);
    }
    st.save_engine_state(before.eng.take_changes());
  }
  fixture after(only(shipped_rules(), "lone-elder-no-water"), t0 + 7h);
  store::store st(db.path);
  after.eng.restore(st.load_engine_state());
  for (int i = 7; i < 12; ++i) {
    CHECK(after.meter("meter-1", l).empty());
    after.clock.advance(1h);
  }
  CHECK(fired(after.meter("meter-1", l)) == keys{"lone-elder-no-water|H-1"});  // 12 h since 06:10
}

TEST_CASE("the engine-state migration is applied once and rows can be deleted", "[engine][store]") {
  temp_db db;
  store::store st(db.path);
  st.save_engine_state({{"d|x", "{\"seen\":true}"}, {"a|R-1", "{\"until\":1}"}});
  st.save_engine_state({{"a|R-1", ""}});
  CHECK(st.load_engine_state() == std::vector<engine::state_row>{{"d|x", "{\"seen\":true}"}});
  store::store again(db.path);
  const int version = store::schema_version(again.db());
  CHECK(version >= 2);
  CHECK(store::migrate(again.db()) == version);  // nothing left to apply
}

namespace {

/// Rows as the engine wrote them before it was split by rule kind (tests/data/engine-state/,
/// one "key<TAB>json" a line): every field of every kind, and a row of a rule since removed.
std::vector<engine::state_row> rows_before_split() {
  std::ifstream in(HEARTH_TEST_DATA "/engine-state/rows-before-split.tsv");
  std::vector<engine::state_row> rows;
  for (std::string line; std::getline(in, line);)
    if (auto tab = line.find('\t'); tab != std::string::npos)
      rows.push_back({line.substr(0, tab), line.substr(tab + 1)});
  return rows;
}

std::vector<engine::rule> rules_of_that_database() {
  auto rules = shipped_rules();
  rules.push_back(rule_from(
      "id: gas-high\npriority: 2\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nfor: 10min\n"
      "when: {metric: gas.lel_pct, at_least: 10}\nclear: {metric: gas.lel_pct, below: 5}\n"));
  rules.push_back(rule_from(
      "id: water-daily\npriority: 4\nkind: daily_total\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nat_least: 1500\n"));
  return rules;
}

}  // namespace

TEST_CASE("engine state rows of an existing database restore field for field", "[engine][store]") {
  temp_db db;
  const auto written = rows_before_split();
  REQUIRE(written.size() == 22);
  {
    store::store st(db.path);
    st.save_engine_state(written);
  }
  store::store st(db.path);
  fixture after(rules_of_that_database(), at("2026-11-20T22:10:00+08:00"));
  after.eng.restore(st.load_engine_state());
  auto back = after.eng.snapshot();
  auto want = written;
  std::sort(back.begin(), back.end(), [](auto& a, auto& b) { return a.key < b.key; });
  std::sort(want.begin(), want.end(), [](auto& a, auto& b) { return a.key < b.key; });
  CHECK(back == want);  // byte for byte, the retired rule's row included
  // And they mean what they meant: the pending gas breach fires 10 min after it began,
  // the open device-offline of meter-1 clears on its next message, not before.
  CHECK(after.tick().empty());
  after.clock.advance(10min);
  CHECK(fired(after.tick()) == keys{"gas-high|gas-1"});
  CHECK(after.meter("meter-1", 160).empty());  // back; the episode clears once it is steady
  after.clock.advance(1h);
  CHECK(cleared(after.meter("meter-1", 160)) == keys{"device-offline|meter-1"});
}

TEST_CASE("after hearthd was down 10 h, the devices that kept reporting raise no device-offline",
          "[engine][store]") {
  temp_db db;
  const auto t0 = at("2026-11-20T00:00:00+08:00");
  {
    fixture before(only(shipped_rules(), "device-offline"), t0);
    store::store st(db.path);
    // Three meters and a button report; an hour later hearthd is killed.
    for (const char* m : {"meter-1", "meter-2", "meter-3"})
      before.meter(m, 100);
    before.send("sos-1", {{metric::device_battery_pct, 90}});
    CHECK(before.run_for(1h, 1min).empty());
    st.save_engine_state(before.eng.take_changes());
  }
  // Back 10 h later: the broker kept nothing (a clean session, or its queue overflowed).
  fixture after(only(shipped_rules(), "device-offline"), t0 + 11h);
  store::store st(db.path);
  after.eng.restore(st.load_engine_state());
  CHECK(after.run_for(59min, 1min).empty());  // no storm at the restart
  // The meters had been silent 1 h when it stopped: they are due 1 h after the restart...
  CHECK(fired(after.run_for(2min, 1min)) ==
        keys{"device-offline|meter-1", "device-offline|meter-2", "device-offline|meter-3"});
  // ...and the button (2 h interval) 3 h after it, unless they speak.
  CHECK(after.run_for(2h - 2min, 1min).empty());
  CHECK(fired(after.run_for(2min, 1min)) == keys{"device-offline|sos-1"});
}
