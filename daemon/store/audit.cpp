// SPDX-License-Identifier: Apache-2.0
#include "store/audit.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <memory>

#include "base/time.hpp"
#include "store/rows.hpp"
#include "store/sql.hpp"

namespace hearth::store {
namespace json = boost::json;

std::string lower_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(hex[bytes[i] >> 4]);
    out.push_back(hex[bytes[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1)
    throw store_error(errc::error, "SHA-256 is not available from OpenSSL");
  return lower_hex(digest, len);
}

std::string canonical_audit_row(std::int64_t seq, const alerts::audit_entry& e) {
  // boost::json keeps insertion order, so this serialization is stable.
  json::object o;
  o["seq"] = seq;
  o["at"] = to_ms(e.at);
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

bool verify_audit_page(const std::vector<audit_row>& rows, std::string& prev,
                       std::int64_t& expected_seq, audit_verdict& v) {
  for (const auto& r : rows) {
    ++v.rows;
    auto fail = [&](std::string why) {
      v.bad = r.seq;
      v.problem = std::move(why);
      return false;
    };
    if (r.seq != expected_seq)
      return fail(fmt::format("row {} follows row {}: a row is missing", r.seq, expected_seq - 1));
    if (r.prev_hash != prev) return fail("its previous-hash does not match the row before it");
    if (chain_hash(prev, r.seq, r.entry) != r.hash)
      return fail("its content does not match its hash (the row was modified)");
    prev = r.hash;
    ++expected_seq;
  }
  return true;
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

}  // namespace hearth::store
