// SPDX-License-Identifier: Apache-2.0
// Queries of what the writer stores: readings, quarantine, unknown devices.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "store/schema.hpp"
#include "store/store.hpp"

namespace hearth::store {

namespace {

/// SQLite: the rows of one device, hour by hour (the key is (bucket, device, ts, metric)).
constexpr const char* k_device_buckets =
    "WITH RECURSIVE b(x) AS (SELECT (SELECT MIN(bucket) FROM readings) UNION ALL SELECT x + 1 "
    "FROM b WHERE x < (SELECT MAX(bucket) FROM readings)) ";

/// `query` over the CTE `b` of one device's hours. (fmt rather than std::string's +, which
/// GCC 12 wrongly reports as -Warray-bounds at -O2.)
std::string over_device_buckets(std::string_view query) {
  return fmt::format("{}{}", k_device_buckets, query);
}

std::optional<std::int64_t> key_of(connection& c, const std::string& device_id) {
  auto st = c.prepare("SELECT key FROM device_keys WHERE device_id = ?1");
  st.bind(1, device_id);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

const metric_info* metric_at(std::int64_t m) {
  return m >= 0 && static_cast<std::size_t>(m) < k_metrics.size()
             ? &k_metrics[static_cast<std::size_t>(m)]
             : nullptr;
}

/// The rows of a (metric, value, ts) query, appended to `out`; a metric this build does not
/// know is skipped.
void read_readings(statement& st, std::vector<stored_reading>& out) {
  while (st.step())
    if (const auto* m = metric_at(st.int64(0)))
      out.push_back({m->id, st.real(1), from_ms(st.int64(2))});
}

}  // namespace

std::vector<unknown_device> store::unknown_devices(std::int64_t after_ms,
                                                   const std::string& after_id, std::size_t limit) {
  std::vector<unknown_device> out;
  auto st = db_->prepare(
      "SELECT external_id, last_topic, first_seen, last_seen, count FROM unknown_devices WHERE "
      "?1 = 0 OR last_seen < ?1 OR (last_seen = ?1 AND external_id > ?2) ORDER BY last_seen DESC, "
      "external_id LIMIT ?3");
  st.bind(1, after_ms).bind(2, after_id).bind(3, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back(
        {st.text(0), st.text(1), from_ms(st.int64(2)), from_ms(st.int64(3)), st.int64(4)});
  return out;
}

std::vector<quarantine_row> store::quarantine(std::size_t limit) {
  std::vector<quarantine_row> out;
  auto st = db_->prepare(
      "SELECT received_at, topic, reason, detail, payload FROM quarantine ORDER BY id DESC LIMIT "
      "?1");
  st.bind(1, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back({from_ms(st.int64(0)), st.text(1), st.text(2), st.text(3), st.text(4)});
  return out;
}

std::vector<stored_reading> store::readings(const std::string& device_id, time_point since,
                                            time_point until, std::size_t limit) {
  std::vector<stored_reading> out;
  if (until <= since || limit == 0) return out;
  const auto key = key_of(*db_, device_id);
  if (!key) return out;
  const auto device = *key;
  if (db_->dialect() == dialect::postgresql) {
    // The primary key (device, ts, metric) in each day's partition; partitions outside the
    // range are pruned by the planner.
    auto st = db_->prepare(
        "SELECT metric, value, ts FROM readings WHERE device = ?1 AND ts >= ?2 AND ts < ?3 "
        "ORDER BY ts, metric LIMIT ?4");
    st.bind(1, device).bind(2, to_ms(since)).bind(3, to_ms(until));
    st.bind(4, static_cast<std::int64_t>(limit));
    read_readings(st, out);
    return out;
  }
  // Clamp the hour range to what the table holds (MIN/MAX of the key's first column are one
  // seek each), then seek once per hour: (bucket, device) is the key's prefix.
  // Two statements: SQLite answers a lone MIN() or MAX() with one seek, both together
  // with a scan.
  auto first = db_->prepare("SELECT MIN(bucket) FROM readings");
  auto last = db_->prepare("SELECT MAX(bucket) FROM readings");
  if (!first.step() || first.is_null(0) || !last.step()) return out;
  const auto lo = std::max(bucket_of(to_ms(since)), first.int64(0));
  const auto hi = std::min(bucket_of(to_ms(until) - 1), last.int64(0));
  if (lo > hi) return out;
  auto st = db_->prepare(
      "WITH RECURSIVE b(x) AS (SELECT ?1 UNION ALL SELECT x + 1 FROM b WHERE x < ?2) "
      "SELECT r.metric, r.value, r.ts FROM b CROSS JOIN readings r "
      "ON r.bucket = b.x AND r.device = ?3 AND r.ts >= ?4 AND r.ts < ?5 "
      "ORDER BY b.x, r.ts, r.metric LIMIT ?6");
  st.bind(1, lo).bind(2, hi).bind(3, device).bind(4, to_ms(since)).bind(5, to_ms(until));
  st.bind(6, static_cast<std::int64_t>(limit));
  read_readings(st, out);
  return out;
}

std::vector<stored_reading> store::all_readings(const std::string& device_id) {
  std::vector<stored_reading> out;
  const auto key = key_of(*db_, device_id);
  if (!key) return out;
  auto st = db_->prepare(
      db_->dialect() == dialect::sqlite
          ? over_device_buckets("SELECT r.metric, r.value, r.ts FROM b CROSS JOIN readings r ON "
                                "r.bucket = b.x AND r.device = ?1 ORDER BY b.x, r.ts, r.metric")
          : "SELECT metric, value, ts FROM readings WHERE device = ?1 ORDER BY ts, metric");
  st.bind(1, *key);
  read_readings(st, out);
  return out;
}

std::vector<reading_summary> store::readings_summary(const std::string& device_id) {
  std::vector<reading_summary> out;
  const auto key = key_of(*db_, device_id);
  if (!key) return out;
  auto st = db_->prepare(
      db_->dialect() == dialect::sqlite
          ? over_device_buckets("SELECT r.metric, COUNT(*), MIN(r.ts), MAX(r.ts), MIN(r.value), "
                                "MAX(r.value) FROM b CROSS JOIN readings r ON r.bucket = b.x AND "
                                "r.device = ?1 GROUP BY r.metric ORDER BY r.metric")
          : "SELECT metric, COUNT(*), MIN(ts), MAX(ts), MIN(value), MAX(value) FROM readings "
            "WHERE device = ?1 GROUP BY metric ORDER BY metric");
  st.bind(1, *key);
  while (st.step())
    if (const auto* m = metric_at(st.int64(0)))
      out.push_back(
          {m->id, st.int64(1), from_ms(st.int64(2)), from_ms(st.int64(3)), st.real(4), st.real(5)});
  return out;
}

std::int64_t store::erase_readings(const std::string& device_id) {
  const auto key = key_of(*db_, device_id);
  if (!key) return 0;
  transaction tx(*db_);
  auto st = db_->prepare(
      db_->dialect() == dialect::sqlite
          ? over_device_buckets("DELETE FROM readings WHERE (bucket, device, ts, metric) IN "
                                "(SELECT r.bucket, r.device, r.ts, r.metric FROM b CROSS JOIN "
                                "readings r ON r.bucket = b.x AND r.device = ?1)")
          : "DELETE FROM readings WHERE device = ?1");
  st.bind(1, *key).run();
  const auto n = db_->changes();
  tx.commit();
  return n;
}

std::int64_t store::count_readings() {
  auto st = db_->prepare("SELECT COUNT(*) FROM readings");
  st.step();
  return st.int64(0);
}

bool store::has_reading_at(std::string_view device_id, time_point ts) {
  auto st = db_->prepare(
      "SELECT 1 FROM readings r JOIN device_keys k ON k.key = r.device WHERE k.device_id = ?1 "
      "AND r.ts = ?2 LIMIT 1");
  st.bind(1, device_id).bind(2, to_ms(ts));
  return st.step();
}

}  // namespace hearth::store
