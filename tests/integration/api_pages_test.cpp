// SPDX-License-Identifier: Apache-2.0
// Issue 18, defect 2 (the API half): every list endpoint answers in pages of at most
// `limit` items (a maximum of 1,000) with a cursor that walks the whole list once; and the
// free-text notes of operators are not shown to integrators. In-process routes over a real
// SQLite file.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <set>

#include "alerts/book.hpp"
#include "api/routes.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"
#include "support/auth_support.hpp"
#include "support/harness.hpp"

using namespace hearth;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr int k_devices = 2'500;
constexpr int k_residents = 250;
constexpr int k_alerts = 150;
constexpr int k_readings = 300;
constexpr int k_quarantined = 250;
constexpr int k_unknown = 1'234;
constexpr int k_silences = 12;
constexpr int k_users = 30;

registry::tables community() {
  registry::tables t;
  t.households = {{"H-1", "B1", "101", "Building 1 Unit 101"}};
  for (int i = 0; i < k_residents; ++i)
    t.residents.push_back({fmt::format("R-{:04}", i), "H-1", "Example Resident", 1940, false,
                           "+86-000", "Contact", "+86-001", "sw-lu"});
  for (int i = 0; i < k_devices; ++i)
    t.devices.push_back({fmt::format("dev-{:05}", i), fmt::format("0x{:016x}", i), "z2m.sos-button",
                         "H-1", "B1", "hall"});
  t.buildings = {{"B1", 18, 4}};
  return t;
}

engine::signal sos(int device) {
  engine::signal s;
  s.rule = "sos-pressed";
  s.priority = 1 + device % 4;
  const auto id = fmt::format("dev-{:05}", device);
  s.key = "sos-pressed|" + id;
  s.subject = {id, "H-1", "B1", {"R-0000"}};
  s.title = "SOS";
  s.summary = "pressed";
  s.evidence = {{id, metric::sos_pressed, 1, {}}};
  return s;
}

struct node {
  test::temp_dir dir;
  manual_clock clock{*parse_rfc3339("2026-11-20T07:00:00Z")};
  telemetry tel;
  std::string db = (dir / "hearth.db").string();
  store::store st{db};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, st.alert_id_floor()};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{true, true, {}, {}}; }};
  std::string supervisor = test::issue_token(st, "sup-he", auth::role::supervisor);

  node() {
    st.save_registry(community());
    pipe.set_registry(std::make_shared<registry::registry>(st.load_registry()));
    for (int i = 0; i < k_alerts; ++i) {
      clock.advance(1s);
      pipe.record(book.on_signal(sos(i)));
    }
    store::writer w(db, tel);
    for (int i = 0; i < k_readings; ++i)
      w.push(std::vector<reading>{{"dev-00007", metric::device_battery_pct, 90.0 - i % 50,
                                   clock.now() - std::chrono::minutes(k_readings - i)}});
    for (int i = 0; i < k_quarantined; ++i)
      w.push(store::quarantine_row{clock.now(), "zigbee2mqtt/x", "malformed-json", "bad", "{"});
    for (int i = 0; i < k_unknown; ++i)
      w.push(store::unknown_sighting{fmt::format("0xunknown{:06}", i), "zigbee2mqtt/u",
                                     clock.now() - std::chrono::seconds(i % 97)});
    REQUIRE(w.flush(30s));
    for (int i = 1; i < k_users; ++i)  // sup-he is the 30th
      (void)test::issue_token(st, fmt::format("op-{:02}", i), auth::role::operator_desk);
    for (int i = 0; i < k_silences; ++i)
      REQUIRE(call("POST", "silences",
                   R"({"scope":{"building":"B1"},"until":"2026-11-21T07:00:00Z","reason":"works"})")
                  .status == 201);
  }

  api::response call(const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::string& token = {}) {
    api::request r;
    r.method = method;
    const auto q = target.find('?');
    r.path = "/api/v1/" + target.substr(0, q);
    if (q != std::string::npos) {
      std::string_view qs = std::string_view(target).substr(q + 1);
      while (!qs.empty()) {
        const auto amp = qs.find('&');
        const auto part = qs.substr(0, amp);
        const auto eq = part.find('=');
        r.query[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
        qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
      }
    }
    r.body = body;
    r.headers["authorization"] = "Bearer " + (token.empty() ? supervisor : token);
    return routes.handle(r);
  }

  /// Walks a list page by page; the identity of each item (`id_of`), in order.
  std::vector<std::string> walk(const std::string& path, const std::string& key, std::size_t limit,
                                const std::function<std::string(const json::object&)>& id_of,
                                int* pages = nullptr) {
    std::vector<std::string> out;
    std::string cursor;
    for (int n = 1; n < 10'000; ++n) {
      const auto sep = path.find('?') == std::string::npos ? "?" : "&";
      auto res = call("GET", fmt::format("{}{}limit={}{}", path, sep, limit,
                                         cursor.empty() ? "" : "&cursor=" + cursor));
      INFO(path << ": " << res.body.substr(0, 300));
      REQUIRE(res.status == 200);
      const auto body = json::parse(res.body).as_object();
      const auto& items = body.at(key).as_array();
      CHECK(items.size() <= limit);
      for (const auto& x : items)
        out.push_back(id_of(x.as_object()));
      if (pages) *pages = n;
      if (body.at("next_cursor").is_null()) return out;
      CHECK(items.size() == limit);  // only the last page is short
      cursor = std::string(body.at("next_cursor").as_string());
    }
    FAIL("the cursor never ended");
    return out;
  }
};

std::string str(const json::object& o, const char* k) {
  return std::string(o.at(k).as_string());
}

}  // namespace

TEST_CASE("every list endpoint walks its whole list in pages of at most `limit`, each item once",
          "[api][pages]") {
  node n;
  struct list {
    std::string path, key;
    std::size_t expected;
    std::function<std::string(const json::object&)> id_of;
  };
  const std::vector<list> lists = {
      {"alerts", "alerts", k_alerts, [](const auto& o) { return str(o, "id"); }},
      {"devices", "devices", k_devices, [](const auto& o) { return str(o, "device_id"); }},
      {"devices/unknown", "devices", k_unknown,
       [](const auto& o) { return str(o, "external_id"); }},
      {"devices/dev-00007/readings", "readings", k_readings,
       [](const auto& o) { return str(o, "ts"); }},
      {"quarantine", "quarantine", k_quarantined, [](const auto&) { return std::string(); }},
      {"silences", "silences", k_silences, [](const auto& o) { return str(o, "id"); }},
      {"users", "users", k_users, [](const auto& o) { return str(o, "name"); }},
      {"residents", "residents", k_residents, [](const auto& o) { return str(o, "resident_id"); }},
  };
  for (const auto& l : lists) {
    INFO(l.path);
    int pages = 0;
    const auto ids = n.walk(l.path, l.key, 7, l.id_of, &pages);
    CHECK(ids.size() == l.expected);
    CHECK(pages == static_cast<int>((l.expected + 6) / 7));
    if (l.path != "quarantine")  // identical rows: counted, not told apart
      CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == l.expected);
    // Without a limit: the default page of 100.
    const auto first = json::parse(n.call("GET", l.path).body).as_object();
    CHECK(first.at(l.key).as_array().size() == std::min<std::size_t>(l.expected, 100));
    CHECK(first.at("next_cursor").is_null() == (l.expected <= 100));
    // A limit past the maximum, or none at all, is refused; so is a cursor made up.
    CHECK(n.call("GET", l.path + "?limit=1001").status == 400);
    CHECK(n.call("GET", l.path + "?limit=0").status == 400);
    CHECK(n.call("GET", l.path + "?cursor=zz").status == 400);
  }
  // The queue keeps its order across pages: priority, then age.
  const auto queue = n.walk("alerts", "alerts", 9, [](const auto& o) {
    return fmt::format("{}|{}", o.at("priority").as_int64(), str(o, "opened_at"));
  });
  CHECK(std::is_sorted(queue.begin(), queue.end()));
}

TEST_CASE(
    "a page of 1,000 unknown devices is the largest answer, and later sightings do not "
    "shift the walk",
    "[api][pages]") {
  node n;
  const auto first = json::parse(n.call("GET", "devices/unknown?limit=1000").body).as_object();
  CHECK(first.at("devices").as_array().size() == 1000);
  REQUIRE(!first.at("next_cursor").is_null());
  const auto rest = json::parse(n.call("GET", "devices/unknown?limit=1000&cursor=" +
                                                  std::string(first.at("next_cursor").as_string()))
                                    .body)
                        .as_object();
  CHECK(rest.at("devices").as_array().size() == k_unknown - 1000);
  CHECK(rest.at("next_cursor").is_null());
}

TEST_CASE("integrators see that a note was written, never what it says", "[api][privacy]") {
  node n;
  const auto integrator = test::issue_token(n.st, "integ-ma", auth::role::integrator);
  const std::string note = "her daughter says she fell last week";
  REQUIRE(n.call("POST", "alerts/1/notes", json::serialize(json::object{{"text", note}})).status ==
          200);
  auto timeline = [&](const std::string& token) {
    const auto res = n.call("GET", "alerts/1", {}, token);
    REQUIRE(res.status == 200);
    CHECK((res.body.find(note) != std::string::npos) == (token != integrator));
    const auto v = json::parse(res.body).as_object();
    for (const auto& row : v.at("timeline").as_array())
      if (row.at("action") == "noted") return row.at("note");
    return json::value("no note row");
  };
  CHECK(timeline({}) == json::value(note));  // the supervisor reads it
  CHECK(timeline(integrator).is_null());     // the integrator sees the row, not the words
}
