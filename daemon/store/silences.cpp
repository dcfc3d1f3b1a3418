// SPDX-License-Identifier: Apache-2.0
// Silences (maintenance windows) and "away" records: the alert book keeps them in memory,
// these tables keep them across restarts.
#include <charconv>

#include "store/store.hpp"

namespace hearth::store {

void store::save_silence(const alerts::silence& s) {
  transaction tx(*db_);
  auto st = db_->prepare(
      "INSERT INTO silences(id, scope, target, created_at, until, reason, author) VALUES "
      "(?1,?2,?3,?4,?5,?6,?7)");
  st.bind(1, static_cast<std::int64_t>(std::stoll(s.id)))
      .bind(2, alerts::scope_name(s.kind))
      .bind(3, s.target)
      .bind(4, to_ms(s.created_at))
      .bind(5, to_ms(s.until))
      .bind(6, s.reason)
      .bind(7, s.author)
      .run();
  tx.commit();
}

void store::delete_silence(const std::string& id, const std::string& actor, time_point at) {
  std::int64_t n = 0;
  if (std::from_chars(id.data(), id.data() + id.size(), n).ec != std::errc{}) return;
  transaction tx(*db_);
  auto st = db_->prepare("UPDATE silences SET deleted_at = ?2, deleted_by = ?3 WHERE id = ?1");
  st.bind(1, n).bind(2, to_ms(at)).bind(3, actor).run();
  tx.commit();
}

std::vector<alerts::silence> store::load_silences(time_point now) {
  std::vector<alerts::silence> out;
  auto st = db_->prepare(
      "SELECT id, scope, target, created_at, until, reason, author FROM silences "
      "WHERE deleted_at IS NULL AND until > ?1 ORDER BY id");
  st.bind(1, to_ms(now));
  while (st.step()) {
    alerts::silence s;
    s.id = std::to_string(st.int64(0));
    const auto scope = st.text(1);
    s.kind = scope == "household_id" ? alerts::silence::scope::household
             : scope == "building"   ? alerts::silence::scope::building
                                     : alerts::silence::scope::device;
    s.target = st.text(2);
    s.created_at = from_ms(st.int64(3));
    s.until = from_ms(st.int64(4));
    s.reason = st.text(5);
    s.author = st.text(6);
    out.push_back(std::move(s));
  }
  return out;
}

std::uint64_t store::max_silence_id() {
  auto st = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM silences");
  st.step();
  return static_cast<std::uint64_t>(st.int64(0));
}

void store::save_away(const alerts::away& a) {
  transaction tx(*db_);
  auto st = db_->prepare(
      "INSERT INTO aways(resident_id, since, until, reason, author) VALUES (?1,?2,?3,?4,?5) "
      "ON CONFLICT(resident_id) DO UPDATE SET since=excluded.since, until=excluded.until, "
      "reason=excluded.reason, author=excluded.author");
  st.bind(1, a.resident_id)
      .bind(2, to_ms(a.since))
      .bind(3, to_ms(a.until))
      .bind(4, a.reason)
      .bind(5, a.author)
      .run();
  tx.commit();
}

std::vector<alerts::away> store::load_aways(time_point now) {
  std::vector<alerts::away> out;
  auto st = db_->prepare(
      "SELECT resident_id, since, until, reason, author FROM aways WHERE until > ?1 ORDER BY "
      "resident_id");
  st.bind(1, to_ms(now));
  while (st.step())
    out.push_back({st.text(0), from_ms(st.int64(1)), from_ms(st.int64(2)), st.text(3), st.text(4)});
  return out;
}

}  // namespace hearth::store
