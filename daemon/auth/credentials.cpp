// SPDX-License-Identifier: Apache-2.0
#include "auth/credentials.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace hearth::auth {
namespace {

constexpr std::size_t k_salt_bytes = 16;
constexpr std::size_t k_hash_bytes = 32;
constexpr std::string_view k_scheme = "pbkdf2-sha256";

std::string b64(const unsigned char* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::vector<unsigned char> unb64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return {};
  std::vector<unsigned char> out(3 * s.size() / 4);
  const int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()),
                                  static_cast<int>(s.size()));
  if (len < 0) return {};
  std::size_t n = static_cast<std::size_t>(len);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = s.size(); i > 0 && s[i - 1] == '='; --i)
    --n;
  out.resize(n);
  return out;
}

void random_bytes(unsigned char* p, std::size_t n) {
  // Without randomness there is no safe credential to hand out: this is a startup-class
  // failure, so it throws and the caller (CLI or login) reports it.
  if (RAND_bytes(p, static_cast<int>(n)) != 1)
    throw std::runtime_error("the system random source failed");
}

std::vector<unsigned char> pbkdf2(std::string_view password, const unsigned char* salt,
                                  std::size_t salt_len, int iterations) {
  std::vector<unsigned char> out(k_hash_bytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                        static_cast<int>(salt_len), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto p = s.find(sep);
    parts.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return parts;
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  unsigned char salt[k_salt_bytes];
  random_bytes(salt, sizeof salt);
  const auto h = pbkdf2(password, salt, sizeof salt, iterations);
  return fmt::format("{}${}${}${}", k_scheme, iterations, b64(salt, sizeof salt),
                     b64(h.data(), h.size()));
}

bool verify_password(std::string_view password, std::string_view stored) {
  const auto parts = split(stored, '$');
  if (parts.size() != 4 || parts[0] != k_scheme) return false;
  int iterations = 0;
  const auto [p, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc{} || p != parts[1].data() + parts[1].size() || iterations < 1 ||
      iterations > 10'000'000)
    return false;
  const auto salt = unb64(parts[2]);
  const auto want = unb64(parts[3]);
  if (salt.empty() || want.size() != k_hash_bytes) return false;
  const auto got = pbkdf2(password, salt.data(), salt.size(), iterations);
  return CRYPTO_memcmp(got.data(), want.data(), k_hash_bytes) == 0;
}

std::string new_token() {
  unsigned char raw[32];
  random_bytes(raw, sizeof raw);
  std::string t = b64(raw, sizeof raw);
  for (auto& c : t)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!t.empty() && t.back() == '=')
    t.pop_back();
  return t;
}

std::string token_hash(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i)
    hex += fmt::format("{:02x}", md[i]);
  return hex;
}

}  // namespace hearth::auth
