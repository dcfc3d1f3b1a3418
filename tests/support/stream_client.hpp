// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A WebSocket client of hearthd's /api/v1/stream for tests: connects with a bearer token
/// (the handshake throws when the server refuses), and `next` waits for one message up to a
/// deadline.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace hearth::test {

struct stream_client {
  /// `target`: the request target, e.g. "/api/v1/stream?after=12".
  stream_client(unsigned short port, const std::string& token,
                const std::string& target = "/api/v1/stream");
  /// The next message as a JSON object, or nullopt when none came within `limit`.
  std::optional<boost::json::object> next(
      std::chrono::milliseconds limit = std::chrono::seconds(5));

  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws{io};
  boost::beast::flat_buffer buf;
};

}  // namespace hearth::test
