// SPDX-License-Identifier: Apache-2.0
// The store's contract, table by table, on both backends: a real SQLite file and a real
// PostgreSQL 15 database (a throwaway cluster started by the test executable). Each case
// runs once per backend (GENERATE).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <set>

#include "store/postgres.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "support/harness.hpp"
#include "support/postgres.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
using test::backend;

const time_point k_t0 = time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};

struct fixture {
  backend kind;
  test::temp_dir dir;
  std::string db;
  explicit fixture(backend b) : kind(b), db(test::fresh_database(b, dir)) {
    // The case really runs on the backend it names.
    REQUIRE((store::open_connection(db)->dialect() == store::dialect::postgresql) ==
            (b == backend::postgresql));
  }
};

alerts::alert an_alert(const std::string& id, alerts::state s, const std::string& resident,
                       time_point opened) {
  alerts::alert a;
  a.id = id;
  a.key = "sos-pressed|sos-" + id;
  a.rule = "sos-pressed";
  a.priority = 1;
  a.state = s;
  a.title = "SOS";
  a.summary = "pressed";
  a.subject = {"sos-" + id, "H-" + resident, "B3", {resident}};
  a.opened_at = a.updated_at = opened;
  return a;
}

}  // namespace

TEST_CASE("a new database is migrated to the latest version, and migrating again does nothing",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  CHECK(store::schema_version(st.db()) == store::latest_schema_version());
  store::store again(f.db);
  CHECK(store::migrate(again.db()) == store::latest_schema_version());
  CHECK(store::schema_version(again.db()) == store::latest_schema_version());
}

TEST_CASE("the registry is upserted and loaded whole", "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  registry::tables t;
  t.households = {{"H-1", "B1", "101", "Building 1 Unit 101"}};
  t.residents = {{"R-1", "H-1", "王秀英", 1941, true, "+86-000", "女儿", "+86-001", "sw-lu"}};
  t.devices = {{"sos-1", "0x01", "z2m.sos-button", "H-1", "B1", "卧室"}};
  t.buildings = {{"B1", 18.5, 4}};
  st.save_registry(t);
  t.residents[0].phone = "+86-999";
  t.devices.push_back({"tilt-1", "a1", "lora.tilt-sensor", "", "B1", "roof"});
  st.save_registry(t);
  const auto reg = st.load_registry();
  const auto& back = reg.all();
  REQUIRE(back.residents.size() == 1);
  CHECK(back.residents[0].name == "王秀英");
  CHECK(back.residents[0].phone == "+86-999");
  CHECK(back.residents[0].lives_alone);
  CHECK(back.devices.size() == 2);
  CHECK(back.devices[0].location == "卧室");
  REQUIRE(back.buildings.size() == 1);
  CHECK(back.buildings[0].height_m == 18.5);
  // The snapshot read from the store is indexed, and owns the text the rows came in.
  REQUIRE(reg.find_device_by_external_id("0X01"));
  CHECK(reg.find_device_by_external_id("0X01")->id == "sos-1");
  CHECK(reg.devices_of("H-1").size() == 1);
  CHECK(reg.residents_of("H-1").at(0)->emergency_contact == "女儿");
  CHECK(reg.find_building("B1")->tilt_limit_permille == 4);
}

TEST_CASE("alerts are saved, updated, loaded by state and found by whom they are about",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  st.save_alert(an_alert("1", alerts::state::open, "R-1", k_t0));
  st.save_alert(an_alert("2", alerts::state::open, "R-2", k_t0 + 1min));
  auto claimed = an_alert("1", alerts::state::acknowledged, "R-1", k_t0);
  claimed.assignee = "op-wang";
  st.save_alert(claimed);
  CHECK(st.max_alert_id() == 2);
  const auto open = st.load_alerts(alerts::state::open);
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == "2");
  const auto one = st.load_alert("1");
  REQUIRE(one);
  CHECK(one->assignee == "op-wang");
  CHECK(one->key == "sos-pressed|sos-1");
  CHECK_FALSE(st.load_alert("9"));
  CHECK_FALSE(st.load_alert("x"));
  const auto about = st.alerts_about("R-2", "", 10);
  REQUIRE(about.size() == 1);
  CHECK(about[0].id == "2");
  CHECK(st.alerts_about("", "H-R-1", 10).size() == 1);
  CHECK(st.alerts_about("R-3", "", 10).empty());
}

TEST_CASE("the audit chain verifies, refuses updates and deletes, and names a broken row",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  st.append_audit({{k_t0, "hearthd", "opened", "1", "sos|1", "", "rule"},
                   {k_t0 + 1s, "op-wang", "claimed", "1", "sos|1", "在路上", "api"}});
  st.append_audit({{k_t0 + 2s, "op-wang", "resolved", "1", "sos|1", "", "api"}});
  CHECK(st.audit_rows().size() == 3);
  CHECK(st.audit_for_alert("1").back().entry.action == "resolved");
  auto v = st.verify_audit();
  CHECK(v.ok());
  CHECK(v.rows == 3);
  CHECK_THROWS_AS(st.db().exec("UPDATE audit SET note = 'x' WHERE seq = 1"), store::store_error);
  CHECK_THROWS_AS(st.db().exec("DELETE FROM audit WHERE seq = 1"), store::store_error);
  // Someone with the database drops the guard and rewrites who claimed the alert.
  if (f.kind == backend::sqlite)
    st.db().exec("DROP TRIGGER audit_no_update");
  else
    st.db().exec("ALTER TABLE audit DISABLE TRIGGER audit_no_update");
  st.db().exec("UPDATE audit SET actor = 'op-li' WHERE seq = 2");
  v = st.verify_audit();
  REQUIRE_FALSE(v.ok());
  CHECK(*v.bad == 2);
}

TEST_CASE(
    "the audit chain stays whole when appends share a transaction, one rolls back, or "
    "another connection appends in between",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  {
    // An alert save and the journal rows after it, in one transaction: the second append
    // chains on from the first without reading the chain's end again.
    store::transaction tx(st);
    st.save_alert(an_alert("1", alerts::state::open, "R-1", k_t0));
    st.append_audit({{k_t0, "hearthd", "opened", "1", "sos|1", "", "rule"}});
    st.append_audit({{k_t0, "hearthd", "notified", "1", "sos|1", "", "mqtt"}});
    tx.commit();
  }
  try {
    // Rolled back after an append: what it read of the chain's end must not be trusted.
    store::transaction tx(st);
    st.append_audit({{k_t0 + 1s, "op-wang", "claimed", "1", "sos|1", "", "api"}});
    throw std::runtime_error("the caller fails before committing");
  } catch (const std::runtime_error&) {
  }
  {
    // Another connection (a CLI command, another node) appends meanwhile.
    store::store other(f.db);
    other.append_audit({{k_t0 + 2s, "admin", "user-added", "", "user:op-li", "", "cli"}});
  }
  {
    store::transaction tx(st);
    st.append_audit({{k_t0 + 3s, "op-wang", "claimed", "1", "sos|1", "", "api"}});
    st.save_alert(an_alert("1", alerts::state::acknowledged, "R-1", k_t0));
    tx.commit();
  }
  const auto rows = st.audit_rows();
  REQUIRE(rows.size() == 6);  // recorded, opened, notified, user-added, claimed, recorded
  for (std::size_t i = 0; i < rows.size(); ++i)
    CHECK(rows[i].seq == static_cast<std::int64_t>(i + 1));
  CHECK(rows[3].entry.action == "user-added");
  const auto v = st.verify_audit();
  CHECK(v.ok());
  CHECK(v.rows == 6);
  CHECK(v.alerts == 1);
}

TEST_CASE("a transaction inside another joins it, and its failure rolls both back",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  {
    store::transaction outer(st);
    st.save_alert(an_alert("1", alerts::state::open, "R-1", k_t0));  // joins
    st.append_audit({{k_t0, "hearthd", "opened", "1", "sos|1", "", "rule"}});
    outer.commit();
  }
  CHECK(st.max_alert_id() == 1);
  try {
    store::transaction outer(st);
    st.save_alert(an_alert("2", alerts::state::open, "R-2", k_t0));
    throw std::runtime_error("the caller fails before committing");
  } catch (const std::runtime_error&) {
  }
  CHECK(st.max_alert_id() == 1);
  CHECK(st.db().transaction_depth() == 0);
}

TEST_CASE("engine state rows are upserted and deleted by an empty body", "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  st.save_engine_state({{"d|x", "{\"seen\":true}"}, {"a|R-1", "{\"until\":1}"}});
  st.save_engine_state({{"a|R-1", ""}, {"d|x", "{\"seen\":false}"}});
  CHECK(st.load_engine_state() == std::vector<engine::state_row>{{"d|x", "{\"seen\":false}"}});
  // One slice (PostgreSQL sends it as arrays, one statement): a key twice (the last wins),
  // deleted then written again, and bodies with quotes, backslashes and Chinese.
  const std::string odd = R"({"note":"王 \"a\\b\" {x,y}"})";
  st.save_engine_state(
      {{"d|y", "{\"n\":1}"}, {"d|y", odd}, {"d|x", ""}, {"d|x", "{\"seen\":1}"}, {"a|R-2", ""}});
  CHECK(st.load_engine_state() ==
        std::vector<engine::state_row>{{"d|x", "{\"seen\":1}"}, {"d|y", odd}});
}

TEST_CASE(
    "engine state handed to the store writer is stored in the order pushed, with the "
    "readings of the same batch",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  telemetry tel;
  {
    store::writer w(f.db, tel);
    w.push(store::engine_state_slice{{{"d|x", "{\"seen\":true}"}, {"a|R-1", "{\"until\":1}"}}});
    w.push(std::vector<reading>{{"sos-1", metric::device_battery_pct, 90, k_t0}}, true);
    // A later slice: a key deleted, another written again (the last row of a key wins).
    w.push(store::engine_state_slice{
        {{"a|R-1", ""}, {"d|x", "{\"seen\":false}"}, {"d|y", "{\"n\":1}"}, {"d|y", "{\"n\":2}"}}});
    REQUIRE(w.flush(30s));
  }
  CHECK(st.load_engine_state() ==
        std::vector<engine::state_row>{{"d|x", "{\"seen\":false}"}, {"d|y", "{\"n\":2}"}});
  CHECK(st.count_readings() == 1);
  CHECK(tel.value("hearth_store_shed_rows_total", "kind=\"engine-state\",life_safety=\"true\"") ==
        0);
}

TEST_CASE(
    "a writer batch that fails forgets the device keys it made, and its retry stores the "
    "readings under keys that exist",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  // The database refuses one value until the trigger is dropped, as a full disk would. On
  // PostgreSQL a key made by a rolled-back batch is never made again (its identity value is
  // used up), so a key the writer remembered from the failed batch would point at nothing.
  if (f.kind == backend::sqlite) {
    st.db().exec(
        "CREATE TRIGGER refuse_13 BEFORE INSERT ON readings WHEN NEW.value = 13 BEGIN SELECT "
        "RAISE(ABORT, 'refused by the test'); END");
  } else {
    st.db().exec(
        "CREATE FUNCTION refuse_13() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.value "
        "= 13 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
    st.db().exec(
        "CREATE TRIGGER refuse_13 BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION "
        "refuse_13()");
  }
  telemetry tel;
  store::writer_options o;
  o.backoff = 20ms;
  o.max_backoff = 50ms;
  store::writer w(f.db, tel, o);
  w.push(std::vector<reading>{{"meter-new", metric::water_total_l, 13, k_t0}});
  REQUIRE(test::eventually([&] { return tel.value("hearth_store_write_errors_total") >= 2; }));
  st.db().exec(f.kind == backend::sqlite ? "DROP TRIGGER refuse_13"
                                         : "DROP TRIGGER refuse_13 ON readings");
  w.push(std::vector<reading>{{"meter-new", metric::water_total_l, 14, k_t0 + 1s}});
  REQUIRE(w.flush(30s));
  auto q = st.db().prepare(
      "SELECT COUNT(*) FROM readings r JOIN device_keys k ON k.key = r.device WHERE "
      "k.device_id = 'meter-new'");
  REQUIRE(q.step());
  CHECK(q.int64(0) == 2);
  CHECK(st.count_readings() == 2);
}

TEST_CASE(
    "a lazy commit does not wait for the disk on PostgreSQL, for its own transaction only; "
    "engine state is saved that way",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  const auto setting = [&] {
    auto q = st.db().prepare(f.kind == backend::postgresql ? "SHOW synchronous_commit"
                                                           : "PRAGMA synchronous");
    REQUIRE(q.step());
    return q.text(0);
  };
  // What a connection commits with by default: PostgreSQL waits for the WAL to be flushed;
  // SQLite runs synchronous=NORMAL (1), which never waits at commit in WAL mode.
  const auto normal = setting();
  CHECK(normal == (f.kind == backend::postgresql ? "on" : "1"));
  const auto lazy = f.kind == backend::postgresql ? "off" : normal;
  {
    store::transaction tx(st);
    st.commit_lazily();
    CHECK(setting() == lazy);
    tx.commit();
  }
  CHECK(setting() == normal);  // SET LOCAL: the next transaction waits for the disk again
  {
    // Saving engine state inside an outer transaction shows what its own one does.
    store::transaction tx(st);
    st.save_engine_state({{"d|x", "{\"seen\":true}"}});
    CHECK(setting() == lazy);
    tx.commit();
  }
  CHECK(setting() == normal);
  CHECK(st.load_engine_state() == std::vector<engine::state_row>{{"d|x", "{\"seen\":true}"}});
}

TEST_CASE("users are unique; tokens are found until they expire", "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  CHECK(st.add_user({"op-wang", "operator", "hash", k_t0}));
  CHECK_FALSE(st.add_user({"op-wang", "admin", "", k_t0}));
  CHECK(st.find_user("op-wang")->role == "operator");
  st.add_token({"t-api", "op-wang", "api", k_t0, std::nullopt});
  st.add_token({"t-session", "op-wang", "session", k_t0, k_t0 + 1h});
  CHECK(st.find_token("t-api", k_t0 + 100h));
  CHECK(st.find_token("t-session", k_t0 + 59min));
  CHECK_FALSE(st.find_token("t-session", k_t0 + 1h));
  CHECK(st.delete_expired_tokens(k_t0 + 2h) == 1);
  st.delete_token("t-api");
  CHECK_FALSE(st.find_token("t-api", k_t0));
  CHECK(st.list_users().size() == 1);
}

TEST_CASE("the desk's user changes: disable, role, caseload, password, tokens, language, removal",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  REQUIRE(st.add_user({"sw-zhao", "social_worker", "hash", k_t0, std::nullopt, {"R-1", "H-2"}}));
  REQUIRE(st.add_user({"op-wang", "operator", "", k_t0}));
  CHECK(st.find_user("sw-zhao")->caseload == std::vector<std::string>{"R-1", "H-2"});
  st.add_token({"t-api", "sw-zhao", "api", k_t0, std::nullopt});
  st.add_token({"t-s1", "sw-zhao", "session", k_t0 + 1s, k_t0 + 1h});
  st.add_token({"t-s2", "sw-zhao", "session", k_t0 + 2s, k_t0 + 1h});
  CHECK(st.tokens_of("sw-zhao").size() == 3);
  // Disabling ends the sessions and keeps the API token; enabling clears the time.
  CHECK(st.set_disabled("sw-zhao", k_t0 + 5min));
  CHECK(st.find_user("sw-zhao")->disabled_at == k_t0 + 5min);
  const auto left = st.tokens_of("sw-zhao");
  REQUIRE(left.size() == 1);
  CHECK(left[0].kind == "api");
  CHECK(st.set_disabled("sw-zhao", std::nullopt));
  CHECK_FALSE(st.find_user("sw-zhao")->disabled_at);
  CHECK_FALSE(st.set_disabled("nobody", k_t0));
  CHECK(st.set_role("sw-zhao", "supervisor"));
  CHECK(st.set_caseload("sw-zhao", {"B3"}));
  CHECK(st.set_password_hash("sw-zhao", "hash2"));
  const auto u = st.find_user("sw-zhao");
  CHECK(u->role == "supervisor");
  CHECK(u->caseload == std::vector<std::string>{"B3"});
  CHECK(u->password_hash == "hash2");
  // The list says only whether there is a password.
  const auto all = st.list_users();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "op-wang");
  CHECK(all[0].password_hash.empty());
  CHECK(all[1].password_hash == "set");
  st.add_token({"t-s3", "sw-zhao", "session", k_t0 + 3s, k_t0 + 1h});
  CHECK(st.delete_tokens("sw-zhao", "session") == 1);
  CHECK(st.delete_tokens("sw-zhao") == 1);
  // The console's (issue 15): a user's language, gone with the user.
  CHECK(st.set_user_locale("sw-zhao", "en"));
  CHECK(st.user_locale("sw-zhao") == "en");
  CHECK(st.set_user_locale("sw-zhao", "zh-CN"));
  CHECK(st.user_locale("sw-zhao") == "zh-CN");
  CHECK_FALSE(st.set_user_locale("nobody", "en"));
  CHECK_FALSE(st.user_locale("op-wang"));
  st.add_token({"t-api2", "sw-zhao", "api", k_t0, std::nullopt});
  CHECK(st.remove_user("sw-zhao"));
  CHECK_FALSE(st.user_locale("sw-zhao"));
  CHECK_FALSE(st.find_user("sw-zhao"));
  CHECK_FALSE(st.find_token("t-api2", k_t0));
  CHECK_FALSE(st.remove_user("sw-zhao"));
}

TEST_CASE("the desk's reports: alerts by period, latest notes, handovers",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  for (int i = 1; i <= 4; ++i)
    st.save_alert(an_alert(std::to_string(i), alerts::state::open, "R-1", k_t0 + i * 1min));
  auto done = an_alert("2", alerts::state::resolved, "R-1", k_t0 + 2min);
  done.updated_at = k_t0 + 10min;
  st.save_alert(done);
  // [from, to) and at most limit + 1.
  const auto opened = st.alerts_opened(k_t0 + 2min, k_t0 + 4min, 10);
  REQUIRE(opened.size() == 2);
  CHECK(opened[0].id == "2");
  CHECK(opened[1].id == "3");
  CHECK(opened[0].key == "sos-pressed|sos-2");
  CHECK(st.alerts_opened(k_t0, k_t0 + 1h, 1).size() == 2);
  const auto resolved = st.alerts_resolved_since(k_t0 + 10min, 10);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].id == "2");
  CHECK(st.alerts_resolved_since(k_t0 + 11min, 10).empty());

  st.append_audit({{k_t0, "hearthd", "opened", "1", "sos|1", "", "rule"},
                   {k_t0 + 1s, "op-wang", "claimed", "1", "sos|1", "在路上", "api"},
                   {k_t0 + 2s, "op-wang", "resolved", "1", "sos|1", "resolved: 已到场", "api"},
                   {k_t0 + 3s, "hearthd", "escalated", "2", "sos|2", "P1 unclaimed", "rule"}});
  const auto notes = st.latest_notes({"1", "2", "3"}, false);
  REQUIRE(notes.size() == 1);
  CHECK(notes.at("1") == "在路上");
  CHECK(st.latest_notes({"1"}, true).at("1") == "resolved: 已到场");

  const auto h1 = st.save_handover({0, k_t0, k_t0 + 8h, "op-wang", k_t0 + 8h, "交班"});
  const auto h2 = st.save_handover({0, k_t0 + 8h, k_t0 + 16h, "op-li", k_t0 + 16h, ""});
  CHECK(h1.id > 0);
  CHECK(h2.id > h1.id);
  const auto hs = st.handovers(k_t0, k_t0 + 16h);
  REQUIRE(hs.size() == 2);
  CHECK(hs[0].id == h2.id);  // newest acknowledgement first
  CHECK(hs[1].note == "交班");
  CHECK(hs[1].by == "op-wang");
  CHECK(hs[1].at == k_t0 + 8h);
  CHECK(st.handovers(k_t0, k_t0 + 9h).size() == 1);
}

TEST_CASE("silences and aways are kept until they end or are deleted", "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  alerts::silence s;
  s.id = "7";
  s.kind = alerts::silence::scope::building;
  s.target = "B3";
  s.created_at = k_t0;
  s.until = k_t0 + 2h;
  s.reason = "维修";
  s.author = "sup-zhao";
  st.save_silence(s);
  CHECK(st.max_silence_id() == 7);
  CHECK(st.load_silences(k_t0 + 1h).size() == 1);
  CHECK(st.load_silences(k_t0 + 3h).empty());
  st.delete_silence("7", "sup-zhao", k_t0 + 10min);
  CHECK(st.load_silences(k_t0 + 1h).empty());
  st.save_away({"R-1", k_t0, k_t0 + 24h, "住院", "sw-lu"});
  st.save_away({"R-1", k_t0, k_t0 + 48h, "住院", "sw-lu"});
  const auto aways = st.load_aways(k_t0 + 30h);
  REQUIRE(aways.size() == 1);
  CHECK(aways[0].reason == "住院");
}

TEST_CASE(
    "the writer stores readings once, quarantined payloads byte for byte, and counts "
    "unknown senders",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  telemetry tel;
  {
    store::writer wr(f.db, tel);
    for (int i = 0; i < 50; ++i)
      wr.push(std::vector<reading>{{"meter-1", metric::water_total_l, 100.0 + i, k_t0 + 1h * i},
                                   {"meter-1", metric::device_battery_pct, 90, k_t0 + 1h * i}});
    // A redelivery of the first message: stored once.
    wr.push(std::vector<reading>{{"meter-1", metric::water_total_l, 100.0, k_t0}});
    const std::string payload("\x00\xff{\"bad\x01", 8);
    wr.push(store::quarantine_row{k_t0, "zigbee2mqtt/\xc3(x", "malformed-json",
                                  std::string("bad \xff byte"), payload});
    for (int i = 0; i < 3; ++i)
      wr.push(
          store::unknown_sighting{"0xdead", "zigbee2mqtt/x" + std::to_string(i), k_t0 + 1s * i});
    REQUIRE(wr.flush(10s));
  }
  CHECK(st.count_readings() == 100);
  const auto rows = st.readings("meter-1", k_t0 + 2h, k_t0 + 4h);
  REQUIRE(rows.size() == 4);  // two metrics at 2 h and 3 h
  CHECK(rows[0].ts == k_t0 + 2h);
  CHECK(st.readings("meter-1", k_t0, k_t0 + 100h, 5).size() == 5);
  CHECK(st.has_reading_at("meter-1", k_t0 + 7h));
  CHECK_FALSE(st.has_reading_at("meter-1", k_t0 + 7h + 1s));
  CHECK(st.all_readings("meter-1").size() == 100);
  const auto summary = st.readings_summary("meter-1");
  REQUIRE(summary.size() == 2);
  CHECK(summary[0].count == 50);
  CHECK(summary[0].max == 149.0);
  const auto q = st.quarantine();
  REQUIRE(q.size() == 1);
  CHECK(q[0].payload == std::string("\x00\xff{\"bad\x01", 8));
  CHECK(q[0].reason == "malformed-json");
  const auto unknown = st.unknown_devices();
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].count == 3);
  CHECK(unknown[0].last_topic == "zigbee2mqtt/x2");
  CHECK(unknown[0].first_seen == k_t0);
  CHECK(st.erase_readings("meter-1") == 100);
  CHECK(st.count_readings() == 0);
}

TEST_CASE("retention prunes old readings and quarantine rows", "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  telemetry tel;
  manual_clock clock{k_t0 + 24h * 10};
  store::writer_options o;
  o.retention = 24h * 3;
  o.clock = &clock;
  {
    store::writer wr(f.db, tel);
    for (int day = 0; day < 10; ++day) {
      wr.push(
          std::vector<reading>{{"meter-1", metric::water_total_l, 1.0 * day, k_t0 + 24h * day}});
      wr.push(store::quarantine_row{k_t0 + 24h * day, "t", "malformed-json", "d", "p"});
    }
    REQUIRE(wr.flush(10s));
  }
  REQUIRE(st.count_readings() == 10);
  {
    store::writer wr(f.db, tel, o);  // prunes when it is first idle
    REQUIRE(test::eventually([&] { return st.count_readings() == 3; }, 10s));
  }
  CHECK(st.readings("meter-1", k_t0, k_t0 + 24h * 11).front().ts == k_t0 + 24h * 7);
  if (f.kind == backend::postgresql)  // whole days dropped, not rows deleted
    CHECK(test::pg_query_ints(f.db,
                              "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = "
                              "'readings'::regclass") == std::vector<std::int64_t>{3});
  CHECK(tel.value("hearth_readings_pruned_total") == 7);
  CHECK(test::eventually([&] { return st.quarantine().size() == 3; }, 10s));
}

TEST_CASE(
    "transitions are numbered in the order they are stored, read back after a number, and "
    "pruned by age",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  CHECK(st.last_transition_seq() == 0);
  CHECK(st.first_transition_seq() == 0);
  using kind = alerts::transition::kind;
  auto a = an_alert("7", alerts::state::open, "R-1", k_t0);
  const auto s1 = st.append_transition({kind::opened, a, "opened", std::nullopt}, k_t0);
  a.state = alerts::state::acknowledged;
  a.assignee = "op-wang";
  const auto s2 = st.append_transition({kind::updated, a, "claimed", std::nullopt}, k_t0 + 1h);
  a.state = alerts::state::resolved;
  const auto s3 = st.append_transition({kind::resolved, a, "resolved", std::nullopt}, k_t0 + 2h);
  CHECK(s1 < s2);
  CHECK(s2 < s3);
  CHECK(st.first_transition_seq() == s1);
  CHECK(st.last_transition_seq() == s3);

  const auto after = st.transitions_after(s1, 10);
  REQUIRE(after.size() == 2);
  CHECK(after[0].seq == s2);
  CHECK(after[0].what == kind::updated);
  CHECK(after[0].action == "claimed");
  CHECK(after[0].after.id == "7");
  CHECK(after[0].after.assignee == "op-wang");
  CHECK(after[1].seq == s3);
  CHECK(after[1].what == kind::resolved);
  CHECK(st.transitions_after(s1, 1).size() == 1);  // at most `limit`
  CHECK(st.transitions_after(s3, 10).empty());

  CHECK(st.prune_transitions(k_t0 + 90min) == 2);
  CHECK(st.first_transition_seq() == s3);
  // Numbers are never given twice, even after the newest is pruned.
  CHECK(st.prune_transitions(k_t0 + 3h) == 1);
  CHECK(st.append_transition({kind::opened, a, "opened", std::nullopt}, k_t0 + 4h) > s3);
}

TEST_CASE("alert ids from PostgreSQL's sequence are never given twice, whichever node asks",
          "[store][backends][pg]") {
  test::temp_dir dir;
  const auto db = test::fresh_database(backend::postgresql, dir);
  store::store one(db), two(db);  // two nodes on one database
  std::set<std::uint64_t> all;
  std::uint64_t last = 0;
  for (int round = 0; round < 3; ++round)
    for (auto* st : {&one, &two})
      for (const auto id : st->reserve_alert_ids(4)) {
        CHECK(id > last);  // increasing, in the order asked
        last = id;
        all.insert(id);
      }
  CHECK(all.size() == 24);
}

// PostgreSQL's pipeline (postgres.hpp): inside a transaction, writes are sent without waiting
// for their outcome, and collected at the next read, `changes()` or the commit.
TEST_CASE(
    "on PostgreSQL, a write sent ahead that fails rolls its whole transaction back, and "
    "the connection goes on",
    "[store][backends][pg]") {
  store::pg_connection c(test::pg_cluster::shared().fresh_database());
  c.exec("CREATE TABLE t (a BIGINT PRIMARY KEY)");
  auto count = [&] {
    auto st = c.prepare("SELECT COUNT(*) FROM t");
    st.step();
    return st.int64(0);
  };
  {
    store::transaction tx(c);
    c.prepare("INSERT INTO t VALUES (?1)").bind(1, 1).run();
    c.prepare("INSERT INTO t VALUES (?1)").bind(1, 1).run();  // fails on the server
    c.prepare("INSERT INTO t VALUES (?1)").bind(1, 2).run();  // skipped by the server
    try {
      tx.commit();
      FAIL("the commit of a transaction whose write failed went through");
    } catch (const store::store_error& e) {
      CHECK(e.code == store::errc::constraint);
      CHECK(std::string(e.what()).find("INSERT INTO t") != std::string::npos);
    }
  }
  CHECK(c.transaction_depth() == 0);
  CHECK(count() == 0);
  {
    // Writes sent ahead, a plain query between them, a count of what one of them changed.
    store::transaction tx(c);
    c.prepare("INSERT INTO t SELECT generate_series(10, 12)").run();
    c.exec("SET LOCAL lock_timeout = '1s'; SET LOCAL statement_timeout = '5s'");
    c.prepare("UPDATE t SET a = a + 100 WHERE a >= ?1").bind(1, 11).run();
    CHECK(c.changes() == 2);
    tx.commit();
  }
  CHECK(count() == 3);
  auto max = c.prepare("SELECT MAX(a) FROM t");
  REQUIRE(max.step());
  CHECK(max.int64(0) == 112);
}

TEST_CASE(
    "on PostgreSQL, a transaction of writes alone from a node whose lease epoch is not "
    "current commits nothing",
    "[store][backends][pg]") {
  const auto db = test::pg_cluster::shared().fresh_database();
  store::store st(db);  // migrated: the lease row exists
  st.db().exec("CREATE TABLE t (a BIGINT)");
  st.db().exec("UPDATE ha_lease SET epoch = 5 WHERE name = 'active'");
  auto count = [&] {
    auto q = st.db().prepare("SELECT COUNT(*) FROM t");
    q.step();
    return q.int64(0);
  };
  for (const std::int64_t epoch : {4, 5}) {
    store::connection_options o;
    o.fence_epoch = epoch;
    store::pg_connection c(db, o);
    store::transaction tx(c);
    // Nothing in it reads: the fence's outcome is collected before the COMMIT is sent.
    c.prepare("INSERT INTO t VALUES (?1)").bind(1, epoch).run();
    if (epoch == 4) {
      try {
        tx.commit();
        FAIL("a write of an old epoch committed");
      } catch (const store::store_error& e) {
        CHECK(e.code == store::errc::fenced);
      }
    } else {
      tx.commit();
    }
  }
  CHECK(count() == 1);
  auto q = st.db().prepare("SELECT a FROM t");
  REQUIRE(q.step());
  CHECK(q.int64(0) == 5);
}

TEST_CASE("statements sent ahead run in the order sent, and each gives its own rows when read",
          "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  auto& c = st.db();
  c.exec("CREATE TABLE t (a BIGINT PRIMARY KEY, b TEXT)");
  store::transaction tx(c);
  auto first = c.prepare("INSERT INTO t VALUES (?1, ?2) RETURNING a, b");
  first.bind(1, 1).bind(2, "一").send();
  auto count = c.prepare("SELECT COUNT(*) FROM t");
  count.send();  // after the insert before it
  auto rowless = c.prepare("INSERT INTO t VALUES (?1, ?2)");
  rowless.bind(1, 2).bind(2, "二").send();
  {
    auto unread = c.prepare("SELECT a FROM t");
    unread.send();  // dropped before its rows are read: forgotten, not written to
  }
  auto second = c.prepare("INSERT INTO t VALUES (?1, ?2) RETURNING a, b");
  second.bind(1, 3).bind(2, "三").send();
  // Read in another order than sent.
  REQUIRE(second.step());
  CHECK(second.int64(0) == 3);
  CHECK(second.text(1) == "三");
  CHECK_FALSE(second.step());
  CHECK_FALSE(rowless.step());
  CHECK_FALSE(rowless.step());  // and it ran once: a second run would break the key
  REQUIRE(count.step());
  CHECK(count.int64(0) == 1);
  REQUIRE(first.step());
  CHECK(first.int64(0) == 1);
  CHECK(first.text(1) == "一");
  first.reset();  // SQLite commits no transaction with a statement still stepping
  count.reset();
  tx.commit();
  auto all = c.prepare("SELECT COUNT(*), MAX(a) FROM t");
  REQUIRE(all.step());
  CHECK(all.int64(0) == 3);
  CHECK(all.int64(1) == 3);
}

TEST_CASE(
    "alerts, their transitions and their audit rows are saved together, and on PostgreSQL "
    "in two round trips however many there are",
    "[store][backends][pg]") {
  fixture f(GENERATE(backend::sqlite, backend::postgresql));
  store::store st(f.db);
  std::vector<alerts::alert> as;
  std::vector<alerts::transition> ts;
  for (const auto* id : {"1", "2", "3"}) {
    as.push_back(an_alert(id, alerts::state::open, "R-1", k_t0));
    ts.push_back({alerts::transition::kind::opened, as.back(), "opened", std::nullopt});
  }
  std::vector<const alerts::alert*> states;
  std::vector<const alerts::transition*> numbered;
  for (std::size_t i = 0; i < as.size(); ++i) {
    states.push_back(&as[i]);
    numbered.push_back(&ts[i]);
  }
  const std::vector<alerts::audit_entry> journal = {
      {k_t0, "hearthd", "opened", "1", "sos|1", "", "rule"},
      {k_t0, "hearthd", "opened", "2", "sos|2", "", "rule"}};
  auto* pg = dynamic_cast<store::pg_connection*>(&st.db());
  const auto trips = pg ? pg->round_trips() : 0;
  const auto seqs = st.save_alerts(states, numbered, journal, k_t0);
  if (pg) CHECK(pg->round_trips() - trips == 2);
  REQUIRE(seqs.size() == 3);
  CHECK(seqs[0] < seqs[1]);
  CHECK(seqs[1] < seqs[2]);
  const auto back = st.transitions_after(0, 10);
  REQUIRE(back.size() == 3);
  CHECK(back[2].seq == seqs[2]);
  CHECK(back[2].after.id == "3");
  CHECK(st.load_alerts(alerts::state::open).size() == 3);
  // A `recorded` row for each alert, then the journal, chained.
  const auto rows = st.audit_rows();
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].entry.action == "recorded");
  CHECK(rows[2].entry.alert_id == "3");
  CHECK(rows[3].entry.action == "opened");
  const auto v = st.verify_audit();
  CHECK(v.ok());
  CHECK(v.alerts == 3);
  // A second transaction chains on from the first.
  as[0].state = alerts::state::acknowledged;
  const alerts::alert* one[] = {&as[0]};
  st.save_alerts(one, {}, {{k_t0 + 1s, "op-wang", "claimed", "1", "", "", "api"}}, k_t0 + 1s);
  CHECK(st.audit_rows().size() == 7);
  CHECK(st.verify_audit().ok());
}
