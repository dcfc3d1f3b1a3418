// SPDX-License-Identifier: Apache-2.0
#include "store/audit_head.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/audit.hpp"
#include "store/sql.hpp"

namespace hearth::store {
namespace json = boost::json;

namespace {

json::object head_object(const audit_head& h) {
  // boost::json keeps insertion order, so this serialization is stable.
  json::object o;
  o["rows"] = h.rows;
  o["hash"] = h.hash.empty() ? std::string(k_genesis_hash) : h.hash;
  o["last_alert_id"] = h.last_alert_id;
  o["at"] = format_rfc3339(h.at);
  return o;
}

bool is_hex(std::string_view s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void write_all_synced(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw store_error(errc::cantopen,
                      fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok)
    throw store_error(errc::full, fmt::format("cannot write {}: {}", path, std::strerror(err)));
}

void sync_folder(const std::string& file) {
  auto dir = std::filesystem::path(file).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string canonical_head(const audit_head& h) {
  return json::serialize(head_object(h));
}

std::string head_hmac(const audit_head& h, std::string_view key) {
  const auto data = canonical_head(h);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len))
    throw store_error(errc::error, "HMAC-SHA256 is not available from OpenSSL");
  return lower_hex(mac, len);
}

audit_head signed_head(audit_head h, std::string_view key) {
  if (h.hash.empty()) h.hash = std::string(k_genesis_hash);
  h.hmac = key.empty() ? std::string() : head_hmac(h, key);
  return h;
}

std::string head_json(const audit_head& h) {
  auto o = head_object(h);
  o["hmac"] = h.hmac.empty() ? json::value(nullptr) : json::value(h.hmac);
  return json::serialize(o);
}

std::optional<audit_head> parse_head(std::string_view text, std::string& why) {
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    why = "an audit head is a JSON object {\"rows\",\"hash\",\"last_alert_id\",\"at\",\"hmac\"}";
    return std::nullopt;
  }
  const auto& o = v.as_object();
  audit_head h;
  const auto* rows = o.if_contains("rows");
  const auto* hash = o.if_contains("hash");
  const auto* last = o.if_contains("last_alert_id");
  const auto* at = o.if_contains("at");
  const auto* mac = o.if_contains("hmac");
  if (!rows || !rows->is_int64() || rows->as_int64() < 0) {
    why = "the head's \"rows\" must be a whole number";
    return std::nullopt;
  }
  if (!hash || !hash->is_string() || !is_hex(hash->as_string(), 64)) {
    why = "the head's \"hash\" must be 64 lower-case hex digits";
    return std::nullopt;
  }
  if (!last || !(last->is_int64() || last->is_uint64()) ||
      (last->is_int64() && last->as_int64() < 0)) {
    why = "the head's \"last_alert_id\" must be a whole number";
    return std::nullopt;
  }
  std::optional<time_point> when;
  if (!at || !at->is_string() || !(when = parse_rfc3339(at->as_string()))) {
    why = "the head's \"at\" must be an RFC 3339 time";
    return std::nullopt;
  }
  if (mac && !mac->is_null() && !(mac->is_string() && is_hex(mac->as_string(), 64))) {
    why = "the head's \"hmac\" must be 64 lower-case hex digits, or null";
    return std::nullopt;
  }
  h.rows = rows->as_int64();
  h.hash = std::string(hash->as_string());
  h.last_alert_id =
      last->is_uint64() ? last->as_uint64() : static_cast<std::uint64_t>(last->as_int64());
  h.at = *when;
  if (mac && mac->is_string()) h.hmac = std::string(mac->as_string());
  return h;
}

void replace_file_synced(const std::string& path, const std::string& text) {
  const auto tmp = path + ".tmp";
  write_all_synced(tmp, text);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw store_error(errc::cantopen, fmt::format("cannot replace {}: {}", path, ec.message()));
  sync_folder(path);
}

}  // namespace hearth::store
