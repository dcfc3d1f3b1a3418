// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Who the client is when hearthd sits behind a reverse proxy (issue 18).
///
/// The TCP peer of a request is the proxy (nginx on 127.0.0.1), so the peer alone cannot
/// tell one operator's browser from another. `X-Forwarded-For` and `X-Forwarded-Proto` are
/// believed only when the peer is one of the configured trusted proxies (`http:
/// trusted_proxies:`); from anyone else they are ignored, so a client cannot pick its own
/// address to dodge a login lockout.
///
/// Pure functions over text; no I/O.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace hearth::api {

/// A set of addresses and CIDR blocks: "127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8".
/// IPv4-mapped IPv6 addresses ("::ffff:10.0.0.1") match their IPv4 form.
class address_set {
 public:
  /// Parses each item; the error names the first item that is not an address or block.
  static result<address_set> parse(const std::vector<std::string>& items);
  bool contains(std::string_view address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  struct block {
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;  ///< bits that must match
    bool v4 = false;
  };
  std::vector<block> blocks_;
};

/// The client address of a request whose TCP peer is `peer`: when `peer` is trusted and
/// `forwarded_for` (the X-Forwarded-For value; empty when absent) lists addresses, the
/// right-most one that is not itself a trusted proxy (each proxy appends the address it
/// saw; what a client wrote itself is further left and is not believed). Otherwise `peer`.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const address_set& trusted);

/// Whether the client reached the proxy over HTTPS: `peer` is trusted and the last value of
/// X-Forwarded-Proto is "https".
bool forwarded_https(std::string_view peer, std::string_view forwarded_proto,
                     const address_set& trusted);

/// Whether a request's peer is this machine (127.0.0.0/8, ::1, or IPv4-mapped 127.x). Empty:
/// an in-process call (tests), which has no network peer. `/metrics` answers such callers (a
/// local Prometheus) without a token, on the active node and on a standby alike.
bool is_loopback(std::string_view remote);

}  // namespace hearth::api
