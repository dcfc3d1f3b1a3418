// SPDX-License-Identifier: Apache-2.0
#include "api/forwarded.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>

#include "base/text.hpp"

namespace hearth::api {

namespace {

/// The address as 16 bytes (IPv4 in the first 4) and whether it is IPv4; false when `text`
/// is not an address. "::ffff:a.b.c.d" is IPv4.
bool parse_address(std::string_view text, std::array<std::uint8_t, 16>& out, bool& v4) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  out = {};
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    v4 = true;
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    v4 = false;
  }
  return true;
}

/// The comma-separated items of a header value, right-most first.
std::vector<std::string_view> items_from_right(std::string_view v) {
  std::vector<std::string_view> out;
  while (!v.empty()) {
    const auto comma = v.rfind(',');
    out.push_back(trim_blanks(comma == std::string_view::npos ? v : v.substr(comma + 1)));
    if (comma == std::string_view::npos) break;
    v = v.substr(0, comma);
  }
  return out;
}

}  // namespace

result<address_set> address_set::parse(const std::vector<std::string>& items) {
  address_set s;
  for (const auto& item : items) {
    block b;
    std::string_view text = item;
    const auto slash = text.find('/');
    const auto addr = text.substr(0, slash);
    if (!parse_address(addr, b.bytes, b.v4))
      return make_error("bad-address",
                        fmt::format("'{}' is not an IP address or CIDR block", item));
    const int width = b.v4 ? 32 : 128;
    b.prefix = width;
    if (slash != std::string_view::npos) {
      const auto bits = text.substr(slash + 1);
      int n = -1;
      auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
      if (ec != std::errc{} || p != bits.data() + bits.size() || n < 0 || n > width)
        return make_error("bad-address",
                          fmt::format("'{}': the prefix length must be 0 to {}", item, width));
      b.prefix = n;
    }
    s.blocks_.push_back(b);
  }
  return s;
}

bool address_set::contains(std::string_view address) const {
  std::array<std::uint8_t, 16> a{};
  bool v4 = false;
  if (blocks_.empty() || !parse_address(address, a, v4)) return false;
  for (const auto& b : blocks_) {
    if (b.v4 != v4) continue;
    int bits = b.prefix;
    bool match = true;
    for (std::size_t i = 0; bits > 0 && match; ++i, bits -= 8) {
      const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
      match = (a[i] & mask) == (b.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const address_set& trusted) {
  if (forwarded_for.empty() || !trusted.contains(peer)) return std::string(peer);
  std::string last_trusted;
  for (auto item : items_from_right(forwarded_for)) {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;
    // nginx writes bare addresses; anything else (a port, "unknown", garbage) ends the walk:
    // what lies left of it cannot be told apart from what a client made up.
    if (!parse_address(item, bytes, v4)) break;
    if (!trusted.contains(item)) return std::string(item);
    last_trusted = std::string(item);
  }
  return last_trusted.empty() ? std::string(peer) : last_trusted;
}

bool forwarded_https(std::string_view peer, std::string_view forwarded_proto,
                     const address_set& trusted) {
  if (forwarded_proto.empty() || !trusted.contains(peer)) return false;
  const auto items = items_from_right(forwarded_proto);
  return !items.empty() && (items.front() == "https" || items.front() == "HTTPS");
}

bool is_loopback(std::string_view remote) {
  return remote.empty() || remote.starts_with("127.") || remote == "::1" ||
         remote.starts_with("::ffff:127.");
}

}  // namespace hearth::api
