// SPDX-License-Identifier: Apache-2.0
// Hostile input (issue 7): a table of bad inputs, each with the exact reason it must give.
// MQTT messages go through the whole pipeline (routing, decoding, registry, duplicates) and
// must raise exactly one `hearth_messages_rejected_total{reason=...}`; raw HTTP requests go
// through the server's parser and the routes and must give exactly one status and error
// code; registry CSV and device-type YAML must give a diagnostic naming the problem.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api/http_server.hpp"
#include "api/routes.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "catalog/device_type.hpp"
#include "normalize/normalizer.hpp"
#include "registry/registry.hpp"
#include "support/auth_support.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

const time_point k_now = *parse_rfc3339("2026-11-20T07:00:00Z");

const char* const k_reasons[] = {
    "oversized",           "malformed-json",    "missing-field", "wrong-type",     "out-of-range",
    "bad-timestamp",       "future-timestamp",  "bad-frame",     "unknown-metric", "unknown-topic",
    "unregistered-device", "wrong-device-type", "duplicate"};

/// The shipped device types, the sample registry, an in-memory store, the API routes.
struct rig {
  manual_clock clock{k_now};
  telemetry tel;
  store::store st{":memory:"};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{}; }};

  rig() {
    diagnostics d;
    auto types = std::make_shared<catalog::catalog>(
        catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d));
    registry::tables parsed;
    auto reg = app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                          registry::registry{}, types.get(), parsed, d);
    REQUIRE(reg);
    st.save_registry(parsed);
    pipe.set_catalog(types);
    pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  }

  /// Opens alert 1 (an SOS in H-3-502).
  void open_alert() {
    engine::signal s;
    s.rule = "sos-pressed";
    s.priority = 1;
    s.key = "sos-pressed|sos-3-502";
    s.subject = {"sos-3-502", "H-3-502", "B3", {"R-1001"}};
    s.title = s.summary = "SOS";
    s.at = clock.now();
    pipe.record(book.on_signal(s));
    REQUIRE(book.find("1") != nullptr);
  }

  std::map<std::string, double> counts() const {
    std::map<std::string, double> out;
    for (const char* r : k_reasons)
      out[r] = tel.value("hearth_messages_rejected_total", fmt::format("reason=\"{}\"", r));
    return out;
  }
};

struct bad_message {
  const char* what;
  std::string topic, payload;
  const char* reason;
  bool twice = false;  ///< sent twice; the second must be rejected
};

}  // namespace

TEST_CASE("each hostile MQTT message is rejected with exactly its reason", "[hostile][pipeline]") {
  const std::string sos = "zigbee2mqtt/0x00158d0008a1b2c3";
  const std::string smoke = "zigbee2mqtt/0x00158d0008a1b2c4";
  const std::string meter = "application/7/device/a84041000181c2d1/event/up";
  const std::string button = "hearth/v1/devices/button-demo-1/up";
  const std::vector<bad_message> table = {
      {"truncated JSON", sos, R"({"action":"emergency","battery":)", "malformed-json"},
      {"not JSON at all", sos, "\x01\x02\xff\xfe binary", "malformed-json"},
      {"a JSON array where an object belongs", sos, "[1,2,3]", "malformed-json"},
      {"a payload over 64 KiB", sos, R"({"pad":")" + std::string(65 * 1024, 'x') + R"("})",
       "oversized"},
      {"a battery figure of 255 %", smoke, R"({"smoke":false,"battery":255})", "out-of-range"},
      {"a meter uplink without its required total", meter,
       R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":1,"object":{"battery":50}})",
       "missing-field"},
      {"a native message without ts", button, R"({"metrics":{"sos.pressed":true}})",
       "missing-field"},
      {"a native ts that is not a time", button,
       R"({"ts":"yesterday","metrics":{"sos.pressed":true}})", "bad-timestamp"},
      {"a native ts a day ahead", button,
       R"({"ts":"2026-11-21T07:00:00Z","metrics":{"sos.pressed":true}})", "future-timestamp"},
      {"a metric that is not canonical", button,
       R"({"ts":"2026-11-20T06:59:00Z","metrics":{"water.magic":1}})", "unknown-metric"},
      {"a metric value of the wrong type", button,
       R"({"ts":"2026-11-20T06:59:00Z","metrics":{"sos.pressed":"yes"}})", "wrong-type"},
      {"a LoRaWAN frame two bytes long", meter,
       R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":2,"fPort":1,"data":"QOI="})",
       "bad-frame"},
      {"a topic nobody subscribes to", "office/coffee-machine/up", R"({"on":true})",
       "unknown-topic"},
      {"a sender not in the registry", "zigbee2mqtt/0xdeadbeefdeadbeef",
       R"({"action":"emergency"})", "unregistered-device"},
      {"the same LoRaWAN frame counter again", meter,
       R"({"deviceInfo":{"devEui":"a84041000181c2d1"},"fCnt":4411,"fPort":1,"data":"QOIBAABY"})",
       "duplicate", true},
  };
  for (const auto& m : table) {
    DYNAMIC_SECTION(m.what) {
      rig r;
      if (m.twice) {
        r.pipe.on_message(m.topic, m.payload, r.clock.now());
        r.clock.advance(1s);
      }
      const auto before = r.counts();
      r.pipe.on_message(m.topic, m.payload, r.clock.now());
      const auto after = r.counts();
      for (const char* reason : k_reasons) {
        INFO(m.what << ": reason " << reason);
        CHECK(after.at(reason) - before.at(reason) == (std::string(reason) == m.reason ? 1 : 0));
      }
    }
  }
}

TEST_CASE("each hostile HTTP request gets exactly its status and error code", "[hostile][api]") {
  struct bad_request {
    const char* what;
    std::string raw;
    int status;
    const char* code;  ///< the "error" of the JSON body; empty when the parser answers alone
  };
  auto post = [](const std::string& target, const std::string& body) {
    return fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{}", target,
                       body.size(), body);
  };
  const std::vector<bad_request> table = {
      {"a body over 64 KiB", post("/api/v1/alerts/1/notes", std::string(70 * 1024, 'x')), 413, ""},
      {"headers over 8 KiB",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(9000, 'a') + "\r\n\r\n", 413,
       ""},
      {"bytes that are not HTTP", "\x16\x03\x01\x02\x00 TLS hello\r\n\r\n", 400, ""},
      {"a request line without a version", "GET /healthz\r\n\r\n", 400, ""},
      {"a body of 17 KiB JSON",
       post("/api/v1/alerts/1/notes", R"({"text":")" + std::string(17 * 1024, 'n') + R"("})"), 413,
       "too-large"},
      {"a body that is a JSON array", post("/api/v1/alerts/1/claim", "[1,2]"), 400, "bad-request"},
      {"a body with an unknown key", post("/api/v1/alerts/1/claim", R"({"note":"x","admin":true})"),
       400, "bad-request"},
      {"a note that is a number", post("/api/v1/alerts/1/notes", R"({"text":42})"), 400,
       "bad-request"},
      {"a resolve without an outcome", post("/api/v1/alerts/1/resolve", R"({"note":"x"})"), 400,
       "bad-request"},
      {"a bearer token that is not one",
       "POST /api/v1/alerts/1/claim HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a;drop table\r\n"
       "Content-Length: 0\r\n\r\n",
       401, "unauthenticated"},
      {"a priority of 9", "GET /api/v1/alerts?priority=9 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
       "bad-request"},
      {"a state that does not exist",
       "GET /api/v1/alerts?state=%27%20OR%201=1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad-request"},
      {"a since that is not a time",
       "GET /api/v1/devices/sos-3-502/readings?since=tomorrow HTTP/1.1\r\nHost: x\r\n\r\n", 400,
       "bad-request"},
      {"a path outside the API", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404,
       "not-found"},
      {"a resident that does not exist",
       post("/api/v1/residents/R-9999/away", R"({"until":"2026-12-01T00:00:00Z","reason":"x"})"),
       404, "not-found"},
      {"a silence scope with two keys",
       post(
           "/api/v1/silences",
           R"({"scope":{"building":"B3","device_id":"x"},"until":"2026-11-21T00:00:00Z","reason":"r"})"),
       400, "bad-request"},
      {"a write method on a read-only resource", post("/api/v1/devices", "{}"), 405,
       "method-not-allowed"},
  };
  for (const auto& q : table) {
    DYNAMIC_SECTION(q.what) {
      rig r;
      auto parsed = api::parse_request(q.raw);
      int status = parsed.status;
      std::string code;
      if (parsed.complete) {
        // Every request is an admin's unless it brings its own credentials: what is judged
        // here is the request, not the caller's rights.
        r.open_alert();  // alert 1 exists, so what is judged is the body, not the id
        parsed.req.headers.try_emplace(
            "authorization",
            "Bearer " + hearth::test::issue_token(r.st, "admin-1", auth::role::admin));
        const auto res = r.routes.handle(parsed.req);
        status = res.status;
        boost::system::error_code ec;
        const auto v = boost::json::parse(res.body, ec);
        if (!ec && v.is_object() && v.as_object().contains("error"))
          code = std::string(v.at("error").as_string());
      }
      INFO(q.what);
      CHECK(status == q.status);
      CHECK(code == q.code);
    }
  }
}

TEST_CASE("hostile registry CSV and device-type YAML give a diagnostic naming the problem",
          "[hostile][registry][catalog]") {
  struct bad_text {
    const char* what;
    std::string text;
    const char* says;
  };
  const std::vector<bad_text> yaml = {
      {"a misspelt key",
       "type: x\ntransport: zigbee2mqtt\nfields:\n  - { path: a, metirc: sos.pressed }\n",
       "unknown key 'metirc'"},
      {"an unknown metric",
       "type: x\ntransport: zigbee2mqtt\nfields:\n  - { path: a, metric: x.y }\n",
       "unknown metric"},
      {"a YAML bomb of aliases", "a: &a [1,1,1]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n", "type"},
      {"tabs and garbage", "\t\t: : :\n- [\n", ""},
  };
  for (const auto& y : yaml) {
    DYNAMIC_SECTION("device type: " << y.what) {
      diagnostics d;
      CHECK_FALSE(catalog::parse_device_type(y.text, "x.yaml", d));
      REQUIRE_FALSE(d.empty());
      std::string all;
      for (const auto& x : d)
        all += x.text() + "\n";
      CHECK_THAT(all, Catch::Contains(y.says));
    }
  }
  const std::string header =
      "resident_id,household_id,name,birth_year,lives_alone,phone,"
      "emergency_contact,emergency_phone,social_worker\n";
  const std::vector<bad_text> csv = {
      {"a birth year that is not a number", header + "R-1,H-3-502,A,nineteen,true,,,,\n",
       "birth_year"},
      {"too few columns", header + "R-1,H-3-502\n", "columns"},
      {"an unterminated quote", header + "R-1,H-3-502,\"A,1941,true,,,,\n", "quote"},
  };
  for (const auto& c : csv) {
    DYNAMIC_SECTION("residents.csv: " << c.what) {
      test::temp_dir dir;
      test::write_file(dir / "residents.csv", c.text);
      diagnostics d;
      registry::tables parsed;
      CHECK_FALSE(app::check_registry_import({(dir / "residents.csv").string()},
                                             registry::registry{}, nullptr, parsed, d));
      REQUIRE_FALSE(d.empty());
      std::string all;
      for (const auto& x : d)
        all += x.text() + "\n";
      CHECK_THAT(all, Catch::Contains(c.says));
    }
  }
}
