// SPDX-License-Identifier: Apache-2.0
#include "api/http_server.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <deque>

namespace hearth::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {

request to_request(const http::request<http::string_body>& req, const std::string& remote) {
  request r;
  r.method = std::string(req.method_string());
  const std::string_view target = req.target();
  const auto q = target.find('?');
  r.path = url_decode(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    while (!qs.empty()) {
      const auto amp = qs.find('&');
      const auto part = qs.substr(0, amp);
      const auto eq = part.find('=');
      if (!part.empty())
        r.query[url_decode(part.substr(0, eq))] =
            eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
      qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
    }
  }
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = req.body();
  r.remote = remote;
  r.websocket_upgrade = websocket::is_upgrade(req);
  return r;
}

/// A WebSocket connection after the handshake: reads (and drops) what the client sends so
/// that pings, pongs and close frames are handled, and writes queued messages in order.
class ws_session : public ws_peer, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(tcp::socket s, std::function<void(std::shared_ptr<ws_peer>)> on_open)
      : ws_(std::move(s)), on_open_(std::move(on_open)) {}

  void accept(const http::request<http::string_body>& req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& r) { r.set(http::field::server, "hearthd"); }));
    ws_.read_message_max(4096);
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) noexcept {
      if (ec) return;
      self->open_ = true;
      try {
        self->on_open_(self);
      } catch (const std::exception& e) {
        fmt::print(stderr, "hearthd: websocket open handler failed: {}\n", e.what());
        self->close();
        return;
      }
      self->read();
    });
  }

  void send(std::string text) override {
    if (!open_ || closing_) return;
    if (queue_.size() >= 512) {
      queue_.clear();
      close();
      return;
    }
    queue_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void close() override {
    if (!open_ || closing_) return;
    closing_ = true;
    if (!writing_) do_close();
  }

  bool is_open() const override { return open_ && !closing_; }

 private:
  void read() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) noexcept {
                     if (ec) {
                       self->open_ = false;
                       return;
                     }
                     self->buffer_.consume(self->buffer_.size());
                     self->read();
                   });
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) noexcept {
                      self->writing_ = false;
                      if (ec) {
                        self->open_ = false;
                        self->queue_.clear();
                        return;
                      }
                      if (!self->queue_.empty()) self->queue_.pop_front();
                      if (self->closing_)
                        self->do_close();
                      else if (!self->queue_.empty())
                        self->write_next();
                    });
  }

  void do_close() {
    ws_.async_close(
        websocket::close_code::going_away,
        [self = shared_from_this()](beast::error_code) noexcept { self->open_ = false; });
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::function<void(std::shared_ptr<ws_peer>)> on_open_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool open_ = false, closing_ = false, writing_ = false;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, const handler& h) : stream_(std::move(s)), handler_(h) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(k_max_request_body);
    parser_->header_limit(k_max_request_header);
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) noexcept {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) noexcept {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      close();
      return;
    }
    response res;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      res.status = 413;
      res.body = R"({"error":"too-large","message":"the request is larger than 64 KiB"})";
    } else if (ec) {
      close();
      return;
    } else {
      const auto& req = parser_->get();
      keep_alive = req.keep_alive();
      version = req.version();
      std::string remote;
      beast::error_code rec;
      const auto ep = stream_.socket().remote_endpoint(rec);
      if (!rec) remote = ep.address().to_string();
      try {
        res = handler_(to_request(req, remote));
      } catch (const std::exception& e) {
        res = internal_error();
        fmt::print(stderr, "hearthd: http handler failed: {}\n", e.what());
      }
      if (res.upgrade && websocket::is_upgrade(req)) {
        auto ws = std::make_shared<ws_session>(stream_.release_socket(), std::move(res.upgrade));
        ws->accept(req);
        return;
      }
      if (res.deferred) {
        auto start = std::move(res.deferred);
        try {
          start([self = shared_from_this(), keep_alive, version](response later) {
            asio::post(self->stream_.get_executor(),
                       [self, keep_alive, version, later = std::move(later)]() mutable noexcept {
                         self->write(std::move(later), keep_alive, version);
                       });
          });
        } catch (const std::exception& e) {
          fmt::print(stderr, "hearthd: http handler failed: {}\n", e.what());
          write(internal_error(), keep_alive, version);
        }
        return;
      }
    }
    write(std::move(res), keep_alive, version);
  }

  static response internal_error() {
    response res;
    res.status = 500;
    res.body = R"({"error":"internal","message":"the request failed; see the daemon log"})";
    return res;
  }

  void write(response res, bool keep_alive, unsigned version) noexcept {
    try {
      auto out = std::make_shared<http::response<http::string_body>>(
          static_cast<http::status>(res.status), version);
      out->set(http::field::server, "hearthd");
      out->set(http::field::content_type, res.content_type);
      out->set(http::field::cache_control, "no-store");
      out->set("X-Content-Type-Options", "nosniff");
      out->set("X-Frame-Options", "DENY");
      out->set("Referrer-Policy", "no-referrer");
      if (!res.headers.count("Content-Security-Policy"))
        out->set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
      for (const auto& [k, v] : res.headers)
        out->set(k, v);
      out->keep_alive(keep_alive);
      out->body() = std::move(res.body);
      out->prepare_payload();
      http::async_write(stream_, *out,
                        [self = shared_from_this(), out, keep_alive](beast::error_code wec,
                                                                     std::size_t) noexcept {
                          if (wec || !keep_alive) {
                            self->close();
                            return;
                          }
                          self->read();
                        });
    } catch (const std::exception& e) {
      fmt::print(stderr, "hearthd: http write failed: {}\n", e.what());
      close();
    }
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  handler handler_;
};

}  // namespace

parsed_request parse_request(std::string_view bytes) {
  parsed_request out;
  http::request_parser<http::string_body> p;
  p.body_limit(k_max_request_body);
  p.header_limit(k_max_request_header);
  p.eager(true);
  beast::error_code ec;
  std::size_t used = 0;
  while (!ec && used < bytes.size() && !p.is_done()) {
    const auto n = p.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (n == 0 && !ec) break;
    used += n;
  }
  if (ec == http::error::need_more) ec = {};
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    out.status = 413;
  } else if (ec) {
    out.status = 400;
  } else if (p.is_done()) {
    out.complete = true;
    out.req = to_request(p.get(), "fuzz");
  }
  return out;
}

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, handler h) : acceptor(io), handle(std::move(h)) {}
  tcp::acceptor acceptor;
  handler handle;

  void accept() {
    acceptor.async_accept(
        [self = shared_from_this()](beast::error_code ec, tcp::socket s) noexcept {
          if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
          if (!ec) {
            // Small pushes (a P1 on the stream) must leave at once, not wait for an ACK.
            beast::error_code ignored;
            s.set_option(tcp::no_delay(true), ignored);
            std::make_shared<session>(std::move(s), self->handle)->start();
          }
          self->accept();
        });
  }
};

http_server::http_server(asio::io_context& io, const std::string& host, unsigned short port,
                         handler h)
    : impl_(std::make_shared<impl>(io, std::move(h))) {
  const tcp::endpoint ep(asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept();
}

http_server::~http_server() {
  stop();
}

unsigned short http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void http_server::stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace hearth::api
