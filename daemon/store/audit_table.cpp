// SPDX-License-Identifier: Apache-2.0
// The audit table: appends chained to the last row, reads, and the walk that verifies it.
#include "store/audit.hpp"
#include "store/store.hpp"

namespace hearth::store {
namespace {

audit_row read_row(const statement& st) {
  audit_row r;
  r.seq = st.int64(0);
  r.entry.at = from_ms(st.int64(1));
  r.entry.actor = st.text(2);
  r.entry.action = st.text(3);
  r.entry.alert_id = st.text(4);
  r.entry.subject = st.text(5);
  r.entry.note = st.text(6);
  r.entry.channel = st.text(7);
  r.prev_hash = st.text(8);
  r.hash = st.text(9);
  return r;
}

constexpr const char* k_select =
    "SELECT seq, at, actor, action, alert_id, subject, note, channel, prev_hash, hash FROM audit ";

/// Rows read per query by verify_audit.
constexpr std::size_t k_verify_page = 10'000;

/// PostgreSQL: appends from several connections (the daemon, a CLI command) take turns, so
/// that two never read the same last row and both chain to it. SQLite's BEGIN IMMEDIATE
/// already makes writers take turns.
constexpr std::int64_t k_audit_lock = 0x6865617274;  // "heart"

}  // namespace

void store::append_audit(const std::vector<alerts::audit_entry>& rows) {
  if (rows.empty()) return;
  refuse_if_files_lost();
  transaction tx(*db_);
  if (db_->dialect() == dialect::postgresql)
    db_->prepare("SELECT pg_advisory_xact_lock(?1)").bind(1, k_audit_lock).run();
  std::int64_t seq = 0;
  std::string prev(k_genesis_hash);
  {
    auto last = db_->prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
      seq = last.int64(0);
      prev = last.text(1);
    }
  }
  auto ins = db_->prepare(
      "INSERT INTO audit(seq, at, actor, action, alert_id, subject, note, channel, prev_hash, "
      "hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  for (const auto& e : rows) {
    ++seq;
    auto h = chain_hash(prev, seq, e);
    ins.bind(1, seq)
        .bind(2, to_ms(e.at))
        .bind(3, e.actor)
        .bind(4, e.action)
        .bind(5, e.alert_id)
        .bind(6, e.subject)
        .bind(7, e.note)
        .bind(8, e.channel)
        .bind(9, prev)
        .bind(10, h)
        .run();
    prev = std::move(h);
  }
  tx.commit();
}

std::vector<audit_row> store::audit_for_alert(const std::string& alert_id) {
  std::vector<audit_row> out;
  auto st = db_->prepare(std::string(k_select) + "WHERE alert_id = ?1 ORDER BY seq");
  st.bind(1, alert_id);
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

std::vector<audit_row> store::audit_rows(std::int64_t after_seq, std::size_t limit) {
  std::vector<audit_row> out;
  auto st = db_->prepare(std::string(k_select) + "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

audit_verdict store::verify_audit() {
  audit_verdict v;
  std::string prev(k_genesis_hash);
  std::int64_t expected_seq = 1, after = 0;
  while (true) {
    const auto page = audit_rows(after, k_verify_page);
    if (!verify_audit_page(page, prev, expected_seq, v) || page.size() < k_verify_page) break;
    after = page.back().seq;
  }
  return v;
}

}  // namespace hearth::store
