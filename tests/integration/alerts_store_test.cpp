// SPDX-License-Identifier: Apache-2.0
// The alert lifecycle against a real SQLite file: the hash-chained audit trail (and
// `hearthd audit verify` catching an edited row), escalation surviving a restart, silences
// and away surviving a restart, and the HTTP routes for alert actions.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "alerts/book.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "engine/engine.hpp"
#include "store/audit.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/auth_support.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

time_point at(const char* s) {
  return *parse_rfc3339(s);
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / fmt::format("hearth-alerts-{:x}", rd());
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

engine::signal fire(const std::string& rule, int priority, const std::string& device,
                    metric m = metric::sos_pressed) {
  engine::signal s;
  s.rule = rule;
  s.priority = priority;
  s.key = rule + "|" + device;
  s.subject = {device, "H-3-502", "B3", {"R-1001"}};
  s.title = rule + " in B3 unit 502";
  s.summary = "because";
  s.evidence = {{device, m, 1, {}}};
  return s;
}

registry::registry sample_registry() {
  registry::tables t;
  t.households = {{"H-3-502", "B3", "502", "Building 3 Unit 502"}};
  t.residents = {{"R-1001", "H-3-502", "Example Resident A", 1941, true, "+86-000", "Daughter",
                  "+86-001", "sw-lu"}};
  t.devices = {{"sos-3-502", "0x00158d0008a1b2c3", "z2m.sos-button", "H-3-502", "B3", "bedroom"},
               {"meter-3-502", "a84041000181c2d1", "lora.water-meter", "H-3-502", "B3", "utility"}};
  t.buildings = {{"B3", 18, 4}};
  return registry::registry(t);
}

/// A book, a pipeline and a store over one SQLite file, as the daemon wires them.
struct node {
  manual_clock& clock;
  telemetry tel;
  store::store st;
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book;
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};

  node(manual_clock& c, const std::string& db) : clock(c), st(db), book(c, st.max_alert_id()) {
    book.restore(st.load_alerts(alerts::state::open));
    book.restore(st.load_alerts(alerts::state::acknowledged));
    book.restore_silences(st.load_silences(c.now()), st.max_silence_id());
    book.restore_aways(st.load_aways(c.now()));
    pipe.set_registry(std::make_shared<registry::registry>(sample_registry()));
  }
  std::vector<alerts::transition> signal(const engine::signal& s) {
    auto t = book.on_signal(s);
    pipe.record(t);
    return t;
  }
};

std::string run_cli(const std::string& args, int& status) {
  const std::string cmd = std::string(HEARTHD_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  status = pclose(p);
  return out;
}

std::string write_config(const temp_dir& d, const std::string& db) {
  const auto path = d.file("hearth.yaml");
  std::ofstream(path) << fmt::format("database: {}\ndevices_dir: {}\nrules_dir: {}\n", db,
                                     HEARTH_SOURCE_DIR "/devices", HEARTH_SOURCE_DIR "/rules");
  return path;
}

}  // namespace

TEST_CASE("every lifecycle step is an audit row, and the chain verifies", "[alerts][store]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  node n(clock, d.file("hearth.db"));
  const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
  clock.advance(10s);
  n.pipe.record(*n.book.claim(id, "op-wang", "calling", "api"));
  REQUIRE(n.book.add_note(id, "op-wang", "called resident, no answer", "api").ok());
  n.pipe.record({});
  n.pipe.record(*n.book.resolve(id, "no-answer-visit-sent", "op-wang", "", "api"));

  const auto rows = n.st.audit_for_alert(id);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].entry.action == "opened");
  CHECK(rows[1].entry.action == "claimed");
  CHECK(rows[1].entry.actor == "op-wang");
  CHECK(rows[2].entry.action == "noted");
  CHECK(rows[3].entry.action == "resolved");
  // Each write of the alert row is recorded in the chain just before the row of the step.
  const auto all = n.st.audit_rows();
  REQUIRE(all.size() == 7);
  CHECK(all[0].entry.action == "recorded");
  CHECK(all[0].prev_hash == store::k_genesis_hash);
  CHECK(all[1].seq == rows[0].seq);
  CHECK(rows[0].prev_hash == all[0].hash);
  const auto v = n.st.verify_audit();
  CHECK(v.ok());
  CHECK(v.rows == 7);
  CHECK(v.alerts == 1);
  const auto timeline = store::timeline_json(rows);
  CHECK(timeline[2].as_object().at("note") == "called resident, no answer");
  CHECK(timeline[2].as_object().at("channel") == "api");
}

TEST_CASE("audit rows cannot be updated or deleted through SQL", "[alerts][store]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  node n(clock, d.file("hearth.db"));
  n.signal(fire("sos-pressed", 1, "sos-3-502"));
  CHECK_THROWS_AS(n.st.db().exec("UPDATE audit SET note = 'x' WHERE seq = 1"), store::store_error);
  CHECK_THROWS_AS(n.st.db().exec("DELETE FROM audit WHERE seq = 1"), store::store_error);
}

TEST_CASE("audit verify catches a modified row in a real SQLite file and names it",
          "[alerts][store]") {
  temp_dir d;
  const auto db = d.file("hearth.db");
  {
    manual_clock clock{at("2026-11-20T07:00:00Z")};
    node n(clock, db);
    const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
    n.pipe.record(*n.book.claim(id, "op-wang", "on my way", "api"));
    n.pipe.record(*n.book.resolve(id, "help-arrived", "op-wang", "", "api"));
  }
  const auto config = write_config(d, db);
  int status = 0;
  auto out = run_cli("audit verify --config " + config, status);
  CHECK(status == 0);
  CHECK(out.find("intact: 6 rows") != std::string::npos);  // 3 steps, 3 records of the row

  {
    // An attacker with the file: drops the guard and rewrites who claimed the alert.
    store::sqlite_connection c(db);
    c.exec("DROP TRIGGER audit_no_update");
    c.exec("UPDATE audit SET actor = 'op-li' WHERE seq = 4");  // 4: claimed
  }
  {
    store::store st(db);
    const auto v = st.verify_audit();
    REQUIRE_FALSE(v.ok());
    CHECK(*v.bad == 4);
  }
  out = run_cli("audit verify --config " + config, status);
  CHECK(status != 0);
  CHECK(out.find("BROKEN at row 4") != std::string::npos);
}

TEST_CASE("audit verify catches a deleted row", "[alerts][store]") {
  temp_dir d;
  const auto db = d.file("hearth.db");
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  {
    node n(clock, db);
    const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
    n.pipe.record(*n.book.claim(id, "op-wang", "", "api"));
    n.pipe.record(*n.book.resolve(id, "help-arrived", "op-wang", "", "api"));
  }
  {
    store::sqlite_connection c(db);
    c.exec("DROP TRIGGER audit_no_delete");
    c.exec("DELETE FROM audit WHERE seq = 2");
  }
  store::store st(db);
  const auto v = st.verify_audit();
  REQUIRE_FALSE(v.ok());
  CHECK(*v.bad == 3);
  CHECK(v.problem.find("missing") != std::string::npos);
}

TEST_CASE("an escalation deadline survives a restart and fires at once when overdue",
          "[alerts][store]") {
  temp_dir d;
  const auto db = d.file("hearth.db");
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  std::string id;
  {
    node n(clock, db);
    id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
  }
  // hearthd is down for two minutes; the P1 claim target (60 s) passes meanwhile.
  clock.advance(2min);
  node again(clock, db);
  const auto* a = again.book.find(id);
  REQUIRE(a != nullptr);
  CHECK(a->due_at == at("2026-11-20T07:01:00Z"));
  auto t = again.book.tick(clock.now());
  again.pipe.record(t);
  REQUIRE(t.size() == 1);
  CHECK(t[0].action == "escalated");
  CHECK(t[0].after.tier == alerts::tier::supervisor);
  // The new tier and deadline are persisted too, and the trail still chains.
  auto stored = again.st.load_alert(id);
  REQUIRE(stored);
  CHECK(stored->tier == alerts::tier::supervisor);
  CHECK(stored->due_at == clock.now() + 60s);
  CHECK(again.st.verify_audit().ok());
  // New alerts after the restart get fresh ids.
  CHECK(again.signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm))[0].after.id != id);
}

TEST_CASE("a claimed alert keeps its resolve deadline across a restart", "[alerts][store]") {
  temp_dir d;
  const auto db = d.file("hearth.db");
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  std::string id;
  {
    node n(clock, db);
    id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
    n.pipe.record(*n.book.claim(id, "op-wang", "", "api"));
  }
  node again(clock, db);
  CHECK(again.book.tick(clock.now() + 20min - 1ms).empty());
  auto t = again.book.tick(clock.now() + 20min);
  REQUIRE(t.size() == 1);
  CHECK(t[0].action == "re-alerted");
  CHECK(t[0].after.assignee == "op-wang");
}

TEST_CASE("silences and away survive a restart", "[alerts][store]") {
  temp_dir d;
  const auto db = d.file("hearth.db");
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  {
    node n(clock, db);
    alerts::silence s;
    s.kind = alerts::silence::scope::building;
    s.target = "B3";
    s.until = clock.now() + 2h;
    s.reason = "maintenance";
    s.author = "sup-zhao";
    auto made = n.book.add_silence(s, "api");
    REQUIRE(made.ok());
    n.st.save_silence(*made);
    auto away = n.book.set_away({"R-1001", {}, clock.now() + 24h, "hospital", "sw-lu"}, "api");
    REQUIRE(away.ok());
    n.st.save_away(*away);
  }
  node again(clock, db);
  REQUIRE(again.book.silences().size() == 1);
  CHECK(again.book.silences()[0].reason == "maintenance");
  CHECK(again.book.is_away("R-1001", clock.now()));
  CHECK(again.book.on_signal(fire("device-tamper", 3, "sos-3-502", metric::device_tamper)).empty());
  CHECK(again.book.on_signal(fire("sos-pressed", 1, "sos-3-502")).size() == 1);
}

// --- the HTTP routes, called in-process ------------------------------------------------

namespace {
struct api_node : node {
  api::routes routes{book, st, tel, pipe, [] { return api::health{true, true, {}, {}}; }};
  using node::node;

  api::response call(const std::string& method, const std::string& path,
                     const std::string& body = {}, const std::string& actor = {}) {
    api::request r;
    r.method = method;
    r.path = path;
    r.body = body;
    // Who acts is the authenticated user (issue 6): a supervisor, who may do all of these;
    // "op-anon" stands in for no one in particular, and "-" sends no credentials at all.
    const auto who = actor.empty() ? std::string("op-anon") : actor;
    if (who != "-")
      r.headers["authorization"] =
          "Bearer " + hearth::test::issue_token(st, who, auth::role::supervisor);
    return routes.handle(r);
  }
};

json::object parse(const api::response& r) {
  return json::parse(r.body).as_object();
}
}  // namespace

TEST_CASE("claim, note, escalate and resolve over the API, with the timeline", "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
  const auto base = "/api/v1/alerts/" + id;

  auto r = n.call("POST", base + "/claim", R"({"note":"calling"})", "op-wang");
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("state") == "acknowledged");
  CHECK(parse(r).at("assignee") == "op-wang");

  CHECK(n.call("POST", base + "/claim", "", "op-li").status == 409);
  CHECK(n.call("POST", base + "/notes", R"({"text":"called contact"})", "op-wang").status == 200);
  r = n.call("POST", base + "/escalate", "{}", "op-wang");
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("lifecycle").as_object().at("tier") == "supervisor");

  CHECK(n.call("POST", base + "/resolve", R"({"outcome":"fixed"})").status == 400);
  r = n.call("POST", base + "/resolve", R"({"outcome":"emergency-services","note":"120 called"})",
             "op-wang");
  REQUIRE(r.status == 200);
  const auto a = parse(r);
  CHECK(a.at("state") == "resolved");
  CHECK(a.at("outcome") == "emergency-services");
  const auto& timeline = a.at("timeline").as_array();
  std::vector<std::string> actions;
  for (const auto& e : timeline)
    actions.emplace_back(e.as_object().at("action").as_string());
  CHECK(actions == std::vector<std::string>{"opened", "claimed", "noted", "escalated", "resolved"});
  CHECK(timeline[1].as_object().at("actor") == "op-wang");
  for (const auto& e : timeline) {
    CHECK(e.as_object().contains("at"));
    CHECK(e.as_object().contains("channel"));
  }
  CHECK(n.call("POST", base + "/claim").status == 409);
}

TEST_CASE("action bodies are strictly validated", "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
  const auto base = "/api/v1/alerts/" + id;
  auto code = [](const api::response& r) { return std::string(parse(r).at("error").as_string()); };

  auto r = n.call("POST", base + "/claim", R"({"note":"x","assignee":"op-li"})");
  CHECK(r.status == 400);
  CHECK(code(r) == "bad-request");
  CHECK(n.call("POST", base + "/claim", R"({"note":5})").status == 400);
  CHECK(n.call("POST", base + "/claim", "[1]").status == 400);
  CHECK(n.call("POST", base + "/notes", "{}").status == 400);
  CHECK(n.call("POST", base + "/resolve", R"({"note":"x"})").status == 400);
  CHECK(n.call("POST", base + "/claim", std::string(17 * 1024, ' ')).status == 413);
  CHECK(n.call("POST", base + "/claim", "{}", "-").status == 401);
  CHECK(n.call("POST", base + "/frobnicate").status == 404);
  CHECK(n.call("POST", "/api/v1/alerts/999/claim").status == 404);
  // Nothing above changed the alert.
  CHECK(n.book.find(id)->state == alerts::state::open);
}

TEST_CASE("the actor is the authenticated user, and without credentials nothing happens",
          "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  const auto id = n.signal(fire("sos-pressed", 1, "sos-3-502"))[0].after.id;
  auto denied = n.call("POST", "/api/v1/alerts/" + id + "/claim", "", "-");
  CHECK(denied.status == 401);
  CHECK(parse(denied).at("error") == "unauthenticated");
  CHECK(n.book.find(id)->state == alerts::state::open);
  auto r = n.call("POST", "/api/v1/alerts/" + id + "/claim", "", "op-wang");
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("assignee") == "op-wang");
}

TEST_CASE("a silence over the API never mutes priority 1, and can be deleted", "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  auto r = n.call(
      "POST", "/api/v1/silences",
      R"({"scope":{"building":"B3"},"until":"2026-11-20T09:00:00Z","reason":"smoke detector service"})",
      "sup-zhao");
  REQUIRE(r.status == 201);
  const auto sid = std::string(parse(r).at("id").as_string());
  CHECK(parse(r).at("author") == "sup-zhao");

  CHECK(n.signal(fire("device-tamper", 3, "sos-3-502", metric::device_tamper)).empty());
  auto p1 = n.signal(fire("sos-pressed", 1, "sos-3-502"));
  REQUIRE(p1.size() == 1);
  CHECK(p1[0].what == alerts::transition::kind::opened);

  CHECK(n.call("POST", "/api/v1/silences",
               R"({"scope":{"building":"B9"},"until":"2026-11-20T09:00:00Z","reason":"x"})")
            .status == 404);
  CHECK(
      n.call(
           "POST", "/api/v1/silences",
           R"({"scope":{"building":"B3","device_id":"sos-3-502"},"until":"2026-11-20T09:00:00Z","reason":"x"})")
          .status == 400);
  CHECK(n.call("POST", "/api/v1/silences",
               R"({"scope":{"building":"B3"},"until":"tomorrow","reason":"x"})")
            .status == 400);
  CHECK(
      n.call(
           "POST", "/api/v1/silences",
           R"({"scope":{"building":"B3"},"until":"2026-11-20T09:00:00Z","reason":"x","muted":true})")
          .status == 400);

  CHECK(n.call("DELETE", "/api/v1/silences/" + sid, "", "sup-zhao").status == 204);
  CHECK(n.call("DELETE", "/api/v1/silences/" + sid).status == 404);
  CHECK(n.signal(fire("device-tamper", 3, "sos-3-502", metric::device_tamper)).size() == 1);

  // Silence rows are in the audit trail with their author.
  bool created = false, deleted = false, silenced = false;
  for (const auto& row : n.st.audit_rows()) {
    created |= row.entry.action == "silence-created" && row.entry.actor == "sup-zhao";
    deleted |= row.entry.action == "silence-deleted" && row.entry.actor == "sup-zhao";
    silenced |= row.entry.action == "silenced";
  }
  CHECK(created);
  CHECK(deleted);
  CHECK(silenced);
}

TEST_CASE("away over the API pauses welfare rules for that resident", "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  n.book.set_rule_policies({{"lone-elder-no-water", {true, false}}});
  CHECK(n.call("POST", "/api/v1/residents/R-9999/away",
               R"({"until":"2026-11-25T00:00:00Z","reason":"x"})")
            .status == 404);
  CHECK(n.call("POST", "/api/v1/residents/R-1001/away", R"({"until":"2026-11-25T00:00:00Z"})")
            .status == 400);
  auto r = n.call("POST", "/api/v1/residents/R-1001/away",
                  R"({"until":"2026-11-25T00:00:00Z","reason":"staying with family"})", "sw-lu");
  REQUIRE(r.status == 200);
  CHECK(parse(r).at("until") == "2026-11-25T00:00:00Z");
  CHECK(n.signal(fire("lone-elder-no-water", 2, "meter-3-502", metric::water_total_l)).empty());
  CHECK(n.signal(fire("water-continuous-flow", 3, "meter-3-502", metric::water_total_l)).size() ==
        1);
  clock.set(at("2026-11-25T00:00:00Z"));
  n.pipe.record(n.book.tick(clock.now()));
  CHECK(n.signal(fire("lone-elder-no-water", 2, "meter-3-502", metric::water_total_l)).size() == 1);
}

TEST_CASE("a read of a resident's personal data is an audit row with its actor", "[alerts][api]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  api_node n(clock, d.file("hearth.db"));
  n.routes.audit_read("sw-lu", "R-1001");
  const auto rows = n.st.audit_rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].entry.action == "read-personal-data");
  CHECK(rows[0].entry.actor == "sw-lu");
  CHECK(rows[0].entry.subject == "resident:R-1001");
  CHECK(rows[0].entry.channel == "api");
  CHECK(n.st.verify_audit().ok());
}

TEST_CASE("the API answers in the caller's language, and the timeline is in words",
          "[alerts][api][i18n]") {
  temp_dir d;
  manual_clock clock{at("2026-11-20T07:00:00Z")};  // 15:00 in Shanghai
  api_node n(clock, d.file("hearth.db"));
  n.routes.set_messages(hearth::test::shipped_messages(), "zh-CN", "Asia/Shanghai");
  auto s = fire("sos-pressed", 1, "sos-3-502");
  s.texts = {{"zh-CN", {"B3栋502室 SOS 呼救", "B3栋502室（bedroom）的SOS 按键在 15:00 被按下。"}},
             {"en", {"SOS pressed in B3 unit 502", "The SOS button ... at 15:00."}}};
  s.title = s.texts["zh-CN"].title;
  s.summary = s.texts["zh-CN"].summary;
  const auto id = n.signal(s)[0].after.id;
  clock.advance(24h);  // the next day: times in the timeline carry their date
  REQUIRE(n.call("POST", "/api/v1/alerts/" + id + "/claim", "", "op-wang").status == 200);

  auto get = [&](const std::string& path, const std::string& lang) {
    api::request r;
    r.method = "GET";
    r.path = path;
    r.headers["authorization"] =
        "Bearer " + hearth::test::issue_token(n.st, "op-wang", auth::role::operator_desk);
    if (!lang.empty()) r.headers["accept-language"] = lang;
    return n.routes.handle(r);
  };
  auto zh = get("/api/v1/alerts/" + id, "");  // no Accept-Language: the config's locale
  REQUIRE(zh.status == 200);
  CHECK(zh.headers["Content-Language"] == "zh-CN");
  const auto zh_body = parse(zh);  // kept: the references below point into it
  CHECK(zh_body.at("title") == "B3栋502室 SOS 呼救");
  const auto& tl = zh_body.at("timeline").as_array();
  REQUIRE(tl.size() >= 2);
  const auto& opened = tl[0].as_object().at("words").as_object();
  CHECK(opened.at("when") == "11月20日 15:00");
  CHECK(opened.at("who") == "系统");
  CHECK(opened.at("what") == "产生告警");
  CHECK(opened.at("how") == "规则");
  const auto& claimed = tl.back().as_object().at("words").as_object();
  CHECK(claimed.at("when") == "15:00");
  CHECK(claimed.at("who") == "op-wang");
  CHECK(claimed.at("what") == "已认领");
  CHECK(claimed.at("how") == "接口");

  auto en = get("/api/v1/alerts/" + id, "en-GB,en;q=0.9");
  CHECK(en.headers["Content-Language"] == "en");
  const auto en_body = parse(en);
  CHECK(en_body.at("title") == "SOS pressed in B3 unit 502");
  const auto& tl_en = en_body.at("timeline").as_array();
  CHECK(tl_en[0].as_object().at("words").at("when") == "20 Nov 15:00");
  CHECK(tl_en[0].as_object().at("words").at("what") == "alert opened");
  auto list = get("/api/v1/alerts", "en");
  CHECK(parse(list).at("alerts").as_array()[0].at("title") == "SOS pressed in B3 unit 502");
}

TEST_CASE("a tier notified a thousand times is one timeline entry, counted", "[alerts][api]") {
  std::vector<alerts::audit_entry> rows;
  const auto t0 = at("2026-11-20T07:00:00Z");
  rows.push_back({t0, "hearthd", "opened", "1", "sos-pressed|sos-3-502", "", "rule"});
  for (int i = 0; i < 1000; ++i)
    rows.push_back({t0 + std::chrono::seconds(i), "hearthd", "notified", "1", "tier:operator",
                    "operator tier told", "mqtt"});
  const hearth::i18n::context en{*hearth::test::shipped_messages(), "en",
                                 hearth::i18n::zone("Asia/Shanghai"), t0 + std::chrono::hours(1)};
  const auto v = api::timeline_view(rows, en);
  REQUIRE(v.size() == 2);
  const auto& n = v[1].as_object();
  CHECK(n.at("count") == 1000);
  CHECK(n.at("words").at("what") == "operator tier notified");
  CHECK(n.at("words").at("how") == "MQTT message");
  CHECK(n.at("last_at") == "2026-11-20T07:16:39Z");
}
