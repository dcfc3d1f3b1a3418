// SPDX-License-Identifier: Apache-2.0
#include "support/stream_client.hpp"

namespace hearth::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using namespace std::chrono_literals;

stream_client::stream_client(unsigned short port, const std::string& token,
                             const std::string& target) {
  beast::get_lowest_layer(ws).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
    r.set(beast::http::field::authorization, "Bearer " + token);
  }));
  ws.handshake("127.0.0.1", target);
}

std::optional<json::object> stream_client::next(std::chrono::milliseconds limit) {
  std::optional<json::object> got;
  buf.clear();
  ws.async_read(buf, [&](beast::error_code ec, std::size_t) {
    if (!ec) got = json::parse(beast::buffers_to_string(buf.data())).as_object();
  });
  io.restart();
  io.run_for(limit);
  if (!got) {
    beast::get_lowest_layer(ws).cancel();
    io.restart();
    io.run_for(1s);
  }
  return got;
}

}  // namespace hearth::test
