// SPDX-License-Identifier: Apache-2.0
// A resident's rights (issue 7): `hearthd residents export` gives everything held about the
// person and is itself audited; `hearthd residents erase` removes the personal data while the
// hash-chained audit trail still verifies.
#include "store/privacy.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "app/definitions.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace json = boost::json;

const time_point k_t0 = time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};

/// The sample registry (R-1001 lives alone in H-3-502), an SOS alert about R-1001 with its
/// audit rows, an away, and readings of the household's SOS button.
struct community {
  test::temp_dir dir;
  std::string db = (dir / "hearth.db").string();
  store::store st{db};

  community() {
    diagnostics d;
    auto types = catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d);
    registry::tables parsed;
    REQUIRE(app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                       registry::registry{}, &types, parsed, d));
    st.save_registry(parsed);
    st.save_alert(sos_alert(alerts::state::open));
    st.append_audit({{k_t0, "hearthd", "opened", "1", "sos-pressed|sos-3-502", "", "rule"},
                     {k_t0 + 1min, "op-wang", "noted", "1", "sos-pressed|sos-3-502",
                      "called the resident, no answer", "api"},
                     {k_t0 + 2min, "sw-lu", "away-set", "", "resident:R-1001",
                      "until 2026-12-01T00:00:00Z", "api"}});
    st.save_away({"R-1001", k_t0, k_t0 + 24h * 10, "in hospital", "sw-lu"});
    telemetry tel;
    store::writer wr(db, tel);
    std::vector<reading> rs;
    for (int i = 0; i < 24; ++i)
      rs.push_back({"sos-3-502", metric::device_battery_pct, 90.0 - i, k_t0 + 1h * i});
    wr.push(rs);
    REQUIRE(wr.flush(10s));
  }

  static alerts::alert sos_alert(alerts::state s) {
    alerts::alert a;
    a.id = "1";
    a.key = "sos-pressed|sos-3-502";
    a.rule = "sos-pressed";
    a.priority = 1;
    a.state = s;
    a.title = "SOS pressed in B3 unit 502";
    a.summary = "The SOS button in B3 unit 502 (bedroom) was pressed at 08:00.";
    a.subject = {"sos-3-502", "H-3-502", "B3", {"R-1001"}};
    a.opened_at = a.updated_at = k_t0;
    return a;
  }

  /// Every text value in every table, to look for what must be gone.
  std::string everything() {
    std::string out;
    auto tables = st.db().prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
    while (tables.step()) {
      auto rows = st.db().prepare("SELECT * FROM \"" + tables.text(0) + "\"");
      while (rows.step())
        for (int c = 0; c < rows.columns(); ++c)
          out += rows.text(c) + "\n";
    }
    return out;
  }
};

}  // namespace

TEST_CASE(
    "an export holds the resident's registry row, household, devices, readings, alerts, "
    "aways and audit rows, and is itself audited",
    "[store][privacy]") {
  community c;
  auto out = store::export_resident(c.st, "R-1001", "dpo-chen", k_t0 + 1h, false);
  REQUIRE(out);
  const json::value v = *out;
  CHECK(v.at("resident").at("name") == "Example Resident A");
  CHECK(v.at("resident").at("phone") == "+86-000-0000-0001");
  CHECK(v.at("household").at("household_id") == "H-3-502");
  const auto& devices = v.at("devices").as_array();
  REQUIRE_FALSE(devices.empty());
  bool found = false;
  for (const auto& d : devices)
    if (d.at("device_id") == "sos-3-502") {
      found = true;
      REQUIRE(d.at("readings_summary").as_array().size() == 1);
      CHECK(d.at("readings_summary").at(0).at("count") == 24);
      CHECK(d.at("readings_summary").at(0).at("metric") == "device.battery_pct");
    }
  CHECK(found);
  REQUIRE(v.at("alerts").as_array().size() == 1);
  CHECK(v.at("alerts").at(0).at("rule") == "sos-pressed");
  REQUIRE(v.at("aways").as_array().size() == 1);
  CHECK(v.at("aways").at(0).at("reason") == "in hospital");
  CHECK(v.at("audit").as_array().size() == 3);  // opened, noted, away-set

  auto full = store::export_resident(c.st, "R-1001", "dpo-chen", k_t0 + 1h, true);
  REQUIRE(full);
  for (const auto& d : full->at("devices").as_array())
    if (d.at("device_id") == "sos-3-502") CHECK(d.at("readings").as_array().size() == 24);

  const auto rows = c.st.audit_rows();
  REQUIRE(rows.size() == 6);  // the record of the alert row, 3 rows, 2 exports
  CHECK(rows.back().entry.action == "personal-data-exported");
  CHECK(rows.back().entry.actor == "dpo-chen");
  CHECK(rows.back().entry.subject == "resident:R-1001");
  CHECK(c.st.verify_audit().ok());
  CHECK_FALSE(store::export_resident(c.st, "R-9999", "dpo-chen", k_t0, false));
}

TEST_CASE("erasure is refused while an alert about the resident is still open",
          "[store][privacy]") {
  community c;
  CHECK_THROWS_WITH(store::erase_resident(c.st, "R-1001", "dpo-chen", k_t0 + 1h),
                    Catch::Contains("resolve it first"));
  CHECK_THAT(c.everything(), Catch::Contains("Example Resident A"));  // nothing changed
}

TEST_CASE("erasure removes the resident's personal data and the audit chain still verifies",
          "[store][privacy]") {
  community c;
  c.st.save_alert(community::sos_alert(alerts::state::resolved));
  auto done = store::erase_resident(c.st, "R-1001", "dpo-chen", k_t0 + 1h);
  REQUIRE(done);
  CHECK(done->pseudonym.starts_with("erased-"));
  CHECK(done->aways == 1);
  CHECK(done->alerts == 1);
  CHECK(done->household_readings_erased);  // R-1001 lived alone
  CHECK(done->readings == 24);

  const auto all = c.everything();
  for (const char* gone : {"Example Resident A", "+86-000-0000-0001", "Example Daughter",
                           "+86-000-0000-0002", "in hospital"})
    CHECK_THAT(all, !Catch::Contains(gone));
  auto a = c.st.load_alert("1");
  REQUIRE(a);
  CHECK(a->subject.resident_ids == std::vector<std::string>{done->pseudonym});
  CHECK(c.st.readings("sos-3-502", k_t0, k_t0 + 48h).empty());
  CHECK(c.st.load_registry().all().residents.size() == 1);  // R-1002 stays

  const auto verdict = c.st.verify_audit();
  CHECK(verdict.ok());
  // 3 rows, the erasure, and a record of the alert row each time it was written (opened,
  // resolved, re-labelled): the chain vouches for the re-labelled row too.
  CHECK(verdict.rows == 7);
  CHECK(verdict.alerts == 1);
  const auto rows = c.st.audit_rows();
  CHECK(rows.back().entry.action == "personal-data-erased");
  CHECK(rows.back().entry.subject == "resident:R-1001");
  CHECK_THAT(rows.back().entry.note, !Catch::Contains(done->pseudonym));
  CHECK_FALSE(store::erase_resident(c.st, "R-1001", "dpo-chen", k_t0 + 2h));
}

TEST_CASE("audit rows about a resident never carry the away reason", "[store][privacy]") {
  manual_clock clock(k_t0);
  alerts::book book(clock, 0);
  REQUIRE(
      book.set_away({"R-1001", {}, k_t0 + 24h, "in hospital for a hip operation", "sw-lu"}, "api"));
  const auto rows = book.take_journal();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].action == "away-set");
  CHECK_THAT(rows[0].note, !Catch::Contains("hospital"));
}
