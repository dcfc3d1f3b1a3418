// SPDX-License-Identifier: Apache-2.0
#include "store/audit.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <charconv>
#include <memory>

#include "base/time.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {

std::int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}
time_point at_ms(std::int64_t v) {
  return time_point{duration{v}};
}

std::string sha256_hex(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1)
    throw store_error(SQLITE_ERROR, "SHA-256 is not available from OpenSSL");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

audit_row read_row(const statement& st) {
  audit_row r;
  r.seq = st.int64(0);
  r.entry.at = at_ms(st.int64(1));
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

}  // namespace

std::string canonical_audit_row(std::int64_t seq, const alerts::audit_entry& e) {
  // boost::json keeps insertion order, so this serialization is stable.
  json::object o;
  o["seq"] = seq;
  o["at"] = ms(e.at);
  o["actor"] = e.actor;
  o["action"] = e.action;
  o["alert_id"] = e.alert_id;
  o["subject"] = e.subject;
  o["note"] = e.note;
  o["channel"] = e.channel;
  return json::serialize(o);
}

std::string chain_hash(std::string_view prev_hash, std::int64_t seq, const alerts::audit_entry& e) {
  std::string data(prev_hash);
  data += '\n';
  data += canonical_audit_row(seq, e);
  return sha256_hex(data);
}

void append_audit(connection& c, const std::vector<alerts::audit_entry>& rows) {
  if (rows.empty()) return;
  std::int64_t seq = 0;
  std::string prev(k_genesis_hash);
  {
    auto last = c.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
      seq = last.int64(0);
      prev = last.text(1);
    }
  }
  auto ins = c.prepare(
      "INSERT INTO audit(seq, at, actor, action, alert_id, subject, note, channel, prev_hash, "
      "hash) "
      "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  for (const auto& e : rows) {
    ++seq;
    auto h = chain_hash(prev, seq, e);
    ins.bind(1, seq)
        .bind(2, ms(e.at))
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
}

std::vector<audit_row> audit_for_alert(connection& c, const std::string& alert_id) {
  std::vector<audit_row> out;
  auto st = c.prepare(std::string(k_select) + "WHERE alert_id = ?1 ORDER BY seq");
  st.bind(1, alert_id);
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

std::vector<audit_row> audit_rows(connection& c, std::int64_t after_seq, std::size_t limit) {
  std::vector<audit_row> out;
  auto st = c.prepare(std::string(k_select) + "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  while (st.step())
    out.push_back(read_row(st));
  return out;
}

audit_verdict verify_audit(connection& c) {
  audit_verdict v;
  std::string prev(k_genesis_hash);
  std::int64_t expected_seq = 1;
  auto st = c.prepare(std::string(k_select) + "ORDER BY seq");
  while (st.step()) {
    const auto r = read_row(st);
    ++v.rows;
    auto fail = [&](std::string why) {
      v.bad = r.seq;
      v.problem = std::move(why);
    };
    if (r.seq != expected_seq) {
      fail(fmt::format("row {} follows row {}: a row is missing", r.seq, expected_seq - 1));
      break;
    }
    if (r.prev_hash != prev) {
      fail("its previous-hash does not match the row before it");
      break;
    }
    if (chain_hash(prev, r.seq, r.entry) != r.hash) {
      fail("its content does not match its hash (the row was modified)");
      break;
    }
    prev = r.hash;
    ++expected_seq;
  }
  return v;
}

json::array timeline_json(const std::vector<audit_row>& rows) {
  json::array out;
  for (const auto& r : rows) {
    json::object o;
    o["at"] = format_rfc3339(r.entry.at);
    o["actor"] = r.entry.actor;
    o["action"] = r.entry.action;
    o["note"] = r.entry.note.empty() ? json::value(nullptr) : json::value(r.entry.note);
    o["channel"] = r.entry.channel;
    out.push_back(std::move(o));
  }
  return out;
}

// --- silences and away -------------------------------------------------------------------

void save_silence(connection& c, const alerts::silence& s) {
  auto st = c.prepare(
      "INSERT INTO silences(id, scope, target, created_at, until, reason, author) VALUES "
      "(?1,?2,?3,?4,?5,?6,?7)");
  st.bind(1, static_cast<std::int64_t>(std::stoll(s.id)))
      .bind(2, alerts::scope_name(s.kind))
      .bind(3, s.target)
      .bind(4, ms(s.created_at))
      .bind(5, ms(s.until))
      .bind(6, s.reason)
      .bind(7, s.author)
      .run();
}

void delete_silence(connection& c, const std::string& id, const std::string& actor, time_point at) {
  std::int64_t n = 0;
  if (std::from_chars(id.data(), id.data() + id.size(), n).ec != std::errc{}) return;
  auto st = c.prepare("UPDATE silences SET deleted_at = ?2, deleted_by = ?3 WHERE id = ?1");
  st.bind(1, n).bind(2, ms(at)).bind(3, actor).run();
}

std::vector<alerts::silence> load_silences(connection& c, time_point now) {
  std::vector<alerts::silence> out;
  auto st = c.prepare(
      "SELECT id, scope, target, created_at, until, reason, author FROM silences "
      "WHERE deleted_at IS NULL AND until > ?1 ORDER BY id");
  st.bind(1, ms(now));
  while (st.step()) {
    alerts::silence s;
    s.id = std::to_string(st.int64(0));
    const auto scope = st.text(1);
    s.kind = scope == "household_id" ? alerts::silence::scope::household
             : scope == "building"   ? alerts::silence::scope::building
                                     : alerts::silence::scope::device;
    s.target = st.text(2);
    s.created_at = at_ms(st.int64(3));
    s.until = at_ms(st.int64(4));
    s.reason = st.text(5);
    s.author = st.text(6);
    out.push_back(std::move(s));
  }
  return out;
}

std::uint64_t max_silence_id(connection& c) {
  auto st = c.prepare("SELECT COALESCE(MAX(id), 0) FROM silences");
  st.step();
  return static_cast<std::uint64_t>(st.int64(0));
}

void save_away(connection& c, const alerts::away& a) {
  auto st = c.prepare(
      "INSERT INTO aways(resident_id, since, until, reason, author) VALUES (?1,?2,?3,?4,?5) "
      "ON CONFLICT(resident_id) DO UPDATE SET since=excluded.since, until=excluded.until, "
      "reason=excluded.reason, author=excluded.author");
  st.bind(1, a.resident_id)
      .bind(2, ms(a.since))
      .bind(3, ms(a.until))
      .bind(4, a.reason)
      .bind(5, a.author)
      .run();
}

std::vector<alerts::away> load_aways(connection& c, time_point now) {
  std::vector<alerts::away> out;
  auto st = c.prepare(
      "SELECT resident_id, since, until, reason, author FROM aways WHERE until > ?1 ORDER BY "
      "resident_id");
  st.bind(1, ms(now));
  while (st.step())
    out.push_back({st.text(0), at_ms(st.int64(1)), at_ms(st.int64(2)), st.text(3), st.text(4)});
  return out;
}

std::optional<alerts::alert> load_alert(connection& c, const std::string& id) {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc{} || p != id.data() + id.size()) return std::nullopt;
  auto st = c.prepare("SELECT body FROM alerts WHERE id = ?1");
  st.bind(1, n);
  if (!st.step()) return std::nullopt;
  boost::system::error_code jec;
  auto v = json::parse(st.text(0), jec);
  if (jec || !v.is_object()) return std::nullopt;
  auto a = alerts::alert_from_json(v);
  if (!a) return std::nullopt;
  if (const auto* k = v.as_object().if_contains("key"); k && k->is_string())
    a->key = k->as_string();
  return a;
}

}  // namespace hearth::store
