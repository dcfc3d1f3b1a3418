// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The HTTP server's connection table (issue 18): how many connections are open, from
/// where, which are idle, and how many response bytes they hold. It decides; the server
/// acts (closes sockets). Pure bookkeeping, no I/O, so its policy is unit-tested.
///
/// Policy:
/// - At most `total` connections, and at most `per_address` from one address (connections
///   from a trusted proxy count only toward the total: behind nginx every client is
///   127.0.0.1). A new connection over a limit sheds the *oldest idle* connection in that
///   limit's scope (of that address, or of all); when none is idle, the new one is refused.
///   So a crowd of idle sockets costs its owner its own oldest sockets, never a console
///   user's login.
/// - A connection is idle while it waits for a request (or reads one whose header is not
///   complete); busy from a complete header until its answer is written. WebSocket streams
///   are pinned: they count, but are never shed as idle.
/// - Response bytes: all answers being written hold at most `response_bytes` together.
///   When a new answer would pass that, the connections that have been writing longest
///   (the slowest readers) are shed first; the connection that is starting its write is
///   never the one shed.
///
/// Threading: the server's io_context thread only.

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hearth::api {

class connection_table {
 public:
  struct limits {
    std::size_t total = 1024;
    std::size_t per_address = 128;
    std::size_t response_bytes = 64u << 20;
  };
  using id = std::uint64_t;

  /// Why a connection was shed or refused (a metric label).
  enum class reason { total, per_address, descriptors, response_bytes };
  static const char* reason_name(reason r);

  /// What `admit` decided: the new connection's id (nullopt: refuse it) and the
  /// connections to close now to make room.
  struct admission {
    std::optional<id> admitted;
    std::vector<id> shed;
    reason why = reason::total;  ///< of the shedding or the refusal
  };

  explicit connection_table(limits l) : limits_(l) {}

  /// A connection was accepted from `address`; `trusted` exempts it from the per-address
  /// limit. It starts idle.
  admission admit(const std::string& address, bool trusted);
  /// The connection is gone (closed or shed).
  void release(id c);
  void idle(id c);
  void busy(id c);
  void pin(id c);
  /// Out of descriptors: the oldest idle connection, to close so that accept can go on.
  std::optional<id> oldest_idle();
  /// The connection starts writing `bytes`; returns the connections to shed for room.
  std::vector<id> writing(id c, std::size_t bytes);
  /// Its write finished (or failed).
  void written(id c);

  std::size_t open() const { return entries_.size(); }
  std::size_t open_from(const std::string& address) const;
  std::size_t response_bytes() const { return response_bytes_; }
  const limits& limit() const { return limits_; }

 private:
  enum class state { idle, busy, pinned };
  struct entry {
    std::string address;
    bool trusted = false;
    state st = state::idle;
    std::list<id>::iterator idle_pos;   ///< valid while idle
    std::size_t bytes = 0;              ///< response bytes held while writing
    std::list<id>::iterator write_pos;  ///< valid while bytes > 0
  };
  void forget(id c);  ///< removes c from every index
  void leave_idle(entry& e);

  limits limits_;
  id next_ = 1;
  std::unordered_map<id, entry> entries_;
  std::unordered_map<std::string, std::size_t> per_address_;  ///< untrusted addresses only
  std::list<id> idle_;                                        ///< oldest idle first
  std::list<id> writing_;                                     ///< longest writing first
  std::size_t response_bytes_ = 0;
};

}  // namespace hearth::api
