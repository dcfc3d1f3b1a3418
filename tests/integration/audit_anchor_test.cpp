// SPDX-License-Identifier: Apache-2.0
// Issue 18, defect 4, on a real SQLite file: the audit chain covers the alerts table (an
// outcome changed, an alert row added or deleted, breaks it), and a signed head catches
// what the chain alone cannot: rows cut off its end, all rows deleted, an edit re-hashed.
// `hearthd audit verify --head` and `hearthd backup` (audited, with its head) as a user
// runs them.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "alerts/alert.hpp"
#include "base/time.hpp"
#include "store/audit.hpp"
#include "store/audit_head.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/sqlite_peek.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
using hearth::test::temp_dir;

const time_point k_t0 = *parse_rfc3339("2026-11-20T07:00:00Z");
constexpr std::string_view k_key = "a-key-of-more-than-sixteen-bytes";

alerts::alert sos(const std::string& id) {
  alerts::alert a;
  a.id = id;
  a.rule = "sos-pressed";
  a.priority = 1;
  a.title = "SOS in B3 unit 502";
  a.summary = "pressed";
  a.subject = {"sos-3-502", "H-3-502", "B3", {"R-1001"}};
  a.key = "sos-pressed|sos-3-502";
  a.opened_at = a.updated_at = k_t0;
  return a;
}

/// An alert's life as the pipeline writes it: each state with its audit row, in one
/// transaction. Resolved as a false alarm.
void live_through(store::store& st, const std::string& id) {
  auto a = sos(id);
  auto step = [&](const char* action, const char* actor) {
    store::transaction tx(st);
    st.save_alert(a);
    st.append_audit({{a.updated_at, actor, action, a.id, "", "", "api"}});
    tx.commit();
  };
  step("opened", "hearthd");
  a.state = alerts::state::acknowledged;
  a.assignee = "op-wang";
  a.updated_at += 30s;
  step("claimed", "op-wang");
  a.state = alerts::state::resolved;
  a.outcome = "false-alarm";
  a.updated_at += 5min;
  step("resolved", "op-wang");
}

/// The file as an attacker with write access has it: the guards dropped.
void tamper(const std::string& db, const std::string& sql) {
  store::sqlite_connection c(db);
  c.exec("DROP TRIGGER IF EXISTS audit_no_update");
  c.exec("DROP TRIGGER IF EXISTS audit_no_delete");
  c.exec(sql);
}

std::string config_for(const temp_dir& d, const std::string& db, bool with_key) {
  const auto key = (d / "audit.key").string();
  std::ofstream(key) << k_key << "\n";
  const auto path = (d / "hearth.yaml").string();
  std::ofstream(path) << fmt::format(
      "database: {}\ndevices_dir: {}\nrules_dir: {}\n{}", db, HEARTH_SOURCE_DIR "/devices",
      HEARTH_SOURCE_DIR "/rules",
      with_key ? fmt::format("audit: {{ key_file: {} }}\n", key) : std::string());
  return path;
}

}  // namespace

TEST_CASE("the chain covers the alerts table: an outcome changed in the file breaks it",
          "[store][audit]") {
  temp_dir d;
  const auto db = (d / "hearth.db").string();
  {
    store::store st(db);
    live_through(st, "1");
    live_through(st, "2");
    const auto v = st.verify_audit();
    CHECK(v.ok());
    CHECK(v.alerts == 2);
    CHECK(v.rows == 12);  // per alert: three states, each its row and the record of the row
    // A timeline shows what people and hearthd did, not the records of rows.
    CHECK(st.audit_for_alert("1").size() == 3);
  }
  // The reproduction of issue 18: false-alarm made into help-arrived, in the file.
  tamper(db, "UPDATE alerts SET body = replace(body, 'false-alarm', 'help-arrived') WHERE id = 1");
  store::store st(db);
  CHECK(st.load_alert("1")->outcome == "help-arrived");
  const auto v = st.verify_audit();
  REQUIRE_FALSE(v.ok());
  CHECK(v.problem.find("alert 1's row") != std::string::npos);
  CHECK(v.problem.find("changed outside hearthd") != std::string::npos);
}

TEST_CASE("an alert row deleted from the file, or one added to it, breaks the chain",
          "[store][audit]") {
  temp_dir d;
  const auto db = (d / "hearth.db").string();
  {
    store::store st(db);
    live_through(st, "1");
    live_through(st, "2");
  }
  SECTION("deleted") {
    tamper(db, "DELETE FROM alerts WHERE id = 1");
    store::store st(db);
    const auto v = st.verify_audit();
    REQUIRE_FALSE(v.ok());
    CHECK(v.problem.find("alert 1 was recorded here but is not in the alerts table") !=
          std::string::npos);
  }
  SECTION("added") {
    tamper(db,
           "INSERT INTO alerts SELECT 3, key, rule, priority, state, opened_at, updated_at, body "
           "FROM alerts WHERE id = 2");
    store::store st(db);
    const auto v = st.verify_audit();
    REQUIRE_FALSE(v.ok());
    CHECK(v.problem.find("alert 3 is in the alerts table but the chain never recorded it") !=
          std::string::npos);
  }
}

TEST_CASE(
    "rows cut off the end of the chain, or all of it, verify alone but not against its "
    "head",
    "[store][audit]") {
  temp_dir d;
  const auto db = (d / "hearth.db").string();
  store::audit_head head;
  {
    store::store st(db);
    live_through(st, "1");
    head = store::signed_head(st.audit_head_now(k_t0 + 1h), k_key);
    CHECK(head.rows == 6);
    CHECK(head.last_alert_id == 1);
    CHECK(st.verify_audit(&head).ok());
  }
  SECTION("the last row") {
    tamper(db, "DELETE FROM audit WHERE seq = 6");  // "resolved" is gone
    store::store st(db);
    CHECK(st.verify_audit().ok());  // what issue 18 found: the chain alone cannot tell
    const auto v = st.verify_audit(&head);
    REQUIRE_FALSE(v.ok());
    CHECK(*v.bad == 6);
    CHECK(v.problem.find("the chain ends at row 5") != std::string::npos);
    CHECK(v.problem.find("cut off its end") != std::string::npos);
  }
  SECTION("every row, and the alert") {
    tamper(db, "DELETE FROM audit");
    tamper(db, "DELETE FROM alerts");
    store::store st(db);
    CHECK(st.verify_audit().ok());
    const auto v = st.verify_audit(&head);
    REQUIRE_FALSE(v.ok());
    CHECK(v.problem.find("the chain ends at row 0") != std::string::npos);
  }
  SECTION("the newest alert and its rows, as a lost WAL loses them") {
    store::audit_head later;
    {
      store::store st(db);
      live_through(st, "2");
      later = store::signed_head(st.audit_head_now(k_t0 + 2h), k_key);
    }
    tamper(db, "DELETE FROM audit WHERE seq > 6");
    tamper(db, "DELETE FROM alerts WHERE id = 2");
    store::store st(db);
    CHECK(st.verify_audit().ok());
    CHECK(st.verify_audit(&head).ok());  // the older head: the chain still reaches it
    const auto v = st.verify_audit(&later);
    REQUIRE_FALSE(v.ok());
    CHECK(v.problem.find("the chain ends at row 6, but the head") != std::string::npos);
  }
}

TEST_CASE("an edited row re-hashed to the end verifies alone but not against the head",
          "[store][audit]") {
  temp_dir d;
  const auto db = (d / "hearth.db").string();
  store::audit_head head;
  {
    store::store st(db);
    live_through(st, "1");
    head = store::signed_head(st.audit_head_now(k_t0 + 1h), k_key);
  }
  // Who claimed it, rewritten, and every hash after it recomputed as hearthd would.
  tamper(db, "UPDATE audit SET actor = 'op-li' WHERE seq = 4");
  {
    store::store st(db);
    REQUIRE_FALSE(st.verify_audit().ok());
    auto rows = st.audit_rows();
    std::string prev(store::k_genesis_hash);
    store::sqlite_connection c(db);
    for (auto& r : rows) {
      const auto h = store::chain_hash(prev, r.seq, r.entry);
      c.prepare("UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")
          .bind(1, prev)
          .bind(2, h)
          .bind(3, r.seq)
          .run();
      prev = h;
    }
  }
  store::store st(db);
  CHECK(st.verify_audit().ok());  // re-hashed: the chain alone passes
  const auto v = st.verify_audit(&head);
  REQUIRE_FALSE(v.ok());
  CHECK(*v.bad == 6);
  CHECK(v.problem.find("the chain was rewritten") != std::string::npos);
}

TEST_CASE(
    "hearthd backup is audited and writes the copy's signed head; audit verify --head "
    "checks the live chain against it",
    "[store][audit][cli]") {
  temp_dir d;
  const auto db = (d / "hearth.db").string();
  const auto config = config_for(d, db, true);
  {
    store::store st(db);
    live_through(st, "1");
  }
  const auto copy = (d / "copy.db").string();
  auto r = test::run_command({HEARTHD_BINARY, "backup", "--config", config, copy}, d);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("head " + copy + ".head, signed") != std::string::npos);
  // The backup is a row of the trail, in the copy as in the live file.
  CHECK(test::query_int(copy, "SELECT COUNT(*) FROM audit WHERE action = 'backup'") == 1);
  CHECK(test::query_int(db, "SELECT COUNT(*) FROM audit WHERE action = 'backup'") == 1);
  std::string why;
  const auto head = store::parse_head(test::read_file(copy + ".head"), why);
  REQUIRE(head);
  CHECK(head->rows == 7);
  CHECK(store::head_hmac(*head, k_key) == head->hmac);

  r = test::run_command(
      {HEARTHD_BINARY, "audit", "verify", "--config", config, "--head", copy + ".head"}, d);
  CHECK(r.status == 0);
  CHECK(r.output.find("audit trail intact: 7 rows verified; 1 alert rows match it") !=
        std::string::npos);
  CHECK(r.output.find("it reaches the head in " + copy + ".head (7 rows") != std::string::npos);

  // The same head as its JSON (as MQTT carries it), with one field changed: not signed.
  auto forged = *head;
  forged.rows = 3;
  r = test::run_command(
      {HEARTHD_BINARY, "audit", "verify", "--config", config, "--head", store::head_json(forged)},
      d);
  CHECK(r.status == 1);
  CHECK(r.output.find("audit head BROKEN") != std::string::npos);
  CHECK(r.output.find("not signed with audit.key_file's key") != std::string::npos);

  // The live chain cut after the backup: the backup's head catches it.
  tamper(db, "DELETE FROM audit WHERE seq >= 6");
  r = test::run_command(
      {HEARTHD_BINARY, "audit", "verify", "--config", config, "--head", copy + ".head"}, d);
  CHECK(r.status == 1);
  CHECK(r.output.find("BROKEN at row 6: the chain ends at row 5") != std::string::npos);
}
