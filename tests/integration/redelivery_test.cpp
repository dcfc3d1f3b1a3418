// SPDX-License-Identifier: Apache-2.0
// QoS 1 redeliveries (the broker resends what it is not sure we received, with the DUP
// flag, possibly long after the first delivery and possibly after a restart) never
// double-count water use, never raise an SOS alert's urgency as if pressed again, and
// never re-open an SOS alert that an operator resolved.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string k_native = "hearth/v1/devices/button-demo-1/up";
const std::string k_z2m_sos = "zigbee2mqtt/0x00158d0008a1b2c3";

/// The live pipeline (shipped devices, rules, test registry) on a SQLite file; a second
/// rig on the same file is hearthd after a restart.
struct rig {
  fs::path db;
  manual_clock clock;
  telemetry tel;
  store::store st;
  store::writer writer;
  app::definitions defs;
  engine::engine eng;
  alerts::book book;
  app::pipeline pipe;

  rig(fs::path file, time_point now)
      : db(std::move(file)),
        clock(now),
        st(db.string()),
        writer(db.string(), tel),
        defs(test::shipped_definitions()),
        eng(defs.rules, clock, "UTC"),
        book(clock, st.max_alert_id()),
        pipe(clock, tel, &st, &writer, eng, book) {
    eng.set_messages(defs.messages, "zh-CN");
    book.set_rule_policies(app::rule_policies(defs.rules));
    book.restore(st.load_alerts(alerts::state::open));
    pipe.set_catalog(defs.types);
    pipe.set_registry(std::make_shared<registry::registry>(st.load_registry()));
  }
  void import_registry() {
    diagnostics d;
    registry::tables parsed;
    auto reg = app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                          registry::registry{}, defs.types.get(), parsed, d);
    REQUIRE(reg);
    st.save_registry(parsed);
    pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  }
  double duplicates() {
    return tel.value("hearth_messages_rejected_total", "reason=\"duplicate\"");
  }
  std::size_t readings_of(const std::string& device) {
    writer.flush();
    return st.readings(device, time_point{}, clock.now() + 24h).size();
  }
  std::vector<alerts::alert> sos_alerts() {
    std::vector<alerts::alert> out;
    for (auto& a : st.load_alerts(std::nullopt))
      if (a.rule == "sos-pressed") out.push_back(a);
    return out;
  }
};

std::string native(time_point ts, const std::string& metrics) {
  return fmt::format(R"({{"ts":"{}","metrics":{{{}}}}})", format_rfc3339(ts), metrics);
}

struct temp_db {
  fs::path dir = fs::temp_directory_path() / fmt::format("hearth-redelivery-{}", ::getpid());
  temp_db() { fs::create_directories(dir); }
  ~temp_db() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path file() const { return dir / "hearth.db"; }
};

}  // namespace

TEST_CASE("a water reading redelivered a minute later is stored once and counted once",
          "[pipeline][redelivery]") {
  temp_db tmp;
  rig r(tmp.file(), *parse_rfc3339("2026-11-20T07:00:00Z"));
  r.import_registry();
  const auto t0 = r.clock.now();
  r.pipe.on_message(k_native, native(t0, R"("water.total_l":1000)"), r.clock.now());
  r.clock.advance(1h);
  const auto second = native(t0 + 1h, R"("water.total_l":1150)");
  r.pipe.on_message(k_native, second, r.clock.now());
  r.clock.advance(60s);  // after a reconnect: far outside the 2 s same-payload window
  r.pipe.on_message(k_native, second, r.clock.now(), /*redelivered*/ true);
  // Also without the DUP flag (a gateway that repeats itself): same event time, same bytes.
  r.clock.advance(60s);
  r.pipe.on_message(k_native, second, r.clock.now());

  CHECK(r.duplicates() == 2);
  CHECK(r.readings_of("button-demo-1") == 2);
}

TEST_CASE(
    "a redelivered Zigbee2MQTT SOS press neither raises the open alert's urgency nor "
    "adds an occurrence; a real second press does",
    "[pipeline][redelivery]") {
  temp_db tmp;
  rig r(tmp.file(), *parse_rfc3339("2026-11-20T07:00:00Z"));
  r.import_registry();
  const std::string press = R"({"action":"emergency","battery":92})";
  r.pipe.on_message(k_z2m_sos, press, r.clock.now());
  REQUIRE(r.sos_alerts().size() == 1);
  r.clock.advance(20s);  // the connection dropped; the broker resends on reconnect
  r.pipe.on_message(k_z2m_sos, press, r.clock.now(), /*redelivered*/ true);
  auto alerts = r.sos_alerts();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].occurrences == 1);
  CHECK(r.duplicates() == 1);

  r.clock.advance(20s);
  r.pipe.on_message(k_z2m_sos, press, r.clock.now());  // pressed again: no DUP flag
  alerts = r.sos_alerts();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].occurrences == 2);
}

TEST_CASE(
    "an SOS press redelivered after its alert was resolved does not re-open it, even "
    "after a restart",
    "[pipeline][redelivery]") {
  temp_db tmp;
  const auto start = *parse_rfc3339("2026-11-20T07:00:00Z");
  const auto pressed_at = start;
  const auto press = native(pressed_at, R"("sos.pressed":true)");
  {
    rig r(tmp.file(), start);
    r.import_registry();
    r.pipe.on_message(k_native, press, r.clock.now());
    auto alerts = r.sos_alerts();
    REQUIRE(alerts.size() == 1);
    r.clock.advance(3min);
    auto done = r.book.resolve(alerts[0].id, "resident-fine", "op-1", "", "api");
    REQUIRE(done);
    r.pipe.record(*done);
    r.clock.advance(2min);
    r.pipe.on_message(k_native, press, r.clock.now(), /*redelivered*/ true);
    CHECK(r.duplicates() == 1);
    REQUIRE(r.sos_alerts().size() == 1);
    CHECK(r.sos_alerts()[0].state == alerts::state::resolved);
  }
  // hearthd restarted: nothing in memory; the stored reading at that event time is the
  // identity of the press.
  rig after(tmp.file(), start + 10min);
  after.pipe.on_message(k_native, press, after.clock.now(), /*redelivered*/ true);
  CHECK(after.duplicates() == 1);
  CHECK(after.sos_alerts().size() == 1);
  // A new press (a new event time) after the restart opens a new alert, of course.
  after.pipe.on_message(k_native, native(start + 10min, R"("sos.pressed":true)"),
                        after.clock.now());
  CHECK(after.sos_alerts().size() == 2);
}

TEST_CASE("an identical native press more than 8 messages old does not reopen its resolved alert",
          "[pipeline][redelivery]") {
  // Before: identities were the device's last 8 messages; a burst pushed the press out and
  // its late copy (no DUP flag: a gateway repeating itself) opened a new alert.
  temp_db tmp;
  const auto start = *parse_rfc3339("2026-11-20T07:00:00Z");
  rig r(tmp.file(), start);
  r.import_registry();
  const auto press = native(start, R"("sos.pressed":true)");
  r.pipe.on_message(k_native, press, r.clock.now());
  REQUIRE(r.sos_alerts().size() == 1);
  auto done = r.book.resolve(r.sos_alerts()[0].id, "resident-fine", "op-1", "", "api");
  REQUIRE(done);
  r.pipe.record(*done);
  for (int i = 1; i <= 20; ++i) {  // a burst of battery reports from the same button
    r.clock.advance(1s);
    r.pipe.on_message(k_native, native(start + i * 1s, R"("device.battery_pct":80)"),
                      r.clock.now());
  }
  r.clock.advance(5min);
  r.pipe.on_message(k_native, press, r.clock.now());
  CHECK(r.duplicates() == 1);
  REQUIRE(r.sos_alerts().size() == 1);
  CHECK(r.sos_alerts()[0].state == alerts::state::resolved);
}

TEST_CASE(
    "after a kill -9, a redelivered press whose alert was stored but whose reading was not "
    "is not a new press",
    "[pipeline][redelivery]") {
  // The alert is written at once, the reading a moment later by the writer: a kill in
  // between left the press in the alert and not in the readings. Before: the DUP-flagged
  // copy after the restart was looked up in the readings only, and counted again (202
  // occurrences for 200 presses).
  temp_db tmp;
  const auto start = *parse_rfc3339("2026-11-20T07:00:00Z");
  const auto second = native(start + 5s, R"("sos.pressed":true)");
  {
    rig r(tmp.file(), start);
    r.import_registry();
    r.pipe.on_message(k_native, native(start, R"("sos.pressed":true)"), r.clock.now());
    r.clock.advance(5s);
    r.pipe.on_message(k_native, second, r.clock.now());
    REQUIRE(r.sos_alerts().size() == 1);
    REQUIRE(r.sos_alerts()[0].occurrences == 2);
    r.writer.flush();
    // What the kill cost: the second press's reading never reached the file.
    r.st.db().exec(
        fmt::format("DELETE FROM readings WHERE ts = {}", (start + 5s).time_since_epoch().count()));
  }
  rig after(tmp.file(), start + 30s);
  after.pipe.on_message(k_native, second, after.clock.now(), /*redelivered*/ true);
  CHECK(after.duplicates() == 1);
  REQUIRE(after.sos_alerts().size() == 1);
  CHECK(after.sos_alerts()[0].occurrences == 2);
}

TEST_CASE(
    "after a takeover, the standby's witnessed messages: what the old node stored is dropped "
    "without a quarantine row, what it lost is processed, and nothing without an identity is",
    "[pipeline][redelivery][ha]") {
  temp_db tmp;
  const auto start = *parse_rfc3339("2026-11-20T07:00:00Z");
  const auto stored = native(start, R"("water.total_l":1000)");
  const auto press = native(start + 1s, R"("sos.pressed":true)");
  {
    // The old active node stored the reading and opened the SOS alert, then died.
    rig old(tmp.file(), start + 2s);
    old.import_registry();
    old.pipe.on_message(k_native, stored, old.clock.now());
    old.pipe.on_message(k_native, press, old.clock.now());
    old.writer.flush();
    REQUIRE(old.sos_alerts().size() == 1);
  }
  rig r(tmp.file(), start + 5s);
  const auto quarantined = r.st.quarantine().size();
  const auto lost = native(start + 2s, R"("water.total_l":1010)");
  const auto outcome = [&](const char* o) {
    return r.tel.value("hearth_ha_witness_messages_total", fmt::format("outcome=\"{}\"", o));
  };
  r.pipe.on_witnessed(k_native, stored, start + 1s);
  r.pipe.on_witnessed(k_native, press, start + 1s);
  r.pipe.on_witnessed(k_native, lost, start + 2s);
  r.pipe.on_witnessed(k_z2m_sos, R"({"action":"emergency"})", start + 2s);
  r.pipe.on_witnessed("hearth/v1/devices/nobody-knows/up", lost, start + 2s);
  // The same lost reading again, now from the new session (the broker's in-flight copy).
  r.pipe.on_message(k_native, lost, r.clock.now(), /*redelivered*/ true);

  CHECK(outcome("stored") == 2);
  CHECK(outcome("recovered") == 1);
  CHECK(outcome("no-identity") == 1);
  CHECK(outcome("rejected") == 1);
  CHECK(r.readings_of("button-demo-1") == 3);  // 1000, the press, 1010: each once
  const auto sos = r.sos_alerts();
  REQUIRE(sos.size() == 1);
  CHECK(sos[0].occurrences == 1);  // neither the native press nor the identity-less one added
  CHECK(r.duplicates() == 1);      // the session's copy of the recovered reading
  CHECK(r.st.quarantine().size() == quarantined + 1);
}
