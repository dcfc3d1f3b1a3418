// SPDX-License-Identifier: Apache-2.0
// Rule-engine state: one JSON document per key ("d|device", "i|rule|device", "a|resident"),
// written by the store writer each second (a slice at a time), or by the store itself.
#include <map>
#include <string_view>

#include "store/pg_array.hpp"
#include "store/sink.hpp"
#include "store/store.hpp"

namespace hearth::store {

void write_engine_state(connection& db, std::span<const engine::state_row> rows) {
  if (db.dialect() == dialect::postgresql) {
    // One statement each for the upserts and the deletes: a row at a time is a round trip
    // each. The last row of a key wins, as in the loop below.
    std::map<std::string_view, std::string_view> last;
    for (const auto& r : rows)
      last[r.key] = r.json;
    text_array keys, bodies, gone;
    for (const auto& [k, json] : last) {
      if (json.empty()) {
        gone.add(k);
      } else {
        keys.add(k);
        bodies.add(json);
      }
    }
    if (!gone.empty())
      db.prepare("DELETE FROM engine_state WHERE key = ANY(?1::text[])").bind(1, gone.done()).run();
    if (!keys.empty())
      db.prepare(
            "INSERT INTO engine_state (key, body) SELECT * FROM unnest(?1::text[], ?2::text[]) "
            "ON CONFLICT (key) DO UPDATE SET body = excluded.body")
          .bind(1, keys.done())
          .bind(2, bodies.done())
          .run();
    return;
  }
  auto up = db.prepare(
      "INSERT INTO engine_state VALUES (?1,?2) ON CONFLICT(key) DO UPDATE SET body=excluded.body");
  auto del = db.prepare("DELETE FROM engine_state WHERE key=?1");
  for (const auto& r : rows) {
    if (r.json.empty())
      del.bind(1, r.key).run();
    else
      up.bind(1, r.key).bind(2, r.json).run();
  }
}

void store::save_engine_state(const std::vector<engine::state_row>& rows) {
  transaction tx(*db_);
  commit_lazily();  // saved again each second; a second of it may be lost anyway
  write_engine_state(*db_, rows);
  tx.commit();
}

std::vector<engine::state_row> store::load_engine_state() {
  std::vector<engine::state_row> out;
  auto st = db_->prepare("SELECT key, body FROM engine_state ORDER BY key");
  while (st.step())
    out.push_back({st.text(0), st.text(1)});
  return out;
}

}  // namespace hearth::store
