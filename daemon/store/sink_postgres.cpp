// SPDX-License-Identifier: Apache-2.0
// The writer's PostgreSQL half. A batch is a handful of round trips whatever its size: the
// readings of up to a few thousand messages go in one INSERT ... SELECT FROM unnest(arrays),
// and so do quarantine rows and unknown-device sightings. Readings are partitioned by day of
// their time (`readings_YYYYMMDD`); a day's partition is made when its first row arrives,
// and retention drops whole partitions instead of deleting rows.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "store/key_cache.hpp"
#include "store/pg_array.hpp"
#include "store/pg_days.hpp"
#include "store/postgres.hpp"
#include "store/schema.hpp"
#include "store/sink.hpp"
#include "store/writer.hpp"

namespace hearth::store {
namespace {

using pg_days::day_from_name;
using pg_days::day_of;
using pg_days::k_day_ms;

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

class pg_sink final : public sink {
 public:
  pg_sink(const std::string& uri, const writer_options& o)
      : db_(uri, o.connection), max_unknown_(static_cast<std::int64_t>(o.max_unknown_devices)) {
    migrate(db_);
  }

  bool single_writer() const override { return false; }

  written write(std::span<const queued_row> batch, const std::function<bool()>& yield) override {
    // What the batch holds, gathered first: one statement per kind of row.
    std::size_t items = 0;
    std::vector<const reading*> rows;
    std::vector<const quarantine_row*> quarantined;
    std::vector<const unknown_sighting*> sightings;
    std::vector<const engine_state_slice*> state;  // in the order pushed: the last one wins
    for (const auto& e : batch) {
      if (const auto* rs = std::get_if<std::vector<reading>>(&e.it))
        for (const auto& r : *rs)
          rows.push_back(&r);
      else if (const auto* q = std::get_if<quarantine_row>(&e.it))
        quarantined.push_back(q);
      else if (const auto* u = std::get_if<unknown_sighting>(&e.it))
        sightings.push_back(u);
      else if (const auto* st = std::get_if<engine_state_slice>(&e.it))
        state.push_back(st);
      ++items;
      if (yield()) break;
    }
    std::vector<std::string> fresh_keys;
    std::vector<std::int64_t> fresh_days;
    try {
      transaction tx(db_);
      keys_for(rows, fresh_keys);
      const auto stored = insert_readings(rows, fresh_days);
      insert_quarantine(quarantined);
      upsert_unknown(sightings);
      for (const auto* st : state)  // sent ahead in the transaction's pipeline, not waited for
        write_engine_state(db_, st->rows);
      const auto forgotten = sightings.empty() ? 0 : trim_unknown();
      tx.commit();
      return {items, stored, forgotten};
    } catch (const store_error&) {
      // Keys and partitions made inside the failed transaction were rolled back too.
      for (const auto& id : fresh_keys)
        keys_.erase(id);
      for (auto d : fresh_days)
        days_.erase(d);
      throw;
    }
  }

  pruned prune(time_point cutoff, std::size_t batch) override {
    pruned out;
    const auto c = to_ms(cutoff);
    // Whole days that end at or before the cutoff. A day's partition is dropped only once
    // all of it is older than the retention, so a reading lives up to a day longer than
    // the retention here (SQLite deletes row by row).
    auto parts = db_.prepare(
        "SELECT c.relname, c.reltuples FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname");
    std::vector<std::pair<std::string, double>> old;
    while (parts.step()) {
      const auto name = parts.text(0);
      const auto day = day_from_name(name);
      if (day && (*day + 1) * k_day_ms <= c) old.emplace_back(name, parts.real(1));
    }
    for (const auto& [name, estimate] : old) {
      transaction tx(db_);
      std::int64_t n = static_cast<std::int64_t>(estimate);
      if (estimate < 1e6) {  // count exactly unless that would scan a city's day
        auto count = db_.prepare(fmt::format("SELECT COUNT(*) FROM \"{}\"", name));
        count.step();
        n = count.int64(0);
      }
      db_.exec(fmt::format("DROP TABLE \"{}\"", name));
      tx.commit();
      if (auto d = day_from_name(name)) days_.erase(*d);
      out.readings += n;
    }
    transaction tx(db_);
    db_.prepare(
           "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < "
           "?1 ORDER BY received_at LIMIT ?2)")
        .bind(1, c)
        .bind(2, static_cast<std::int64_t>(batch))
        .run();
    out.quarantine = db_.changes();
    db_.prepare(
           "DELETE FROM unknown_devices WHERE external_id IN (SELECT external_id FROM "
           "unknown_devices WHERE last_seen < ?1 LIMIT ?2)")
        .bind(1, c)
        .bind(2, static_cast<std::int64_t>(batch))
        .run();
    out.unknown_devices = db_.changes();
    tx.commit();
    return out;
  }

 private:
  /// Device keys for every device of `rows`, made in one statement for the unknown ones.
  void keys_for(const std::vector<const reading*>& rows, std::vector<std::string>& fresh) {
    std::set<std::string_view> missing;
    for (const auto* r : rows)
      if (!keys_.find(r->device_id)) missing.insert(r->device_id);
    if (missing.empty()) return;
    text_array ids;
    for (auto id : missing)
      ids.add(id);
    const auto list = ids.done();
    db_.prepare(
           "INSERT INTO device_keys (device_id) SELECT unnest(?1::text[]) ON CONFLICT DO "
           "NOTHING")
        .bind(1, list)
        .run();
    auto sel = db_.prepare("SELECT key, device_id FROM device_keys WHERE device_id = ANY(?1)");
    sel.bind(1, list);
    while (sel.step()) {
      auto id = sel.text(1);
      keys_.put(id, sel.int64(0));
      fresh.push_back(std::move(id));
    }
  }

  std::size_t insert_readings(const std::vector<const reading*>& rows,
                              std::vector<std::int64_t>& fresh_days) {
    if (rows.empty()) return 0;
    // One row per (device, ts, metric), the last one winning, as SQLite's INSERT OR REPLACE:
    // an upsert may not touch the same row twice in one statement.
    std::map<std::tuple<std::int64_t, std::int64_t, int>, double> unique;
    for (const auto* r : rows) {
      const auto key = keys_.find(r->device_id);
      if (!key) continue;  // not in device_keys: cannot happen after keys_for
      unique[{*key, to_ms(r->ts), static_cast<int>(r->metric)}] = r->value;
    }
    number_array device, ts, metric, value;
    for (const auto& [k, v] : unique) {
      // A day seen for the first time gets its partition before the INSERT below.
      const auto day = day_of(std::get<1>(k));
      if (days_.insert(day).second) {
        fresh_days.push_back(day);
        pg_days::create_partition(db_, day);
      }
      device.add(std::get<0>(k));
      ts.add(std::get<1>(k));
      metric.add(static_cast<std::int64_t>(std::get<2>(k)));
      value.add(v);
    }
    db_.prepare(
           "INSERT INTO readings (device, ts, metric, value) SELECT * FROM unnest(?1::bigint[], "
           "?2::bigint[], ?3::int[], ?4::float8[]) ON CONFLICT (device, ts, metric) DO UPDATE "
           "SET value = excluded.value")
        .bind(1, device.done())
        .bind(2, ts.done())
        .bind(3, metric.done())
        .bind(4, value.done())
        .run();
    return rows.size();
  }

  void insert_quarantine(const std::vector<const quarantine_row*>& qs) {
    if (qs.empty()) return;
    number_array at;
    text_array topic, reason, detail, payload;
    for (const auto* q : qs) {
      at.add(to_ms(q->received_at));
      topic.add(q->topic);
      reason.add(q->reason);
      detail.add(q->detail);
      payload.add(hex(q->payload));
    }
    db_.prepare(
           "INSERT INTO quarantine (received_at, topic, reason, detail, payload) SELECT a, b, c, "
           "d, decode(e, 'hex') FROM unnest(?1::bigint[], ?2::text[], ?3::text[], ?4::text[], "
           "?5::text[]) AS u(a, b, c, d, e)")
        .bind(1, at.done())
        .bind(2, topic.done())
        .bind(3, reason.done())
        .bind(4, detail.done())
        .bind(5, payload.done())
        .run();
  }

  void upsert_unknown(const std::vector<const unknown_sighting*>& us) {
    if (us.empty()) return;
    struct seen {
      std::string_view topic;
      std::int64_t first, last, count = 0;
    };
    std::map<std::string_view, seen> by_id;  // one row per device per statement
    for (const auto* u : us) {
      const auto t = to_ms(u->at);
      auto [it, fresh] = by_id.try_emplace(u->external_id, seen{u->topic, t, t});
      auto& s = it->second;
      s.topic = u->topic;  // the latest sighting's topic, as SQLite keeps it
      s.first = std::min(s.first, t);
      s.last = std::max(s.last, t);
      ++s.count;
    }
    text_array id, topic;
    number_array first, last, count;
    for (const auto& [k, s] : by_id) {
      id.add(k);
      topic.add(s.topic);
      first.add(s.first);
      last.add(s.last);
      count.add(s.count);
    }
    db_.prepare(
           "INSERT INTO unknown_devices (external_id, last_topic, first_seen, last_seen, count) "
           "SELECT * FROM unnest(?1::text[], ?2::text[], ?3::bigint[], ?4::bigint[], "
           "?5::bigint[]) ON CONFLICT (external_id) DO UPDATE SET last_topic = "
           "excluded.last_topic, last_seen = GREATEST(unknown_devices.last_seen, "
           "excluded.last_seen), count = unknown_devices.count + excluded.count")
        .bind(1, id.done())
        .bind(2, topic.done())
        .bind(3, first.done())
        .bind(4, last.done())
        .bind(5, count.done())
        .run();
  }

  /// Bounded (writer_options::max_unknown_devices): the devices seen longest ago are
  /// forgotten first. A count of a few thousand rows is cheap next to the batch's upsert,
  /// and stays right whichever node wrote the rows before.
  std::size_t trim_unknown() {
    auto n = db_.prepare("SELECT COUNT(*) FROM unknown_devices");
    n.step();
    const auto over = n.int64(0) - max_unknown_;
    if (over <= 0) return 0;
    db_.prepare(
           "DELETE FROM unknown_devices WHERE external_id IN (SELECT external_id FROM "
           "unknown_devices ORDER BY last_seen, external_id LIMIT ?1)")
        .bind(1, over)
        .run();
    return static_cast<std::size_t>(db_.changes());
  }

  pg_connection db_;
  std::int64_t max_unknown_;
  key_cache keys_;
  std::set<std::int64_t> days_;  ///< partitions known to exist
};

}  // namespace

std::unique_ptr<sink> make_pg_sink(const std::string& uri, const writer_options& o) {
  return std::make_unique<pg_sink>(uri, o);
}

}  // namespace hearth::store
