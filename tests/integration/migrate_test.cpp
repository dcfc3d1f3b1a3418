// SPDX-License-Identifier: Apache-2.0
// `hearthd migrate --from FILE.db --to postgresql://...` (issue 17): a community's SQLite
// database, made through the store, moved by the real command into a fresh database on a
// real PostgreSQL 15 cluster; everything is there, the audit chain verifies, ids go on
// from the highest copied, and a second run into the same database is refused untouched.
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "support/harness.hpp"
#include "support/postgres.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

const time_point k_t0 = time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};

alerts::alert an_alert(const std::string& id, alerts::state s) {
  alerts::alert a;
  a.id = id;
  a.key = "sos-pressed|sos-" + id;
  a.rule = "sos-pressed";
  a.priority = 1;
  a.state = s;
  a.title = "SOS";
  a.summary = "按下了求助按钮";
  a.subject = {"sos-" + id, "H-1", "B1", {"R-1"}};
  a.opened_at = a.updated_at = k_t0;
  if (s == alerts::state::acknowledged) a.assignee = "op-wang";
  return a;
}

}  // namespace

TEST_CASE(
    "hearthd migrate copies a SQLite database into PostgreSQL whole, and the audit "
    "chain still verifies",
    "[store][migrate][pg]") {
  test::temp_dir dir;
  const auto file = (dir / "hearth.db").string();
  {
    store::store st(file);
    registry::tables t;
    t.households = {{"H-1", "B1", "101", "1号楼101"}};
    t.residents = {{"R-1", "H-1", "王秀英", 1941, true, "+86-000", "女儿", "+86-001", "sw-lu"}};
    t.devices = {{"meter-1", "0x01", "z2m.water-meter", "H-1", "B1", "厨房"}};
    st.save_registry(t);
    st.save_alert(an_alert("41", alerts::state::acknowledged));
    st.save_alert(an_alert("42", alerts::state::open));
    st.append_audit({{k_t0, "hearthd", "opened", "41", "sos|41", "", "rule"},
                     {k_t0 + 1s, "op-wang", "claimed", "41", "sos|41", "在路上", "api"},
                     {k_t0 + 2s, "hearthd", "opened", "42", "sos|42", "", "rule"}});
    st.add_user({"op-wang", "operator", "hash", k_t0});
    st.add_token({"t-api", "op-wang", "api", k_t0, std::nullopt});
    // The desk's (issue 16): a disabled user with a caseload, an acknowledged handover.
    st.add_user({"sw-lu", "social_worker", "", k_t0, std::nullopt, {"R-1"}});
    st.set_disabled("sw-lu", k_t0 + 1h);
    st.save_handover({0, k_t0, k_t0 + 8h, "op-wang", k_t0 + 8h, "交班"});
    // The console's (issue 15): a user's chosen language.
    st.set_user_locale("op-wang", "en");
    st.save_engine_state({{"d|meter-1", "{\"seen\":true}"}});
    alerts::transition tr{alerts::transition::kind::opened, an_alert("42", alerts::state::open),
                          "opened", std::nullopt};
    st.append_transition(tr, k_t0);
    telemetry tel;
    store::writer wr(file, tel);
    for (int i = 0; i < 72; ++i)  // three days, hourly: three partitions on PostgreSQL
      wr.push(std::vector<reading>{{"meter-1", metric::water_total_l, 1.0 * i, k_t0 + 1h * i}});
    wr.push(store::quarantine_row{k_t0, "zigbee2mqtt/x", "malformed-json", "d",
                                  std::string("\x00\xff", 2)});
    REQUIRE(wr.flush(10s));
  }
  // The three rows appended, and one for each alert saved (the chain covers every change
  // of an alert, issue 18).
  const auto source = store::store(file).verify_audit();
  REQUIRE(source.ok());
  REQUIRE(source.rows == 5);
  const auto uri = test::pg_cluster::shared().fresh_database();

  const auto r =
      test::run_command({HEARTHD_BINARY, "migrate", "--from", file, "--to", uri}, dir, 120s);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("audit trail intact: 5 rows") != std::string::npos);

  store::store pg(uri);
  CHECK(pg.db().dialect() == store::dialect::postgresql);
  CHECK(pg.count_readings() == 72);
  CHECK(pg.readings("meter-1", k_t0 + 24h, k_t0 + 48h).size() == 24);
  CHECK(test::pg_query_ints(uri,
                            "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = "
                            "'readings'::regclass") == std::vector<std::int64_t>{3});
  const auto snapshot = pg.load_registry();
  const auto& reg = snapshot.all();
  REQUIRE(reg.residents.size() == 1);
  CHECK(reg.residents[0].name == "王秀英");
  const auto claimed = pg.load_alert("41");
  REQUIRE(claimed);
  CHECK(claimed->assignee == "op-wang");
  CHECK(claimed->summary == "按下了求助按钮");
  CHECK(pg.load_alerts(alerts::state::open).size() == 1);
  const auto v = pg.verify_audit();
  CHECK(v.ok());
  CHECK(v.rows == source.rows);
  CHECK(pg.audit_for_alert("41").back().entry.note == "在路上");
  CHECK(pg.find_token("t-api", k_t0 + 1h));
  const auto lu = pg.find_user("sw-lu");
  REQUIRE(lu);
  CHECK(lu->disabled_at == k_t0 + 1h);
  CHECK(lu->caseload == std::vector<std::string>{"R-1"});
  CHECK(pg.user_locale("op-wang") == "en");
  CHECK_FALSE(pg.user_locale("sw-lu"));
  const auto hs = pg.handovers(k_t0, k_t0 + 8h);
  REQUIRE(hs.size() == 1);
  CHECK(hs[0].note == "交班");
  // The handovers' identity goes on from the copied ids.
  CHECK(pg.save_handover({0, k_t0 + 8h, k_t0 + 16h, "op-li", k_t0 + 16h, ""}).id == hs[0].id + 1);
  CHECK(pg.load_engine_state().size() == 1);
  const auto q = pg.quarantine();
  REQUIRE(q.size() == 1);
  CHECK(q[0].payload == std::string("\x00\xff", 2));
  CHECK(pg.last_transition_seq() == 1);
  // Ids go on from the highest copied: the next alert is 43, the next transition 2.
  CHECK(pg.reserve_alert_ids(1) == std::vector<std::uint64_t>{43});
  alerts::transition tr{alerts::transition::kind::resolved, an_alert("42", alerts::state::resolved),
                        "resolved", std::nullopt};
  CHECK(pg.append_transition(tr, k_t0 + 1h) == 2);

  // Into a database that holds data: refused, and nothing changes.
  const auto again =
      test::run_command({HEARTHD_BINARY, "migrate", "--from", file, "--to", uri}, dir, 120s);
  CHECK(again.status == 1);
  CHECK(again.output.find("already holds data") != std::string::npos);
  CHECK(pg.count_readings() == 72);
  CHECK(pg.verify_audit().rows == source.rows);
}
