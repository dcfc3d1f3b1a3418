// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A WebSocket client of /api/v1/stream for end-to-end tests: `next` waits for one message
/// up to a deadline.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace hearth::test {

struct stream_client {
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws{io};
  boost::beast::flat_buffer buf;

  stream_client(unsigned short port, const std::string& token) {
    namespace websocket = boost::beast::websocket;
    boost::beast::get_lowest_layer(ws).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
      r.set(boost::beast::http::field::authorization, "Bearer " + token);
    }));
    ws.handshake("127.0.0.1", "/api/v1/stream");
  }
  std::optional<boost::json::object> next(
      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::optional<boost::json::object> got;
    buf.clear();
    ws.async_read(buf, [&](boost::beast::error_code ec, std::size_t) {
      if (!ec) got = boost::json::parse(boost::beast::buffers_to_string(buf.data())).as_object();
    });
    io.restart();
    io.run_for(limit);
    if (!got) {
      boost::beast::get_lowest_layer(ws).cancel();
      io.restart();
      io.run_for(std::chrono::seconds(1));
    }
    return got;
  }
};

}  // namespace hearth::test
