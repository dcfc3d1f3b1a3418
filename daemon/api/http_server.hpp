// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A small HTTP/1.1 server on Boost.Beast. Connections run on the io_context that owns the
/// domain state, so handlers may read it directly; a handler must not block.
/// Request bodies are limited to 64 KiB; headers to 8 KiB.

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
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
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
