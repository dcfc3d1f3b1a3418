// SPDX-License-Identifier: Apache-2.0
#pragma once
/// GET /api/v1/stream: a WebSocket that pushes every alert transition the caller may see
/// (the alert JSON plus "transition", "action" and "seq", its number in the store) as
/// `on_transition` is called. The first message is {"hello":{"user","role","seq"}}, seq
/// being the last transition stored. `?after=N` resumes a stream that dropped (a failover,
/// a network blip): after the hello come the stored transitions numbered above N, then the
/// live ones, so none is missed; when they are more than `k_max_replay`, or older than
/// what is kept, the hello carries "resync": true and the console reloads the queue. A
/// subscriber whose credential has expired is told nothing more and closed; one whose
/// credential was deleted, or whose user was disabled or removed (also from the command
/// line), is closed by the next `revalidate` (the daemon calls it each second); logging out
/// closes the streams opened with that credential, and disabling a user over the API closes
/// that user's streams at once.
///
/// Threading: domain thread only; nothing here blocks (each peer queues, see ws_peer).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/context.hpp"
#include "api/route_table.hpp"

namespace hearth::api {

class stream_hub {
 public:
  static constexpr std::size_t k_max_replay = 1'000;

  explicit stream_hub(context& c) : context_(c) {}

  /// GET stream (needs read_alerts; a plain GET answers 426).
  std::vector<route> routes();
  /// Pushes one transition to every subscriber allowed to see the alert. Reads nothing
  /// from the database: an SOS reaches the consoles without waiting for a query.
  void on_transition(const alerts::transition& t);
  /// Closes the streams whose credential or user no longer lets them in (two indexed
  /// reads a subscriber).
  void revalidate();
  /// Open subscribers (tests, metrics).
  std::size_t subscribers();
  /// Closes every stream opened with the credential whose hash is `token_hash`.
  void close_token(std::string_view token_hash);
  /// Closes every stream of `user`.
  void close_user(std::string_view user);

 private:
  struct subscriber {
    std::weak_ptr<ws_peer> peer;
    auth::principal who;
    std::string locale;  ///< from the upgrade request's Accept-Language
  };
  response open(const call& k);
  /// The subscriber's peer is closed, or its session has ended (then it is closed): from
  /// memory alone.
  static bool gone(const subscriber& s, time_point now);
  /// The database still knows the subscriber's credential, and its user is enabled.
  bool still_valid(const subscriber& s, time_point now);

  context& context_;
  std::vector<subscriber> subscribers_;
};

}  // namespace hearth::api
