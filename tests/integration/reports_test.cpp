// SPDX-License-Identifier: Apache-2.0
// The supervisor's desk against a real SQLite file (issue 16): a replayed day of alerts
// (messages through the real pipeline and shipped rules, the escalation timer driven by a
// manual clock) with scripted claims and resolutions over the API, then every figure of
// the SLA board, the same figures in /metrics, the handover and the CSV export.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/routes.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "reports/sla_meter.hpp"
#include "store/audit.hpp"
#include "support/auth_support.hpp"
#include "support/harness.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace json = boost::json;

const time_point k_t0 = *parse_rfc3339("2026-11-20T00:00:00Z");  // 08:00 in Shanghai

const std::string k_sos = "zigbee2mqtt/0x00158d0008a1b2c3";       // sos-3-502, H-3-502
const std::string k_smoke = "zigbee2mqtt/0x00158d0008a1b2c4";     // smoke-3-502
const std::string k_gas = "zigbee2mqtt/0x00158d0008a1b2c5";       // gas-3-502
const std::string k_demo = "hearth/v1/devices/button-demo-1/up";  // native, H-3-503

/// A community's domain wired as the daemon wires it, over one SQLite file.
struct centre {
  test::temp_dir dir;
  manual_clock clock{k_t0};
  telemetry tel;
  store::store st{(dir / "hearth.db").string()};
  app::definitions defs = test::shipped_definitions();
  engine::engine eng{defs.rules, clock, "Asia/Shanghai"};
  alerts::book book{clock, 0, [] {
                      alerts::escalation_policy p;
                      p.timezone = "Asia/Shanghai";
                      return p;
                    }()};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{true, true, {}, {}}; }};
  reports::sla_meter meter{tel, reports::default_figures(), book.policy(),
                           [this](const alerts::alert& a) {
                             const auto* d = pipe.devices().find_device(a.subject.device_id);
                             return d ? std::string(d->type) : std::string();
                           }};
  std::map<std::string, std::string> tokens;

  centre() {
    book.set_rule_policies(app::rule_policies(defs.rules));
    pipe.set_catalog(defs.types);
    pipe.set_registry(std::make_shared<registry::registry>(test::test_registry()));
    pipe.on_transition([this](const alerts::transition& t) { meter.on_transition(t); });
    for (auto [name, role] :
         {std::pair{"op-li", auth::role::operator_desk},
          std::pair{"op-zhao", auth::role::operator_desk},
          std::pair{"sup-wang", auth::role::supervisor}, std::pair{"admin-1", auth::role::admin}})
      tokens[name] = test::issue_token(st, name, role);
  }

  /// Moves time to `t0 + s`, firing every escalation deadline on the way, as the daemon's
  /// timer does.
  void at(duration s) {
    const auto target = k_t0 + s;
    while (auto due = book.next_deadline()) {
      if (*due > target) break;
      clock.set(*due);
      pipe.record(book.tick(*due));
    }
    clock.set(target);
  }
  void publish(const std::string& topic, const std::string& payload) {
    pipe.on_message(topic, payload, clock.now());
  }
  api::response call(const std::string& who, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    api::request r;
    r.method = method;
    const auto q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string_view qs = std::string_view(path).substr(q + 1);
      while (!qs.empty()) {
        const auto amp = qs.find('&');
        const auto kv = qs.substr(0, amp);
        const auto eq = kv.find('=');
        r.query[std::string(kv.substr(0, eq))] =
            api::url_decode(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
        qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
      }
    }
    r.body = body;
    r.headers["authorization"] = "Bearer " + tokens.at(who);
    return routes.handle(r);
  }
  /// The id of the newest alert.
  std::string last_id() { return std::to_string(st.max_alert_id()); }
  void claim(const std::string& who, const std::string& id, const std::string& note = {}) {
    const auto body = note.empty() ? std::string("{}") : fmt::format(R"({{"note":"{}"}})", note);
    REQUIRE(call(who, "POST", "/api/v1/alerts/" + id + "/claim", body).status == 200);
  }
  void note(const std::string& who, const std::string& id, const std::string& text) {
    REQUIRE(call(who, "POST", "/api/v1/alerts/" + id + "/notes",
                 json::serialize(json::object{{"text", text}}))
                .status == 200);
  }
  void resolve(const std::string& who, const std::string& id, const std::string& outcome,
               const std::string& note = {}) {
    json::object b{{"outcome", outcome}};
    if (!note.empty()) b["note"] = note;
    REQUIRE(call(who, "POST", "/api/v1/alerts/" + id + "/resolve", json::serialize(b)).status ==
            200);
  }

  /// The scripted day (times after 08:00 local): nine alerts, what each operator did.
  std::map<std::string, std::string> replay_day() {
    std::map<std::string, std::string> id;
    // A1 08:00 SOS, claimed in 30 s, help arrived.
    publish(k_sos, R"({"action":"emergency","battery":90})");
    id["A1"] = last_id();
    at(30s), claim("op-li", id["A1"], "on the phone with her");
    at(300s), resolve("op-li", id["A1"], "help-arrived");
    // A2 09:00 smoke, claimed at exactly 60 s: a false alarm (cooking).
    at(1h), publish(k_smoke, R"({"smoke":true,"battery":80})");
    id["A2"] = last_id();
    at(1h + 60s), claim("op-zhao", id["A2"]);
    at(1h + 300s), resolve("op-zhao", id["A2"], "false-alarm");
    publish(k_smoke, R"({"smoke":false,"battery":80})");
    // A3 10:00 gas: nobody claims it; the timer escalates it at 60 s; the supervisor claims
    // it at 120 s and writes why.
    at(2h), publish(k_gas, R"({"gas":true,"battery":70})");
    id["A3"] = last_id();
    at(2h + 120s), claim("sup-wang", id["A3"]);
    note("sup-wang", id["A3"], "both operators on calls; second line took it");
    at(2h + 800s), resolve("sup-wang", id["A3"], "emergency-services");
    publish(k_gas, R"({"gas":false,"battery":70})");
    // A4 11:00 SOS on the native button, claimed after 5 min.
    at(3h), publish(k_demo, R"({"ts":"2026-11-20T03:00:00Z","metrics":{"sos.pressed":true}})");
    id["A4"] = last_id();
    at(3h + 300s), claim("op-li", id["A4"], "missed: headset fault");
    at(3h + 600s), resolve("op-li", id["A4"], "resident-fine");
    // A5 12:00 SOS seen at once and resolved unclaimed as a false alarm after 20 s.
    at(4h), publish(k_sos, R"({"action":"emergency","battery":89})");
    id["A5"] = last_id();
    at(4h + 20s), resolve("op-zhao", id["A5"], "false-alarm");
    // A6 13:00 tamper (P3), claimed after 30 min, a device fault.
    at(5h), publish(k_smoke, R"({"tamper":true,"battery":79})");
    id["A6"] = last_id();
    at(5h + 30min), claim("op-li", id["A6"]);
    at(5h + 2000s), resolve("op-li", id["A6"], "device-fault");
    publish(k_smoke, R"({"tamper":false,"battery":79})");
    // A7 14:00 a low battery (P4): its target is the next working day, so it is pending.
    at(6h), publish(k_gas, R"({"gas":false,"battery":10})");
    id["A7"] = last_id();
    // A8 15:00 smoke that nobody answers all day.
    at(7h), publish(k_smoke, R"({"smoke":true,"battery":78})");
    id["A8"] = last_id();
    // A9 07:59:40 next morning: an SOS 19 s before the board is read.
    at(24h - 20s), publish(k_sos, R"({"action":"emergency","battery":88})");
    id["A9"] = last_id();
    at(24h - 1s);
    return id;
  }
};

json::object get_json(centre& c, const std::string& who, const std::string& path) {
  const auto r = c.call(who, "GET", path);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body).as_object();
}

const json::object& figure(const json::object& board, int priority, json::value within) {
  for (const auto& f : board.at("figures").as_array())
    if (f.at("priority") == priority && f.at("within_s") == within) return f.as_object();
  FAIL("no such figure");
  throw;
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

double num(const json::value& v) {
  return v.is_int64() ? static_cast<double>(v.as_int64()) : v.as_double();
}
}  // namespace

TEST_CASE("a replayed day with scripted claims gives every figure of the SLA board",
          "[reports][api]") {
  centre c;
  const auto id = c.replay_day();
  REQUIRE(c.st.max_alert_id() == 9);  // one alert per scripted event, no others
  const auto day = "/api/v1/reports/sla?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z";
  const auto b = get_json(c, "sup-wang", day);
  CHECK(b.at("alerts") == 9);

  const auto& f60 = figure(b, 1, 60.0);
  CHECK(f60.at("judged") == 6);   // A1 A2 A3 A4 A5 A8; A9 is pending
  CHECK(f60.at("in_time") == 3);  // A1 (30 s), A2 (exactly 60 s), A5 (20 s)
  CHECK(f60.at("late") == 3);
  CHECK(f60.at("pending") == 1);
  CHECK(num(f60.at("share")) == Approx(50.0));
  CHECK(f60.at("target") == 97.5);
  CHECK(f60.at("met") == false);
  const auto& f180 = figure(b, 1, 180.0);
  CHECK(f180.at("in_time") == 4);  // + A3, claimed at 120 s after escalating
  CHECK(f180.at("late") == 2);     // A4 (300 s), A8 (never)
  CHECK(num(f180.at("share")) == Approx(400.0 / 6));
  CHECK(f180.at("target") == 99.0);
  CHECK(figure(b, 2, nullptr).at("judged") == 0);
  CHECK(figure(b, 2, nullptr).at("share").is_null());
  CHECK(figure(b, 2, nullptr).at("met") == true);
  CHECK(figure(b, 3, nullptr).at("in_time") == 1);  // A6, 30 min against 4 h
  CHECK(num(figure(b, 3, nullptr).at("share")) == Approx(100.0));
  CHECK(figure(b, 4, nullptr).at("pending") == 1);  // A7, due Monday 09:00

  const auto& claim = b.at("claim").as_object();
  CHECK(claim.at("p1").at("count") == 5);
  CHECK(num(claim.at("p1").at("median_s")) == 60);  // 20 30 60 120 300
  CHECK(num(claim.at("p1").at("p95_s")) == 300);
  CHECK(num(claim.at("p3").at("median_s")) == 1800);
  CHECK(claim.at("p4").at("count") == 0);
  CHECK(claim.at("p4").at("median_s").is_null());
  CHECK(num(claim.at("all").at("median_s")) == 60);
  CHECK(num(claim.at("all").at("p95_s")) == 1800);
  const auto& resolve = b.at("resolve").as_object();
  CHECK(num(resolve.at("p1").at("median_s")) == 300);  // 20 300 300 600 800
  CHECK(num(resolve.at("p1").at("p95_s")) == 800);
  CHECK(num(resolve.at("all").at("p95_s")) == 2000);

  const auto& outcomes = b.at("outcomes").as_object();
  CHECK(outcomes.at("sos-pressed") ==
        json::parse(R"({"false-alarm":1,"help-arrived":1,"resident-fine":1})"));
  CHECK(outcomes.at("smoke-detected") == json::parse(R"({"false-alarm":1})"));
  CHECK(outcomes.at("gas-leak") == json::parse(R"({"emergency-services":1})"));
  CHECK(outcomes.at("device-tamper") == json::parse(R"({"device-fault":1})"));
  CHECK(outcomes.size() == 4);

  const auto& by_rule = b.at("false_alarms").at("by_rule").as_object();
  CHECK(by_rule.at("sos-pressed").at("alerts") == 3);
  CHECK(by_rule.at("sos-pressed").at("false_alarms") == 1);
  CHECK(num(by_rule.at("sos-pressed").at("share")) == Approx(100.0 / 3));
  CHECK(num(by_rule.at("smoke-detected").at("share")) == Approx(100.0));
  CHECK(num(by_rule.at("gas-leak").at("share")) == Approx(0.0));
  const auto& by_type = b.at("false_alarms").at("by_device_type").as_object();
  CHECK(by_type.at("z2m.sos-button").at("alerts") == 2);  // A1, A5
  CHECK(num(by_type.at("z2m.sos-button").at("share")) == Approx(50.0));
  CHECK(by_type.at("z2m.smoke-detector").at("alerts") == 2);  // A2, A6
  CHECK(num(by_type.at("z2m.smoke-detector").at("share")) == Approx(50.0));
  CHECK(num(by_type.at("native").at("share")) == Approx(0.0));
  CHECK(num(by_type.at("z2m.gas-detector").at("share")) == Approx(0.0));

  const auto& ex = b.at("exceptions").as_array();
  REQUIRE(ex.size() == 3);
  CHECK(str(ex[0].at("id")) == id.at("A3"));
  CHECK(ex[0].at("answered_by") == "sup-wang");
  CHECK(num(ex[0].at("waited_s")) == 120);
  CHECK(ex[0].at("answered_at") == "2026-11-20T02:02:00Z");
  CHECK(ex[0].at("note") == "both operators on calls; second line took it");
  CHECK(str(ex[1].at("id")) == id.at("A4"));
  CHECK(ex[1].at("answered_by") == "op-li");
  CHECK(ex[1].at("note") == "missed: headset fault");
  CHECK(str(ex[2].at("id")) == id.at("A8"));
  CHECK(ex[2].at("answered_by").is_null());
  CHECK(num(ex[2].at("waited_s")) == std::chrono::duration<double>(24h - 1s - 7h).count());

  // One operator's board: what op-li answered (A1, A4, A6).
  const auto li = get_json(c, "sup-wang", std::string(day) + "&operator=op-li");
  CHECK(li.at("alerts") == 3);
  CHECK(figure(li, 1, 60.0).at("judged") == 2);
  CHECK(figure(li, 1, 60.0).at("in_time") == 1);
  REQUIRE(li.at("exceptions").as_array().size() == 1);
  CHECK(str(li.at("exceptions").as_array()[0].at("id")) == id.at("A4"));

  // The same figures in /metrics, counted as the alerts were answered.
  auto m = [&](const char* name, const char* labels) { return c.tel.value(name, labels); };
  CHECK(m("hearth_sla_judged_total", R"(priority="1",within="60s")") == 5);
  CHECK(m("hearth_sla_in_time_total", R"(priority="1",within="60s")") == 3);
  CHECK(m("hearth_sla_judged_total", R"(priority="1",within="180s")") == 5);
  CHECK(m("hearth_sla_in_time_total", R"(priority="1",within="180s")") == 4);
  CHECK(m("hearth_sla_in_time_total", R"(priority="3",within="claim-target")") == 1);
  CHECK(m("hearth_sla_exceptions_total", R"(priority="1")") == 2);  // A3, A4 (A8 unanswered)
  CHECK(c.tel.observations("hearth_alert_claim_seconds", R"(priority="1")") == 5);
  CHECK(c.tel.observations("hearth_alert_claim_seconds", R"(priority="1")", 60) == 3);
  CHECK(c.tel.observations("hearth_alert_claim_seconds", R"(priority="1")", 180) == 4);
  CHECK(c.tel.observations("hearth_alert_resolve_seconds", R"(priority="1")") == 5);
  CHECK(m("hearth_alert_outcomes_total",
          R"(rule="sos-pressed",device_type="z2m.sos-button",outcome="false-alarm")") == 1);
  const auto text = c.call("admin-1", "GET", "/metrics").body;
  CHECK_THAT(text, Catch::Contains("# TYPE hearth_alert_claim_seconds histogram"));
  CHECK_THAT(text, Catch::Contains(R"(hearth_alert_claim_seconds_bucket{priority="1",le="60"} 3)"));
  CHECK_THAT(text, Catch::Contains(R"(hearth_alert_claim_seconds_count{priority="1"} 5)"));
}

TEST_CASE("the board defaults to the current shift, and is refused to an operator",
          "[reports][api]") {
  centre c;
  c.replay_day();  // now is 07:59:59 local: the 00:00-08:00 shift holds only A9
  const auto b = get_json(c, "admin-1", "/api/v1/reports/sla");
  CHECK(b.at("from") == "2026-11-20T16:00:00Z");
  CHECK(b.at("to") == "2026-11-21T00:00:00Z");
  CHECK(b.at("alerts") == 1);
  const auto prev = get_json(c, "admin-1", "/api/v1/reports/sla?shift=previous");
  CHECK(prev.at("from") == "2026-11-20T08:00:00Z");
  CHECK(prev.at("alerts") == 0);
  for (const char* path : {"/api/v1/reports/sla", "/api/v1/reports/handover",
                           "/api/v1/alerts/export?from=2026-11-20T00:00:00Z"}) {
    INFO(path);
    const auto r = c.call("op-li", "GET", path);
    CHECK(r.status == 403);
  }
  CHECK(c.call("op-li", "POST", "/api/v1/reports/handover/ack", R"({"at":"2026-11-21T00:00:00Z"})")
            .status == 403);
  CHECK(c.call("admin-1", "GET", "/api/v1/reports/sla?shift=tomorrow").status == 400);
  CHECK(c.call("admin-1", "GET",
               "/api/v1/reports/sla?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z")
            .status == 400);
  CHECK(c.call("admin-1", "GET", "/api/v1/reports/sla?form=x").status == 400);
}

namespace {
/// RFC 4180 records (CRLF between records; quoted fields may hold commas, quotes, breaks).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false, started = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch == '"' && cell.empty()) {
      quoted = true;
    } else if (ch == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
      ++i;
    } else {
      cell += ch;
    }
    started = true;
  }
  if (started && rows.back().empty()) rows.pop_back();
  return rows;
}

std::size_t audit_count(centre& c, const std::string& action, const std::string& subject = {}) {
  std::size_t n = 0;
  for (const auto& row : c.st.audit_rows())
    if (row.entry.action == action && (subject.empty() || row.entry.subject == subject)) ++n;
  return n;
}
}  // namespace

TEST_CASE(
    "the shift handover: open alerts with their last note, the shift's resolutions, "
    "what starts or ends next, and an audited acknowledgement",
    "[reports][api]") {
  centre c;
  const auto id = c.replay_day();  // now 2026-11-20T23:59:59Z: what happens before the handover
  c.note("op-zhao", id.at("A8"), "kitchen smoke again; daughter asked to visit");
  c.resolve("op-zhao", id.at("A9"), "resident-fine", "daughter visited: all well");
  // A silence that ends in the next shift, one that ends far later (not shown), and an
  // away period that ends in the next shift.
  auto silence = [&](const char* until) {
    return c.call(
        "sup-wang", "POST", "/api/v1/silences",
        fmt::format(R"({{"scope":{{"building":"B3"}},"until":"{}","reason":"pipes"}})", until));
  };
  REQUIRE(silence("2026-11-21T03:00:00Z").status == 201);
  REQUIRE(silence("2026-11-25T00:00:00Z").status == 201);
  REQUIRE(c.call("sup-wang", "POST", "/api/v1/residents/R-1002/away",
                 R"({"until":"2026-11-21T06:00:00Z","reason":"in hospital"})")
              .status == 200);
  const auto reads_before = audit_count(c, "read-personal-data", "resident:R-1002");
  c.at(24h);  // the handover at 08:00 local: [16:00, 00:00) UTC was the shift

  const auto h = get_json(c, "sup-wang", "/api/v1/reports/handover");
  CHECK(h.at("at") == "2026-11-21T00:00:00Z");
  CHECK(h.at("from") == "2026-11-20T16:00:00Z");
  CHECK(h.at("next_until") == "2026-11-21T08:00:00Z");
  std::map<std::string, json::object> open;
  for (const auto& a : h.at("open").as_array())
    open[str(a.at("id"))] = a.as_object();
  CHECK(open.size() == 2);  // A7 (low battery) and A8 (smoke); A9 was resolved
  REQUIRE(open.count(id.at("A8")));
  CHECK(open.at(id.at("A8")).at("last_note") == "kitchen smoke again; daughter asked to visit");
  CHECK(open.at(id.at("A8")).at("state") == "open");
  CHECK(open.at(id.at("A7")).at("last_note").is_null());
  const auto& resolved = h.at("resolved").as_array();
  REQUIRE(resolved.size() == 1);  // only A9 was resolved in the last 8 hours
  CHECK(str(resolved[0].at("id")) == id.at("A9"));
  CHECK(resolved[0].at("outcome") == "resident-fine");
  CHECK(resolved[0].at("resolved_at") == "2026-11-20T23:59:59Z");
  // The note the operator wrote, without the outcome the audit row puts before it.
  CHECK(resolved[0].at("last_note") == "daughter visited: all well");
  REQUIRE(h.at("silences").as_array().size() == 1);
  CHECK(h.at("silences").as_array()[0].at("until") == "2026-11-21T03:00:00Z");
  REQUIRE(h.at("aways").as_array().size() == 1);
  CHECK(h.at("aways").as_array()[0].at("resident_id") == "R-1002");
  CHECK(h.at("aways").as_array()[0].at("reason") == "in hospital");
  CHECK(audit_count(c, "read-personal-data", "resident:R-1002") == reads_before + 1);
  CHECK(h.at("devices_offline").as_array().empty());
  CHECK(h.at("acknowledgements").as_array().empty());

  // The same shift earlier in the day: A1 to A6 were resolved in [06:00 - 8 h, 06:00).
  const auto noon = get_json(c, "sup-wang", "/api/v1/reports/handover?at=2026-11-20T06:00:00Z");
  CHECK(noon.at("resolved").as_array().size() == 6);
  for (const auto& a : noon.at("resolved").as_array()) {  // resolved without a note
    const auto& n = a.at("last_note");
    CHECK((n.is_null() || !str(n).starts_with(str(a.at("outcome")))));
  }

  // The incoming supervisor takes it over: an audit row, then listed on the handover.
  const auto ack = c.call("admin-1", "POST", "/api/v1/reports/handover/ack",
                          R"({"at":"2026-11-21T00:00:00Z","note":"A8 needs a visit"})");
  INFO(ack.body);
  REQUIRE(ack.status == 201);
  CHECK(audit_count(c, "handover-acknowledged") == 1);
  const auto again = get_json(c, "sup-wang", "/api/v1/reports/handover");
  REQUIRE(again.at("acknowledgements").as_array().size() == 1);
  CHECK(again.at("acknowledgements").as_array()[0].at("by") == "admin-1");
  CHECK(again.at("acknowledgements").as_array()[0].at("note") == "A8 needs a visit");
  CHECK(c.call("admin-1", "POST", "/api/v1/reports/handover/ack",
               R"({"at":"2026-11-22T00:00:00Z"})")
            .status == 400);  // in the future
}

TEST_CASE(
    "the CSV export: every alert of the period with its timeline, audited, and no "
    "cell a spreadsheet would run",
    "[reports][api]") {
  centre c;
  // Users whose names begin with a formula sign (user names may begin with '-' or '@').
  c.tokens["-op"] = test::issue_token(c.st, "-op", auth::role::operator_desk);
  c.tokens["@op"] = test::issue_token(c.st, "@op", auth::role::operator_desk);
  c.publish(k_sos, R"({"action":"emergency","battery":90})");
  const auto first = c.last_id();
  c.at(40s), c.claim("-op", first);
  c.note("-op", first, "=HYPERLINK(\"http://evil.example\",\"click\")");
  c.at(100s), c.resolve("-op", first, "false-alarm");
  c.at(1h), c.publish(k_smoke, R"({"smoke":true,"battery":80})");
  const auto second = c.last_id();
  c.at(1h + 5min), c.claim("@op", second);
  c.note("@op", second, "+1 called the daughter, \"ok\"");
  c.at(2h);

  const auto r = c.call("sup-wang", "GET",
                        "/api/v1/alerts/export?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/csv; charset=utf-8");
  CHECK(r.headers.at("Content-Disposition") ==
        "attachment; filename=\"hearth-alerts-2026-11-20.csv\"");
  const auto rows = parse_csv(r.body);
  REQUIRE(rows.size() == 3);  // the header and two alerts
  const auto& head = rows[0];
  auto col = [&](const std::string& name) {
    const auto it = std::find(head.begin(), head.end(), name);
    REQUIRE(it != head.end());
    return static_cast<std::size_t>(it - head.begin());
  };
  for (const auto& row : rows)
    REQUIRE(row.size() == head.size());
  const auto& a = rows[1];
  CHECK(a[col("id")] == first);
  CHECK(a[col("rule")] == "sos-pressed");
  CHECK(a[col("device_type")] == "z2m.sos-button");
  CHECK(a[col("answered_by")] == "'-op");  // neutralised
  CHECK(a[col("seconds_to_answer")] == "40");
  CHECK(a[col("outcome")] == "false-alarm");
  CHECK(a[col("seconds_to_resolve")] == "100");
  CHECK_THAT(a[col("timeline")],
             Catch::Contains("-op noted: =HYPERLINK(\"http://evil.example\",\"click\")"));
  const auto& b = rows[2];
  CHECK(b[col("answered_by")] == "'@op");
  CHECK(b[col("state")] == "acknowledged");
  CHECK(b[col("resolved_at")].empty());
  CHECK_THAT(b[col("timeline")], Catch::Contains("+1 called the daughter, \"ok\""));
  // No cell, anywhere, begins with a character a spreadsheet treats as a formula.
  for (const auto& row : rows)
    for (const auto& cell : row) {
      INFO(cell);
      CHECK((cell.empty() || std::string_view("=+-@\t\r").find(cell[0]) == std::string::npos));
    }
  // No personal data in it: not the resident's name, nor their phone.
  CHECK_THAT(r.body, !Catch::Contains("Example Resident"));
  CHECK_THAT(r.body, !Catch::Contains("+86-000"));
  CHECK(audit_count(c, "alerts-exported") == 1);

  CHECK(c.call("sup-wang", "GET", "/api/v1/alerts/export").status == 400);
  CHECK(c.call("sup-wang", "GET", "/api/v1/alerts/export?from=yesterday").status == 400);
}
