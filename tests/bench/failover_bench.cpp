// SPDX-License-Identifier: Apache-2.0
// Failover figures (issue 17): two hearthd nodes on one PostgreSQL database and one
// mosquitto with persistence; ten alternating kill -9s of the active node while numbered
// QoS 1 readings flow at 100 msg/s. Per kill: the time to the new active node, the time
// until an SOS pressed right after the kill is in the new node's API, the readings lost,
// and the duplicate notifications (the same SOS published as open more than once).
#include <fmt/format.h>
#include <mqtt/async_client.h>

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "base/time.hpp"
#include "bench.hpp"
#include "support/ha_pair.hpp"
#include "support/postgres.hpp"

using namespace hearth;
using namespace hearth::bench;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr int k_kills = 10;
constexpr double k_rate = 100;
const std::string k_stream_topic = "hearth/v1/devices/button-demo-1/up";

/// Counts the alert messages (hearth/alerts/+) that say an alert about a device is open.
class alert_listener : public virtual mqtt::callback {
 public:
  explicit alert_listener(const std::string& uri)
      : client_(uri, fmt::format("bench-alerts-{}", ::getpid()),
                mqtt::create_options(MQTTVERSION_3_1_1)) {
    client_.set_callback(*this);
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client_.subscribe("hearth/alerts/+", 1)->wait();
  }
  ~alert_listener() override {
    try {
      client_.disconnect()->wait_for(2s);
    } catch (const mqtt::exception&) {
    }
  }
  int opened_about(const std::string& device) {
    std::lock_guard lock(mutex_);
    return opened_[device];
  }

 private:
  void message_arrived(mqtt::const_message_ptr m) override {
    boost::system::error_code ec;
    const auto v = json::parse(m->to_string(), ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.as_object();
    if (!o.contains("state") || o.at("state") != "open") return;
    const auto* subject = o.if_contains("subject");
    if (!subject || !subject->is_object() || !subject->as_object().contains("device_id")) return;
    std::lock_guard lock(mutex_);
    ++opened_[std::string(subject->at("device_id").as_string())];
  }
  mqtt::async_client client_;
  std::mutex mutex_;
  std::map<std::string, int> opened_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double maximum(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

TEST_CASE("failover: ten alternating kill -9s of the active node", "[failover]") {
  test::pg_cluster pg(true);  // PostgreSQL's defaults (fsync on)
  test::ha_pair p(pg.fresh_database());
  alert_listener listener(p.mosquitto.uri());
  const auto base =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 48h;
  test::paced_publisher stream(
      p.mosquitto.uri(), k_rate, [](long) { return k_stream_topic; },
      [&](long n) {
        return fmt::format(R"({{"ts":"{}","metrics":{{"water.total_l":{}}}}})",
                           format_rfc3339(time_point(base + std::chrono::seconds(n))), n);
      },
      1'000'000);

  std::vector<double> to_active, to_alert, duplicates;
  std::vector<long> killed_at, resumed_at;
  test::daemon_process* active = p.a.get();
  for (int kill = 1; kill <= k_kills; ++kill) {
    test::daemon_process* standby = active == p.a.get() ? p.b.get() : p.a.get();
    const long before = stream.sent() + 100;  // about a second of readings on this node
    REQUIRE(test::eventually([&] { return stream.sent() >= before; }, 10s));
    const auto t0 = steady::now();
    active->kill9();
    killed_at.push_back(stream.sent());
    // Pressed while no node is active: the broker queues it for the shared session.
    const auto device = "sos-" + std::to_string(kill);
    test::publish(p.mosquitto.uri(), test::sos_topic(kill), R"({"action":"emergency"})");
    REQUIRE(test::eventually([&] { return standby->role() == "active"; }, 15s));
    const auto t_active = steady::now();
    REQUIRE(test::eventually(
        [&] { return test::alert_about(standby->http_port(), device).has_value(); }, 15s));
    const auto t_alert = steady::now();
    resumed_at.push_back(stream.sent());
    to_active.push_back(std::chrono::duration<double>(t_active - t0).count());
    to_alert.push_back(std::chrono::duration<double>(t_alert - t0).count());
    active->start();
    REQUIRE(test::eventually([&] { return active->role() == "standby"; }, 20s));
    duplicates.push_back(std::max(0, listener.opened_about(device) - 1));
    fmt::print("  kill {}: active after {:.2f} s, SOS in its API after {:.2f} s\n", kill,
               to_active.back(), to_alert.back());
    active = standby;
  }
  const long sent = stream.stop();
  std::vector<std::int64_t> rows;
  test::eventually(
      [&] {
        rows = test::pg_query_ints(p.db,
                                   "SELECT r.value::bigint FROM readings r JOIN device_keys k ON "
                                   "k.key = r.device WHERE k.device_id = 'button-demo-1'");
        return static_cast<long>(rows.size()) >= sent;
      },
      20s);
  const std::set<std::int64_t> stored(rows.begin(), rows.end());
  std::vector<double> lost(killed_at.size(), 0);
  double lost_total = 0;
  for (long n = 0; n < sent; ++n) {
    if (stored.contains(n)) continue;
    ++lost_total;
    for (std::size_t k = 0; k < resumed_at.size(); ++k)
      if (n < resumed_at[k]) {
        ++lost[k];
        break;
      }
  }
  const auto dup_total = std::accumulate(duplicates.begin(), duplicates.end(), 0.0);
  const auto note = fmt::format(
      "{} kills, lease 3 s, {} numbered QoS 1 readings at {:.0f} msg/s: {} lost, {} stored "
      "twice; duplicate SOS notifications {}",
      k_kills, sent, k_rate, lost_total, rows.size() - stored.size(), dup_total);
  fmt::print("  failover: {}\n", note);
  record({"failover.active.median", "failover: to the new active node, median", median(to_active),
          "s", std::nullopt, "", std::nullopt, "<= 5 s", median(to_active) <= 5, note});
  record({"failover.active.max", "failover: to the new active node, max", maximum(to_active), "s",
          std::nullopt, "", std::nullopt, "<= 5 s", maximum(to_active) <= 5, ""});
  record({"failover.alert.median", "failover: to the first new alert, median", median(to_alert),
          "s", std::nullopt, "", std::nullopt, "<= 5 s", median(to_alert) <= 5, ""});
  record({"failover.alert.max", "failover: to the first new alert, max", maximum(to_alert), "s",
          std::nullopt, "", std::nullopt, "<= 5 s", maximum(to_alert) <= 5, ""});
  record({"failover.lost.median", "failover: readings lost per kill, median", median(lost), "",
          std::nullopt, "", std::nullopt, "0", median(lost) == 0, ""});
  record({"failover.lost.max", "failover: readings lost per kill, max", maximum(lost), "",
          std::nullopt, "", std::nullopt, "0", maximum(lost) == 0, ""});
  record({"failover.duplicates.median", "failover: duplicate notifications per kill, median",
          median(duplicates), "", std::nullopt, "", std::nullopt, "0", median(duplicates) == 0,
          ""});
  record({"failover.duplicates.max", "failover: duplicate notifications per kill, max",
          maximum(duplicates), "", std::nullopt, "", std::nullopt, "0", maximum(duplicates) == 0,
          ""});
  CHECK(p.a->audit_verify() == 0);
}
