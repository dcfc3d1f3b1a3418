// SPDX-License-Identifier: Apache-2.0
// Rule-engine state: one JSON document per key ("d|device", "i|rule|device", "a|resident").
#include "store/store.hpp"

namespace hearth::store {

void store::save_engine_state(const std::vector<engine::state_row>& rows) {
  transaction tx(*db_);
  auto up = db_->prepare(
      "INSERT INTO engine_state VALUES (?1,?2) ON CONFLICT(key) DO UPDATE SET body=excluded.body");
  auto del = db_->prepare("DELETE FROM engine_state WHERE key=?1");
  for (const auto& r : rows) {
    if (r.json.empty())
      del.bind(1, r.key).run();
    else
      up.bind(1, r.key).bind(2, r.json).run();
  }
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
