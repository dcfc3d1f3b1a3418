// SPDX-License-Identifier: Apache-2.0
// High availability (issue 17): two hearthd nodes on one PostgreSQL 15 database and one
// mosquitto with persistence. One is active (it holds the lease, the MQTT session with the
// shared client id, the rules and the writes); the other stands by and takes over when the
// active node dies, loses the database, or the database restarts.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "base/time.hpp"
#include "store/postgres.hpp"
#include "support/ha_pair.hpp"
#include "support/harness.hpp"
#include "support/postgres.hpp"
#include "support/tcp_proxy.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

const std::string k_stream_topic = "hearth/v1/devices/button-demo-1/up";

/// The standby's own subscription (GET /healthz "witness"), or an empty object.
json::object witness_of(unsigned short port) {
  const auto r = http_get(port, "/healthz");
  if (r.status != 200) return {};
  const auto v = json::parse(r.body).as_object();
  return v.contains("witness") ? v.at("witness").as_object() : json::object{};
}
bool witness_subscribed(unsigned short port) {
  const auto w = witness_of(port);
  return w.contains("subscribed") && w.at("subscribed").as_bool();
}

}  // namespace

TEST_CASE(
    "five alternating kill -9s of the active node: the standby takes over and serves a new "
    "SOS within 5 s each time, and no reading is lost",
    "[e2e][ha][pg]") {
  ha_pair p(pg_cluster::shared().fresh_database());
  const auto stored = [&] {
    return pg_query_ints(p.db,
                         "SELECT r.value::bigint FROM readings r JOIN device_keys k ON k.key = "
                         "r.device WHERE k.device_id = 'button-demo-1' ORDER BY 1");
  };

  // An SOS claimed by an operator before the first kill: its claim and its resolve deadline
  // (a timer in the alert's lifecycle) must survive every failover.
  publish(p.mosquitto.uri(), sos_topic(0), R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_about(p.a->http_port(), "sos-0").has_value(); }));
  const auto claimed_id = std::string(alert_about(p.a->http_port(), "sos-0")->at("id").as_string());
  REQUIRE(http(p.a->http_port(), "POST", "/api/v1/alerts/" + claimed_id + "/claim",
               R"({"note":"on my way"})")
              .status == 200);
  const auto claimed = *alert_about(p.a->http_port(), "sos-0");
  REQUIRE(claimed.at("state") == "acknowledged");

  const auto base =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 48h;
  constexpr double k_rate = 100;
  paced_publisher stream(
      p.mosquitto.uri(), k_rate, [](long) { return k_stream_topic; },
      [&](long n) {
        return fmt::format(
            R"({{"ts":"{}","metrics":{{"water.total_l":{}}}}})",
            hearth::format_rfc3339(hearth::time_point(base + std::chrono::seconds(n))), n);
      },
      1'000'000);

  std::vector<double> to_active_s, to_alert_s;
  std::vector<long> killed_at, resumed_at;
  std::set<std::string> ids{claimed_id};
  daemon_process* active = p.a.get();
  for (int kill = 1; kill <= 5; ++kill) {
    daemon_process* standby = active == p.a.get() ? p.b.get() : p.a.get();
    // What the active node acknowledged and had not stored comes from the standby's own
    // subscription (ingest/witness.hpp): it must be there before the kill.
    REQUIRE(eventually([&] { return witness_subscribed(standby->http_port()); }));
    const long before = stream.sent() + 100;  // about a second of stream on this node
    REQUIRE(eventually([&] { return stream.sent() >= before; }, 10s));
    const auto t0 = steady::now();
    active->kill9();
    killed_at.push_back(stream.sent());
    REQUIRE(eventually([&] { return standby->role() == "active"; }, 10s));
    const auto t_active = steady::now();
    publish(p.mosquitto.uri(), sos_topic(kill), R"({"action":"emergency"})");
    const auto device = "sos-" + std::to_string(kill);
    REQUIRE(eventually([&] { return alert_about(standby->http_port(), device).has_value(); }, 10s));
    const auto t_alert = steady::now();
    resumed_at.push_back(stream.sent());
    to_active_s.push_back(std::chrono::duration<double>(t_active - t0).count());
    to_alert_s.push_back(std::chrono::duration<double>(t_alert - t0).count());
    INFO("failover " << kill << ": active after " << to_active_s.back() << " s, new SOS after "
                     << to_alert_s.back() << " s");
    CHECK(to_alert_s.back() <= 5.0);
    const auto fresh = alert_about(standby->http_port(), device)->at("id").as_string();
    CHECK(ids.insert(std::string(fresh)).second);  // a new id, never one used before

    // The claimed alert: same id, same operator, same timers.
    const auto kept = alert_about(standby->http_port(), "sos-0");
    REQUIRE(kept);
    CHECK(kept->at("id") == claimed_id.c_str());
    CHECK(kept->at("state") == "acknowledged");
    CHECK(kept->at("assignee") == claimed.at("assignee"));
    CHECK(kept->at("lifecycle").at("due_at") == claimed.at("lifecycle").at("due_at"));
    CHECK(kept->at("lifecycle").at("acknowledged_at") ==
          claimed.at("lifecycle").at("acknowledged_at"));

    // The killed node comes back as a standby; it does not take the active role back.
    active->start();
    REQUIRE(eventually([&] { return active->role() == "standby"; }, 20s));
    CHECK(standby->role() == "active");
    active = standby;
  }
  const long sent = stream.stop();

  std::vector<std::int64_t> rows;
  eventually(
      [&] {
        rows = stored();
        return static_cast<long>(rows.size()) >= sent;
      },
      20s);
  const std::set<std::int64_t> distinct(rows.begin(), rows.end());
  std::vector<long> missing;
  for (long n = 0; n < sent; ++n)
    if (!distinct.contains(n)) missing.push_back(n);
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  fmt::print(
      "ha failover: {} messages at {:.0f} msg/s, 5 kill -9; to the new active node median "
      "{:.2f} s max {:.2f} s; to the new SOS in its API median {:.2f} s max {:.2f} s; {} "
      "readings lost, {} stored twice\n",
      sent, k_rate, median(to_active_s), *std::max_element(to_active_s.begin(), to_active_s.end()),
      median(to_alert_s), *std::max_element(to_alert_s.begin(), to_alert_s.end()), missing.size(),
      rows.size() - distinct.size());
  for (std::size_t k = 0; k < killed_at.size(); ++k) {
    const long from = k == 0 ? 0 : resumed_at[k - 1];
    long lost = 0, lost_while_down = 0;
    for (long n : missing)
      if (n >= from && n < resumed_at[k]) {
        ++lost;
        if (n >= killed_at[k]) ++lost_while_down;
      }
    INFO("kill " << k + 1);
    // Acknowledged by the killed node and not stored: the standby's witness had them.
    CHECK(lost == 0);
    // Published while no node was active: the broker queued them for the shared session.
    CHECK(lost_while_down == 0);
  }
  for (long n : missing)
    CHECK(n < resumed_at.back());
  CHECK(rows.size() == distinct.size());

  // Every alert is in the database once, under its own id; the audit chain verifies.
  const auto alert_ids = pg_query_ints(p.db, "SELECT id FROM alerts ORDER BY id");
  CHECK(alert_ids.size() == 6);
  CHECK(std::set<std::int64_t>(alert_ids.begin(), alert_ids.end()).size() == alert_ids.size());
  CHECK(p.a->audit_verify() == 0);
}

TEST_CASE(
    "a kill -9 of the active node while its writer is stuck: the readings it had acknowledged "
    "and not stored are taken from the standby's own subscription",
    "[e2e][ha][pg]") {
  ha_pair p(pg_cluster::shared().fresh_database());
  const auto witness = [&] { return witness_of(p.b->http_port()); };
  REQUIRE(eventually([&] { return witness_subscribed(p.b->http_port()); }));
  const auto received = [&] {
    return metric_value(http_get(p.a->http_port(), "/metrics").body,
                        "hearth_messages_received_total");
  };
  const double received_before = received();
  const auto quarantined = [&] { return pg_query_ints(p.db, "SELECT COUNT(*) FROM quarantine"); };
  const auto quarantined_before = quarantined();

  // Node a's writer waits on this lock, so whatever a acknowledges stays in its memory: its
  // lease (another connection) is still renewed, and a stays active.
  hearth::store::pg_connection lock(p.db);
  lock.exec("BEGIN");
  lock.exec("LOCK TABLE readings IN ACCESS EXCLUSIVE MODE");
  constexpr int k_readings = 40;
  const auto base = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 1h;
  // Quickly: the standby keeps a few seconds of traffic, the lease and a margin.
  paced_publisher stream(
      p.mosquitto.uri(), 200, [](long) { return k_stream_topic; },
      [&](long n) {
        return fmt::format(
            R"({{"ts":"{}","metrics":{{"water.total_l":{}}}}})",
            hearth::format_rfc3339(hearth::time_point(base + std::chrono::seconds(n))), n);
      },
      k_readings);
  REQUIRE(eventually([&] { return stream.sent() >= k_readings; }));
  REQUIRE(stream.stop() == k_readings);  // and acknowledged by the broker
  REQUIRE(eventually([&] { return received() >= received_before + k_readings; }));
  const bool witnessed = eventually([&] {
    const auto w = witness();
    return w.contains("held") && w.at("held").to_number<int>() >= k_readings;
  });
  INFO("the standby's witness: " << json::serialize(witness()));
  REQUIRE(witnessed);
  p.a->kill9();
  lock.exec("ROLLBACK");  // a's connection ends with it; nothing of a's batch is committed

  REQUIRE(eventually([&] { return p.b->role() == "active"; }, 10s));
  std::vector<std::int64_t> rows;
  const bool all = eventually(
      [&] {
        rows = pg_query_ints(p.db,
                             "SELECT r.value::bigint FROM readings r JOIN device_keys k ON k.key "
                             "= r.device WHERE k.device_id = 'button-demo-1' ORDER BY 1");
        return rows.size() >= static_cast<std::size_t>(k_readings);
      },
      10s);
  INFO(rows.size() << " of " << k_readings << " readings stored");
  CHECK(all);
  CHECK(rows.size() == static_cast<std::size_t>(k_readings));  // each once
  const auto metrics = http_get(p.b->http_port(), "/metrics").body;
  CHECK(metric_value(metrics, "hearth_ha_witness_messages_total{outcome=\"recovered\"}") ==
        k_readings);
  // Nothing the standby held went to quarantine as a duplicate of itself.
  CHECK(quarantined() == quarantined_before);
}

TEST_CASE(
    "split brain: the active node that loses the database stops acting before the standby "
    "takes over, and there is never more than one active node",
    "[e2e][ha][pg]") {
  auto& pg = pg_cluster::shared();
  tcp_proxy path_a(pg.port());  // node a reaches the database through this
  const auto db = pg.fresh_database();
  auto via_proxy = db;
  via_proxy.replace(via_proxy.find(std::to_string(pg.port())), std::to_string(pg.port()).size(),
                    std::to_string(path_a.port()));
  ha_pair p(db, via_proxy);
  publish(p.mosquitto.uri(), sos_topic(0), R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_about(p.a->http_port(), "sos-0").has_value(); }));

  path_a.block();  // a's database is gone; b still reaches it
  const auto t0 = steady::now();
  std::optional<steady::time_point> a_stepped_down, b_active;
  int both_active = 0;
  eventually(
      [&] {
        const auto now = steady::now();
        if (!a_stepped_down && p.a->proc().log().find("stepping down") != std::string::npos)
          a_stepped_down = now;
        const auto rb = p.b->role();
        if (!b_active && rb == "active") b_active = now;
        if (rb == "active" && p.a->role() == "active") ++both_active;
        return a_stepped_down && b_active && now - *b_active > 1s;
      },
      20s);
  REQUIRE(a_stepped_down);
  REQUIRE(b_active);
  INFO("a stepped down after " << std::chrono::duration<double>(*a_stepped_down - t0).count()
                               << " s, b active after "
                               << std::chrono::duration<double>(*b_active - t0).count() << " s");
  CHECK(*a_stepped_down < *b_active);
  CHECK(*a_stepped_down - t0 < 3s);  // within its lease
  CHECK(both_active == 0);
  CHECK(p.a->role() == "standby");  // a re-executed itself and stands by, without a database

  // The new active node serves the alert and takes new ones; a, cut off, never writes.
  publish(p.mosquitto.uri(), sos_topic(1), R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_about(p.b->http_port(), "sos-1").has_value(); }));
  CHECK(alert_about(p.b->http_port(), "sos-0").has_value());
  path_a.unblock();
  REQUIRE(eventually([&] { return p.a->role() == "standby"; }));
  CHECK(p.b->role() == "active");
  CHECK(pg_query_ints(db, "SELECT COUNT(*) FROM alerts") == std::vector<std::int64_t>{2});
  CHECK(p.b->audit_verify() == 0);
}

TEST_CASE("a PostgreSQL restart: both nodes recover, one is active, no alert is lost",
          "[e2e][ha][pg]") {
  pg_cluster pg;  // its own cluster: this test stops it
  ha_pair p(pg.fresh_database());
  publish(p.mosquitto.uri(), sos_topic(0), R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_about(p.a->http_port(), "sos-0").has_value(); }));

  pg.stop();
  // The active node cannot renew: it steps down; neither is active while the database is away.
  REQUIRE(eventually([&] { return p.a->role() == "standby"; }, 10s));
  CHECK(p.b->role() == "standby");
  pg.start();
  daemon_process* active = nullptr;
  REQUIRE(eventually(
      [&] {
        active = p.active();
        return active != nullptr;
      },
      20s));
  active->wait_connected();
  CHECK(alert_about(active->http_port(), "sos-0").has_value());
  publish(p.mosquitto.uri(), sos_topic(1), R"({"action":"emergency"})");
  REQUIRE(eventually([&] { return alert_about(active->http_port(), "sos-1").has_value(); }));
  CHECK(active->audit_verify() == 0);
}
