// SPDX-License-Identifier: Apache-2.0
#include "api/http_server.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <deque>
#include <unordered_map>

#include "api/connections.hpp"
#include "base/log.hpp"

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

request to_request(const http::request<http::string_body>& req, const std::string& peer,
                   const address_set& trusted) {
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
    // A chain of proxies may send X-Forwarded-For more than once: joined as HTTP allows.
    // Any other repeated header keeps its last value.
    auto [it, fresh] = r.headers.try_emplace(name, std::string(f.value()));
    if (!fresh && name.starts_with("x-forwarded-"))
      it->second += ", " + std::string(f.value());
    else if (!fresh)
      it->second = std::string(f.value());
  }
  r.body = req.body();
  const auto header = [&](const char* name) -> std::string_view {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string_view{} : std::string_view(it->second);
  };
  r.remote = client_address(peer, header("x-forwarded-for"), trusted);
  r.https = forwarded_https(peer, header("x-forwarded-proto"), trusted);
  r.websocket_upgrade = websocket::is_upgrade(req);
  return r;
}

std::string kib(std::size_t bytes) {
  return fmt::format("{} KiB", bytes / 1024);
}

struct server_state;

/// A connection's place in the server's connection table: released when the connection
/// ends (whichever object owns it then: the HTTP session, or the WebSocket it became).
class slot {
 public:
  slot() = default;
  slot(std::shared_ptr<server_state> s, connection_table::id id) : state_(std::move(s)), id_(id) {}
  slot(slot&& o) noexcept : state_(std::move(o.state_)), id_(o.id_) {}
  slot& operator=(slot&&) = delete;
  ~slot();
  void idle();
  void busy();
  void pin();
  /// Starts a write of `bytes`; sheds others when the response budget is full.
  void writing(std::size_t bytes);
  void written();
  connection_table::id id() const { return id_; }

 private:
  std::shared_ptr<server_state> state_;
  connection_table::id id_ = 0;
};

/// A WebSocket connection after the handshake: reads (and drops) what the client sends so
/// that pings, pongs and close frames are handled, and writes queued messages in order.
class ws_session : public ws_peer, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(tcp::socket s, std::function<void(std::shared_ptr<ws_peer>)> on_open, slot place)
      : ws_(std::move(s)), on_open_(std::move(on_open)), slot_(std::move(place)) {
    slot_.pin();
  }

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
        log::error("api", "websocket open handler failed: {}", e.what());
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
  slot slot_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool open_ = false, closing_ = false, writing_ = false;
};

class session;

/// What the acceptor and every connection share: the options, the handler, the connection
/// table and a way to close a connection by id. Lives as long as the last connection.
struct server_state {
  server_state(handler h, server_options o)
      : handle(std::move(h)),
        options(std::move(o)),
        table({options.max_connections, options.max_connections_per_address,
               options.max_response_bytes}) {}
  handler handle;
  server_options options;
  connection_table table;
  std::unordered_map<connection_table::id, std::weak_ptr<session>> sessions;
  bool stopped = false;  ///< after stop(): telemetry may be gone, touch none

  void count(const char* name, connection_table::reason r) {
    if (!stopped && options.tel)
      options.tel->add(name, fmt::format("reason=\"{}\"", connection_table::reason_name(r)));
  }
  void gauges() {
    if (stopped || !options.tel) return;
    options.tel->set("hearth_http_connections", {}, static_cast<double>(table.open()));
    options.tel->set("hearth_http_response_bytes", {}, static_cast<double>(table.response_bytes()));
  }
  /// Closes the connections the table chose to shed.
  void shed(const std::vector<connection_table::id>& ids, connection_table::reason why);
};

slot::~slot() {
  if (!state_) return;
  state_->table.release(id_);
  state_->sessions.erase(id_);
  state_->gauges();
}
void slot::idle() {
  if (state_) state_->table.idle(id_);
}
void slot::busy() {
  if (state_) state_->table.busy(id_);
}
void slot::pin() {
  if (state_) state_->table.pin(id_);
}
void slot::writing(std::size_t bytes) {
  if (!state_) return;
  state_->shed(state_->table.writing(id_, bytes), connection_table::reason::response_bytes);
  state_->gauges();
}
void slot::written() {
  if (state_) state_->table.written(id_);
}

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, std::shared_ptr<server_state> st, connection_table::id id,
          std::string peer)
      : stream_(std::move(s)), state_(st), slot_(st, id), peer_(std::move(peer)) {}

  void start() { read_header(); }

  /// Closes the socket now (its descriptor is free at once); pending operations end with
  /// operation_aborted and drop the last reference.
  void shed() {
    shed_ = true;
    stream_.close();
  }

 private:
  const server_options& options() const { return state_->options; }

  void read_header() {
    slot_.idle();
    parser_.emplace();
    parser_->body_limit(k_max_request_body);
    parser_->header_limit(k_max_request_header);
    // Slow headers (one byte every few seconds) and idle keep-alive connections alike.
    stream_.expires_after(options().header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) noexcept {
          self->on_header(ec);
        });
  }

  void on_header(beast::error_code ec) noexcept {
    if (!ec) {
      slot_.busy();
      if (!parser_->is_done()) {
        stream_.expires_after(options().body_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec2, std::size_t) noexcept {
                           self->on_read(ec2);
                         });
        return;
      }
    }
    on_read(ec);
  }

  void on_read(beast::error_code ec) noexcept {
    if (shed_ || ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      close();
      return;
    }
    response res;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      slot_.busy();
      res.status = 413;
      const bool header = ec == http::error::header_limit;
      json_text(res, "too-large",
                header ? fmt::format("the request header is larger than {} (the limit)",
                                     kib(k_max_request_header))
                       : fmt::format("the request body is larger than {} (the limit)",
                                     kib(k_max_request_body)));
    } else if (ec) {
      close();
      return;
    } else {
      const auto& req = parser_->get();
      keep_alive = req.keep_alive();
      version = req.version();
      try {
        res = state_->handle(to_request(req, peer_, options().trusted_proxies));
      } catch (const std::exception& e) {
        res = internal_error();
        log::error("api", "http handler failed: {}", e.what());
      }
      if (res.upgrade && websocket::is_upgrade(req)) {
        stream_.expires_never();  // the WebSocket keeps its own timeouts
        auto ws = std::make_shared<ws_session>(stream_.release_socket(), std::move(res.upgrade),
                                               std::move(slot_));
        ws->accept(req);
        return;
      }
      if (res.deferred) {
        auto start = std::move(res.deferred);
        // Nothing to read meanwhile; the write timeout starts when the answer is ready.
        stream_.expires_never();
        try {
          start([self = shared_from_this(), keep_alive, version](response later) {
            asio::post(self->stream_.get_executor(),
                       [self, keep_alive, version, later = std::move(later)]() mutable noexcept {
                         self->write(std::move(later), keep_alive, version);
                       });
          });
        } catch (const std::exception& e) {
          log::error("api", "http handler failed: {}", e.what());
          write(internal_error(), keep_alive, version);
        }
        return;
      }
    }
    write(std::move(res), keep_alive, version);
  }

  static void json_text(response& res, std::string_view code, const std::string& message) {
    boost::json::object o;
    o["error"] = code;
    o["message"] = message;
    res.body = boost::json::serialize(o);
  }

  static response internal_error() {
    response res;
    res.status = 500;
    res.body = R"({"error":"internal","message":"the request failed; see the daemon log"})";
    return res;
  }

  void write(response res, bool keep_alive, unsigned version) noexcept {
    if (shed_) return;
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
      // Back-pressure: Beast writes as fast as the socket takes it, and the answer is the
      // only buffer. A reader that stops reading meets the write timeout, and the answer's
      // bytes count against the server's budget until then.
      slot_.writing(out->body().size() + 512);
      stream_.expires_after(options().write_timeout);
      http::async_write(stream_, *out,
                        [self = shared_from_this(), out, keep_alive](beast::error_code wec,
                                                                     std::size_t) noexcept {
                          self->slot_.written();
                          if (wec || !keep_alive || self->shed_) {
                            self->close();
                            return;
                          }
                          self->read_header();
                        });
    } catch (const std::exception& e) {
      log::error("api", "http write failed: {}", e.what());
      close();
    }
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<server_state> state_;
  slot slot_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool shed_ = false;
};

void server_state::shed(const std::vector<connection_table::id>& ids,
                        connection_table::reason why) {
  for (const auto id : ids) {
    count("hearth_http_connections_shed_total", why);
    auto it = sessions.find(id);
    if (it == sessions.end()) continue;
    auto s = it->second.lock();
    sessions.erase(it);
    if (s) s->shed();
  }
}

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
    out.req = to_request(p.get(), "fuzz", address_set{});
  }
  return out;
}

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, handler h, server_options o)
      : acceptor(io),
        backoff_timer(io),
        state(std::make_shared<server_state>(std::move(h), std::move(o))) {}
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;
  std::chrono::milliseconds backoff{0};
  std::shared_ptr<server_state> state;

  static constexpr std::chrono::milliseconds k_first_backoff{50}, k_max_backoff{1000};

  void accept() {
    acceptor.async_accept(
        [self = shared_from_this()](beast::error_code ec, tcp::socket s) noexcept {
          if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
          if (!ec) {
            self->backoff = {};
            self->admit(std::move(s));
            self->accept();
            return;
          }
          if (ec == asio::error::no_descriptors ||
              ec == boost::system::errc::too_many_files_open_in_system ||
              ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
            self->out_of_descriptors();
            return;
          }
          self->accept();  // ECONNABORTED and the like: that client gave up; go on
        });
  }

  /// Accept failed for lack of descriptors (or kernel memory). Shed the oldest idle
  /// connection and go on at once; with nothing to shed, wait before trying again (the
  /// listening socket stays readable, so retrying at once would spin).
  void out_of_descriptors() {
    auto& st = *state;
    st.count("hearth_http_accept_errors_total", connection_table::reason::descriptors);
    if (auto victim = st.table.oldest_idle()) {
      st.shed({*victim}, connection_table::reason::descriptors);
      asio::post(acceptor.get_executor(), [self = shared_from_this()] { self->accept(); });
      return;
    }
    backoff = backoff.count() == 0 ? k_first_backoff : std::min(backoff * 2, k_max_backoff);
    backoff_timer.expires_after(backoff);
    backoff_timer.async_wait([self = shared_from_this()](beast::error_code ec) noexcept {
      if (!ec && self->acceptor.is_open()) self->accept();
    });
  }

  void admit(tcp::socket s) {
    auto& st = *state;
    beast::error_code rec;
    const auto ep = s.remote_endpoint(rec);
    if (rec) return;  // the peer is already gone; the socket closes here
    auto address = ep.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    const auto peer = address.to_string();
    auto decision = st.table.admit(peer, st.options.trusted_proxies.contains(peer));
    st.shed(decision.shed, decision.why);
    if (!decision.admitted) {
      st.count("hearth_http_connections_refused_total", decision.why);
      refuse(s);
      return;
    }
    // Small pushes (a P1 on the stream) must leave at once, not wait for an ACK.
    beast::error_code ignored;
    s.set_option(tcp::no_delay(true), ignored);
    auto sess = std::make_shared<session>(std::move(s), state, *decision.admitted, peer);
    st.sessions.emplace(*decision.admitted, sess);
    st.gauges();
    sess->start();
  }

  /// Every connection in the refused one's limit is busy: a short 503 that a fresh socket's
  /// empty send buffer takes at once (never waited for), then close.
  static void refuse(tcp::socket& s) {
    static const std::string k_busy = [] {
      const std::string body =
          R"({"error":"busy","message":"too many connections are busy; try again in a moment"})";
      return fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
          body.size(), body);
    }();
    beast::error_code ec;
    s.non_blocking(true, ec);
    s.write_some(asio::buffer(k_busy), ec);
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }
};

http_server::http_server(asio::io_context& io, const std::string& host, unsigned short port,
                         handler h, server_options o)
    : impl_(std::make_shared<impl>(io, std::move(h), std::move(o))) {
  const tcp::endpoint ep(asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->state->gauges();
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
  impl_->backoff_timer.cancel();
  impl_->state->stopped = true;
}

}  // namespace hearth::api
