// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A small HTTP/1.1 server on Boost.Beast. Connections run on the io_context that owns the
/// domain state, so handlers may read it directly; a handler must not block.
/// Request bodies are limited to 64 KiB; headers to 8 KiB (a 413 names the limit hit).
///
/// Bounded against hostile or broken clients (issue 18; `server_options`):
/// - connections: a total and a per-address limit; over a limit the oldest idle connection
///   is shed first (api/connections.hpp), so idle sockets never lock a console user out;
/// - time: the request header must arrive within `header_timeout` of the connection
///   becoming idle (a new one, or the end of the previous answer), the body within
///   `body_timeout`, and an answer must be written within `write_timeout`: a reader that
///   stops reading loses its own connection, nobody else's;
/// - memory: answers being written hold at most `max_response_bytes` together; the
///   slowest readers are shed when a new answer needs the room;
/// - descriptors: when accept fails for lack of file descriptors (EMFILE, ENFILE), the
///   oldest idle connection is shed and accept goes on; with nothing idle to shed, accept
///   backs off (50 ms doubling to 1 s) instead of spinning.
/// The client address a handler sees is the peer's, or, from a trusted proxy, the one in
/// X-Forwarded-For (api/forwarded.hpp).
///
/// Two ways to answer besides a plain response (issue 6):
/// - `response::deferred`: the handler starts slow work elsewhere (a password hash on a
///   worker thread) and hands the response to the given `responder` later, on the
///   io_context.
/// - `response::upgrade`: the request was a WebSocket upgrade and the handler accepts it;
///   after the handshake the server calls `upgrade` with the new peer. The peer lives as
///   long as the connection; holders keep a weak_ptr.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/forwarded.hpp"
#include "base/clock.hpp"
#include "base/telemetry.hpp"

namespace hearth::api {

struct request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  std::string remote;  ///< the client: the TCP peer, or from a trusted proxy X-Forwarded-For
  bool https = false;  ///< a trusted proxy says the client used HTTPS (X-Forwarded-Proto)
  bool websocket_upgrade = false;  ///< a WebSocket handshake request
};

/// One WebSocket client. All calls on the io_context thread.
class ws_peer {
 public:
  virtual ~ws_peer() = default;
  /// Queues a text message and returns at once. A peer that falls more than 512 messages
  /// behind is closed (it reconnects and reloads), so a slow client never holds memory.
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
};

struct response;
using responder = std::function<void(response)>;

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  /// When set, the response is given later through the responder (see above).
  std::function<void(responder)> deferred;
  /// When set on an answer to a WebSocket upgrade request, the upgrade is accepted.
  std::function<void(std::shared_ptr<ws_peer>)> upgrade;
};

using handler = std::function<response(const request&)>;

/// The server's bounds (see above); the config's `http:` section.
struct server_options {
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 128;
  duration header_timeout = std::chrono::seconds(10);
  duration body_timeout = std::chrono::seconds(30);
  duration write_timeout = std::chrono::seconds(20);
  std::size_t max_response_bytes = 64u << 20;
  /// Peers whose X-Forwarded-For / X-Forwarded-Proto are believed, and which count only
  /// toward the total connection limit.
  address_set trusted_proxies;
  /// Gauges and counters (hearth_http_*); may be null.
  telemetry* tel = nullptr;
};

class http_server {
 public:
  /// Binds and starts accepting. Throws boost::system::system_error when it cannot bind.
  http_server(boost::asio::io_context& io, const std::string& host, unsigned short port, handler h,
              server_options o = {});
  ~http_server();
  unsigned short port() const;
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// Percent-decodes a URL component ('+' stays '+').
std::string url_decode(std::string_view s);

inline constexpr std::size_t k_max_request_header = 8 * 1024;
inline constexpr std::size_t k_max_request_body = 64 * 1024;

/// One raw HTTP/1.1 request parsed as a connection parses it (Beast's request_parser, the
/// same header and body limits, the same decoding of path, query and headers). A pure
/// function, for the fuzzer and the hostile-input tests. `status`: 0 when `req` is a
/// complete request, 413 when a limit is exceeded, 400 when the bytes are not HTTP/1.x;
/// `complete` is false (status 0) when the bytes end before the request does.
struct parsed_request {
  int status = 0;
  bool complete = false;
  request req;
};
parsed_request parse_request(std::string_view bytes);

}  // namespace hearth::api
