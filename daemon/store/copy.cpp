// SPDX-License-Identifier: Apache-2.0
#include "store/copy.hpp"

#include <fmt/format.h>

#include <set>

#include "store/pg_days.hpp"
#include "store/postgres.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace hearth::store {
namespace {

/// A table to copy: its columns and each one's kind (i integer, r real, t text, b blob).
struct table_copy {
  const char* name;
  const char* columns;  ///< as written in SQL
  const char* kinds;
  const char* source_select = nullptr;  ///< when the source's columns differ
};

// Parents before children (tokens name users). Readings are copied without SQLite's hour
// bucket; PostgreSQL partitions them by day instead.
constexpr table_copy k_tables[] = {
    {"households", "household_id, building, unit, address", "tttt"},
    {"residents",
     "resident_id, household_id, name, birth_year, lives_alone, phone, emergency_contact, "
     "emergency_phone, social_worker",
     "tttiitttt"},
    {"devices", "device_id, external_id, type, household_id, building, location", "tttttt"},
    {"buildings", "building, height_m, tilt_limit_permille", "trr"},
    {"device_keys", "key, device_id", "it"},
    {"readings", "device, ts, metric, value", "iiir",
     "SELECT device, ts, metric, value FROM readings ORDER BY bucket, device, ts, metric"},
    {"quarantine", "id, received_at, topic, reason, detail, payload", "iitttb"},
    {"unknown_devices", "external_id, last_topic, first_seen, last_seen, count", "ttiii"},
    {"alerts", "id, key, rule, priority, state, opened_at, updated_at, body", "ittitiit"},
    {"engine_state", "key, body", "tt"},
    {"audit", "seq, at, actor, action, alert_id, subject, note, channel, prev_hash, hash",
     "iitttttttt"},
    {"silences", "id, scope, target, created_at, until, reason, author, deleted_at, deleted_by",
     "ittiittit"},
    {"aways", "resident_id, since, until, reason, author", "tiitt"},
    {"users", "name, role, password_hash, created_at, disabled_at, caseload", "tttiit"},
    {"tokens", "hash, \"user\", kind, created_at, expires_at", "tttii"},
    {"user_settings", "name, locale", "tt"},
    {"transitions", "seq, at, alert_id, kind, action, body", "iitttt"},
    {"handovers", "id, from_ms, to_ms, acknowledged_by, acknowledged_at, note", "iiitit"},
};

std::int64_t copy_table(connection& from, pg_connection& to, const table_copy& t,
                        std::set<std::int64_t>& days) {
  const std::string kinds = t.kinds;
  const auto cols = static_cast<int>(kinds.size());
  const int per_statement = std::min(500, 60'000 / cols);
  auto src = from.prepare(t.source_select ? std::string(t.source_select)
                                          : fmt::format("SELECT {} FROM {}", t.columns, t.name));
  const bool readings = std::string_view(t.name) == "readings";
  std::int64_t copied = 0;
  // Rows are gathered as values, then inserted many to a statement.
  struct value {
    bool null = false;
    std::int64_t i = 0;
    double r = 0;
    std::string s;
  };
  std::vector<std::vector<value>> rows;
  auto flush = [&] {
    if (rows.empty()) return;
    if (readings)
      for (const auto& row : rows) {
        const auto day = pg_days::day_of(row[1].i);
        if (days.insert(day).second) pg_days::create_partition(to, day);
      }
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", t.name, t.columns);
    int n = 1;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      sql += r ? ",(" : "(";
      for (int c = 0; c < cols; ++c)
        sql += fmt::format("{}?{}", c ? "," : "", n++);
      sql += ')';
    }
    auto ins = to.prepare(sql);
    n = 1;
    for (const auto& row : rows)
      for (int c = 0; c < cols; ++c, ++n) {
        const auto& v = row[static_cast<std::size_t>(c)];
        if (v.null)
          ins.bind_null(n);
        else if (kinds[static_cast<std::size_t>(c)] == 'i')
          ins.bind(n, v.i);
        else if (kinds[static_cast<std::size_t>(c)] == 'r')
          ins.bind(n, v.r);
        else if (kinds[static_cast<std::size_t>(c)] == 'b')
          ins.bind_blob(n, v.s);
        else
          ins.bind(n, v.s);
      }
    ins.run();
    copied += static_cast<std::int64_t>(rows.size());
    rows.clear();
  };
  while (src.step()) {
    std::vector<value> row(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      auto& v = row[static_cast<std::size_t>(c)];
      v.null = src.is_null(c);
      if (v.null) continue;
      switch (kinds[static_cast<std::size_t>(c)]) {
        case 'i':
          v.i = src.int64(c);
          break;
        case 'r':
          v.r = src.real(c);
          break;
        default:
          v.s = src.text(c);
          break;
      }
    }
    rows.push_back(std::move(row));
    if (static_cast<int>(rows.size()) == per_statement) flush();
  }
  flush();
  return copied;
}

}  // namespace

copy_report copy_sqlite_to_postgresql(const std::string& from, const std::string& to) {
  if (is_postgresql(from) || !is_postgresql(to))
    throw store_error(errc::error, "--from is a SQLite file and --to a postgresql:// URI");
  sqlite_connection src(from);
  migrate(src);
  connection_options o;
  o.query_timeout = std::chrono::minutes(5);  // one statement may carry many rows
  o.application_name = "hearthd-migrate";
  pg_connection dst(to, o);
  migrate(dst);
  {
    auto held = dst.prepare(
        "SELECT (SELECT COUNT(*) FROM alerts) + (SELECT COUNT(*) FROM audit) + (SELECT COUNT(*) "
        "FROM households) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM device_keys)");
    held.step();
    if (held.int64(0) > 0)
      throw store_error(errc::constraint,
                        fmt::format("{} already holds data; hearthd migrate copies into an empty "
                                    "database only (nothing was changed)",
                                    dst.name()));
  }
  copy_report out;
  std::set<std::int64_t> days;
  transaction tx(dst);
  for (const auto& t : k_tables)
    out.rows.emplace_back(t.name, copy_table(src, dst, t, days));
  // Identities and the alert id sequence go on from what was copied.
  for (const auto& [table, column] :
       {std::pair{"device_keys", "key"}, std::pair{"quarantine", "id"},
        std::pair{"transitions", "seq"}, std::pair{"handovers", "id"}})
    dst.exec(fmt::format(
        "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), GREATEST((SELECT MAX({1}) FROM {0}), "
        "1), (SELECT MAX({1}) FROM {0}) IS NOT NULL)",
        table, column));
  dst.exec(
      "SELECT setval('alert_ids', GREATEST((SELECT MAX(id) FROM alerts), 1), (SELECT MAX(id) "
      "FROM alerts) IS NOT NULL)");
  tx.commit();
  store check(to);
  out.audit = check.verify_audit();
  return out;
}

}  // namespace hearth::store
