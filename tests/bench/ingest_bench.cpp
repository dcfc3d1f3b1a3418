// SPDX-License-Identifier: Apache-2.0
// Figures 1 and 2: ingest throughput through mosquitto, QoS 0 and 1, against a bare Paho
// subscriber on the same broker with the same messages; and the same work in Node-RED.
#include <fmt/format.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>

#include "bench.hpp"
#include "support/postgres.hpp"

using namespace hearth;
using namespace hearth::bench;
using namespace std::chrono_literals;

namespace {

double g_hearth_qos0 = 0;

/// Packets for `msgs`, concatenated into ~64 KiB writes.
std::vector<std::string> encoded(const std::vector<sim::message>& msgs, int qos) {
  std::vector<std::string> chunks(1);
  std::uint16_t id = 1;
  for (const auto& m : msgs) {
    if (chunks.back().size() > 64 * 1024) chunks.emplace_back();
    chunks.back() += raw_publisher::encode(m.topic, m.payload, qos, id++);
    if (id == 0) id = 1;
  }
  return chunks;
}

double secs(steady::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct ingest_run {
  double rate = 0;
  std::string note;
};

/// hearthd on a fresh broker, fed `chunks` (the `n` messages of `w`): messages per second
/// until every message is received and every reading it produced is stored. `database`:
/// empty for the SQLite file, or a postgresql:// URI.
ingest_run hearthd_ingest(const workload& w, const std::vector<std::string>& chunks, std::size_t n,
                          const std::string& database = {}) {
  test::temp_dir dir;
  test::broker b(dir, k_broker_config);
  auto o = daemon_options(w);
  o.database = database;
  test::daemon_process d(dir, b, o);
  d.wait_connected();
  raw_publisher pub(b.port(), "bench-pub-hearth");
  const auto port = d.http_port();
  const auto t0 = steady::now();
  for (const auto& c : chunks)
    pub.write(c);
  // Fully processed: every message received, and every reading it produced stored.
  steady::time_point done{};
  double received = 0, stored = 0, readings = 0;
  test::eventually(
      [&] {
        const auto text = test::http_get(port, "/metrics").body;
        received = test::metric_value(text, "hearth_messages_received_total");
        readings = test::metric_value(text, "hearth_readings_total");
        stored = test::metric_value(text, "hearth_readings_stored_total");
        done = steady::now();
        return received >= static_cast<double>(n) && stored >= readings;
      },
      180s);
  return {received / secs(done - t0), fmt::format("{} messages, {} readings stored in {:.2f} s",
                                                  received, stored, secs(done - t0))};
}

}  // namespace

TEST_CASE("ingest throughput, hearthd against a bare subscriber", "[ingest]") {
  test::temp_dir work;
  const auto w = make_workload(2000, 1, work.path());
  const auto& msgs = w.traffic.messages;
  const auto n = msgs.size();
  fmt::print("ingest: {} messages from {} devices\n", n, w.community.devices.size());

  for (int qos : {0, 1}) {
    const auto chunks = encoded(msgs, qos);
    double ceiling = 0;
    {
      test::temp_dir dir;
      test::broker b(dir, k_broker_config);
      bare_subscriber sub(b.uri(), shipped_filters(), 1);
      raw_publisher pub(b.port(), "bench-pub-bare");
      const auto t0 = steady::now();
      for (const auto& c : chunks)
        pub.write(c);
      test::eventually([&] { return sub.count() >= n; }, 120s);
      ceiling = static_cast<double>(sub.count()) / secs(sub.last_at() - t0);
      fmt::print("  bare subscriber QoS {}: {} of {} in {:.2f} s\n", qos, sub.count(), n,
                 secs(sub.last_at() - t0));
    }
    const auto [rate, note] = hearthd_ingest(w, chunks, n);
    fmt::print("  hearthd QoS {}: {}\n", qos, note);
    if (qos == 0) g_hearth_qos0 = rate;
    record({fmt::format("ingest.qos{}", qos), fmt::format("ingest QoS {} (hearthd)", qos), rate,
            "msg/s", ceiling, "bare Paho subscriber", rate / ceiling, ">= 0.90 of ceiling",
            rate / ceiling >= 0.9, note});
  }
}

TEST_CASE("ingest throughput on PostgreSQL beside SQLite", "[postgres]") {
  test::temp_dir work;
  const auto w = make_workload(2000, 1, work.path());
  const auto n = w.traffic.messages.size();
  const auto chunks = encoded(w.traffic.messages, 1);
  test::pg_cluster pg(true);  // PostgreSQL's defaults (fsync on), on loopback
  const auto sqlite = hearthd_ingest(w, chunks, n);
  fmt::print("  hearthd QoS 1, SQLite: {}\n", sqlite.note);
  const auto postgres = hearthd_ingest(w, chunks, n, pg.fresh_database());
  fmt::print("  hearthd QoS 1, PostgreSQL: {}\n", postgres.note);
  record({"ingest.qos1.sqlite", "ingest QoS 1, SQLite", sqlite.rate, "msg/s", std::nullopt, "",
          std::nullopt, "", std::nullopt, sqlite.note});
  record({"ingest.qos1.postgresql", "ingest QoS 1, PostgreSQL", postgres.rate, "msg/s", sqlite.rate,
          "SQLite, same run", postgres.rate / sqlite.rate, ">= 20,000 msg/s",
          postgres.rate >= 20'000, postgres.note});
}

namespace {

/// The flow of issue 8: mqtt in -> json -> threshold function -> sqlite, with counters
/// served at GET /count.
std::string node_red_flow(unsigned short broker_port, const std::string& db) {
  namespace json = boost::json;
  json::array flow;
  flow.push_back(json::object{{"id", "tab1"}, {"type", "tab"}, {"label", "bench"}});
  flow.push_back(json::object{{"id", "broker"},
                              {"type", "mqtt-broker"},
                              {"name", "bench"},
                              {"broker", "127.0.0.1"},
                              {"port", std::to_string(broker_port)},
                              {"clientid", ""},
                              {"usetls", false},
                              {"protocolVersion", "4"},
                              {"keepalive", "60"},
                              {"cleansession", true}});
  flow.push_back(json::object{{"id", "db"}, {"type", "sqlitedb"}, {"db", db}, {"mode", "RWC"}});
  int y = 40;
  for (const auto& f : shipped_filters()) {
    flow.push_back(json::object{{"id", "in" + std::to_string(y)},
                                {"type", "mqtt in"},
                                {"z", "tab1"},
                                {"topic", f},
                                {"qos", "0"},
                                {"datatype", "utf8"},
                                {"broker", "broker"},
                                {"x", 100},
                                {"y", y},
                                {"wires", json::array{json::array{"json"}}}});
    y += 40;
  }
  flow.push_back(json::object{{"id", "json"},
                              {"type", "json"},
                              {"z", "tab1"},
                              {"property", "payload"},
                              {"action", "obj"},
                              {"x", 300},
                              {"y", 40},
                              {"wires", json::array{json::array{"threshold"}}}});
  // Decodes what hearth decodes (the meter frame, decoded objects, Zigbee fields, native
  // metrics), applies the life-safety thresholds, and writes one row per reading.
  const char* threshold = R"js(
const c = context.global;
c.set('seen', (c.get('seen') || 0) + 1);
const t = msg.topic, p = msg.payload;
if (typeof p !== 'object' || p === null) return null;
const rows = [];
const add = (m, v) => { if (v !== undefined && v !== null) rows.push([m, Number(v)]); };
let device = t;
if (t.startsWith('application/')) {
  device = p.deviceInfo && p.deviceInfo.devEui;
  if (p.object) { add('water.total_l', p.object.total_l); add('water.leak', p.object.leak); add('water.burst', p.object.burst); add('device.battery_pct', p.object.battery); }
  else { const b = Buffer.from(p.data || '', 'base64'); if (b.length < 6) return null;
    add('water.total_l', b.readUInt32LE(0)); add('water.leak', b[4] & 1); add('water.burst', (b[4] >> 1) & 1);
    add('device.battery_low', (b[4] >> 2) & 1); add('device.tamper', (b[4] >> 3) & 1); add('device.battery_pct', b[5]); }
} else if (t.startsWith('v3/')) {
  device = p.end_device_ids && p.end_device_ids.dev_eui;
  const d = (p.uplink_message || {}).decoded_payload || {};
  for (const k of Object.keys(d)) add(k, d[k]);
} else if (t.startsWith('zigbee2mqtt/')) {
  for (const k of ['action', 'smoke', 'test', 'gas', 'gas_value', 'water_leak', 'battery', 'battery_low', 'tamper'])
    if (k in p) add(k, k === 'action' ? (p[k] === 'emergency' ? 1 : 0) : p[k]);
} else if (t.startsWith('hearth/')) {
  for (const k of Object.keys(p.metrics || {})) add(k, p.metrics[k]);
}
if (!rows.length) return null;
const alarm = rows.some(([m, v]) => (m === 'action' && v) || (m === 'smoke' && v) || (m === 'gas' && v) ||
  (m === 'gas_value' && v >= 20) || (m === 'sos.pressed' && v));
if (alarm) c.set('alarms', (c.get('alarms') || 0) + 1);
const now = Date.now();
msg.topic = 'INSERT INTO readings(device, metric, ts, value) VALUES ' +
  rows.map((r, i) => `($d${i},$m${i},$t${i},$v${i})`).join(',');
msg.payload = rows.flatMap(([m, v]) => [device, m, now, v]);
c.set('queued', (c.get('queued') || 0) + 1);
return msg;
)js";
  flow.push_back(json::object{{"id", "threshold"},
                              {"type", "function"},
                              {"z", "tab1"},
                              {"func", threshold},
                              {"outputs", 1},
                              {"x", 500},
                              {"y", 40},
                              {"wires", json::array{json::array{"sqlite"}}}});
  flow.push_back(json::object{{"id", "sqlite"},
                              {"type", "sqlite"},
                              {"z", "tab1"},
                              {"mydb", "db"},
                              {"sqlquery", "msg.topic"},
                              {"x", 700},
                              {"y", 40},
                              {"wires", json::array{json::array{"stored"}}}});
  flow.push_back(json::object{
      {"id", "stored"},
      {"type", "function"},
      {"z", "tab1"},
      {"func",
       "context.global.set('stored', (context.global.get('stored') || 0) + 1); return null;"},
      {"outputs", 1},
      {"x", 900},
      {"y", 40},
      {"wires", json::array{json::array{}}}});
  flow.push_back(json::object{{"id", "count_in"},
                              {"type", "http in"},
                              {"z", "tab1"},
                              {"url", "/count"},
                              {"method", "get"},
                              {"x", 100},
                              {"y", 400},
                              {"wires", json::array{json::array{"count_fn"}}}});
  flow.push_back(
      json::object{{"id", "count_fn"},
                   {"type", "function"},
                   {"z", "tab1"},
                   {"func",
                    "const c = context.global; msg.payload = {seen: c.get('seen') || 0, queued: "
                    "c.get('queued') || 0, stored: c.get('stored') || 0}; return msg;"},
                   {"outputs", 1},
                   {"x", 300},
                   {"y", 400},
                   {"wires", json::array{json::array{"count_out"}}}});
  flow.push_back(json::object{{"id", "count_out"},
                              {"type", "http response"},
                              {"z", "tab1"},
                              {"x", 500},
                              {"y", 400},
                              {"wires", json::array{}}});
  return json::serialize(flow);
}

}  // namespace

TEST_CASE("the same work in Node-RED", "[ingest][nodered]") {
  const auto nr = bench_dir() / "node-red";
  const auto red_js = nr / "node_modules/node-red/red.js";
  const auto sqlite_node = nr / "node_modules/sqlite3/build/Release/node_sqlite3.node";
  if (!std::filesystem::exists(red_js) || !std::filesystem::exists(sqlite_node)) {
    record({"nodered.qos0", "Node-RED QoS 0 (not run)", 0, "msg/s", std::nullopt, "", std::nullopt,
            "hearth >= 10x Node-RED", std::nullopt,
            "Node-RED or its sqlite3 module is not installed in build/bench/node-red (see "
            "scripts/bench output); not measured"});
    return;
  }
  test::temp_dir work;
  const auto w = make_workload(2000, 1, work.path());
  // Node-RED is far slower: the first 10,000 of the same messages keep the run short.
  const std::vector<sim::message> msgs(
      w.traffic.messages.begin(),
      w.traffic.messages.begin() +
          static_cast<std::ptrdiff_t>(std::min<std::size_t>(10'000, w.traffic.messages.size())));
  test::temp_dir dir;
  test::broker b(dir, k_broker_config);
  const auto db = dir / "nodered.db";
  {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_exec(
        h,
        "PRAGMA journal_mode=WAL; CREATE TABLE readings(device TEXT, metric TEXT, ts "
        "INTEGER, value REAL); CREATE INDEX readings_by_device_time ON readings(device, ts);",
        nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  const auto user = dir / "node-red-user";
  std::filesystem::create_directories(user);
  test::write_file(user / "flows.json", node_red_flow(b.port(), db.string()));
  const auto port = test::free_port();
  test::process red({"node", red_js.string(), "--userDir", user.string(), "--port",
                     std::to_string(port), "flows.json"},
                    dir / "node-red.log");
  auto counts = [&] {
    auto r = test::http_get(port, "/count");
    if (r.status != 200) return std::array<double, 3>{-1, -1, -1};
    auto v = boost::json::parse(r.body).as_object();
    return std::array<double, 3>{v.at("seen").to_number<double>(),
                                 v.at("queued").to_number<double>(),
                                 v.at("stored").to_number<double>()};
  };
  const bool up = test::eventually([&] { return counts()[0] >= 0; }, 60s);
  INFO(red.log());
  REQUIRE(up);
  // The mqtt-in nodes connect after the flow starts: probe until a message gets through.
  raw_publisher pub(b.port(), "bench-pub-nodered");
  const bool subscribed = test::eventually(
      [&] {
        pub.write(raw_publisher::encode(msgs[0].topic, msgs[0].payload, 0, 1));
        return counts()[0] > 0;
      },
      30s);
  REQUIRE(subscribed);
  test::eventually(
      [&] {
        auto c = counts();
        return c[2] >= c[1];
      },
      10s);
  const auto base = counts();
  const auto chunks = encoded(msgs, 0);
  const auto t0 = steady::now();
  for (const auto& c : chunks)
    pub.write(c);
  steady::time_point done{};
  std::array<double, 3> c{};
  test::eventually(
      [&] {
        c = counts();
        done = steady::now();
        return c[0] - base[0] >= static_cast<double>(msgs.size()) && c[2] >= c[1];
      },
      180s);
  const double seen = c[0] - base[0];
  const double rate = seen / std::chrono::duration<double>(done - t0).count();
  const auto note = fmt::format(
      "{} of {} messages, {} inserts in {:.1f} s; node-red {}, sqlite3 node (WAL, one INSERT per "
      "message)",
      seen, msgs.size(), c[2] - base[2], std::chrono::duration<double>(done - t0).count(),
      "from npm");
  fmt::print("  Node-RED QoS 0: {}\n", note);
  record({"nodered.qos0", "Node-RED QoS 0", rate, "msg/s", std::nullopt, "", std::nullopt, "",
          std::nullopt, note});
  if (g_hearth_qos0 > 0)
    record({"ingest.vs_nodered", "hearth / Node-RED (QoS 0)", g_hearth_qos0 / rate, "x", rate,
            "Node-RED msg/s", g_hearth_qos0 / rate, ">= 10x", g_hearth_qos0 / rate >= 10,
            "hearthd QoS 0 rate from the ingest figure of this run"});
}
