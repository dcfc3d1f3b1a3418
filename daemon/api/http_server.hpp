// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A small HTTP/1.1 server on Boost.Beast. Connections run on the io_context that owns the
/// domain state, so handlers may read it directly; a handler must not block.
/// Request bodies are limited to 64 KiB; headers to 8 KiB.
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

namespace hearth::api {

struct request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  std::string remote;
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

class http_server {
 public:
  /// Binds and starts accepting. Throws boost::system::system_error when it cannot bind.
  http_server(boost::asio::io_context& io, const std::string& host, unsigned short port, handler h);
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
