// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A local webhook receiver for tests: a real HTTP server on a loopback port, on its own
/// thread, that records every request.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hearth::test {

/// A local HTTP server answering each POST with the next status of `script` (then 200);
/// with `hang`, it reads requests and never answers.
class hook_server {
 public:
  explicit hook_server(std::vector<int> script, bool hang = false)
      : script_(std::move(script)), hang_(hang) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~hook_server() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::size_t requests() const { return count_.load(); }
  std::vector<boost::beast::http::request<boost::beast::http::string_body>> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  struct conn : std::enable_shared_from_this<conn> {
    conn(boost::asio::ip::tcp::socket s, hook_server& h) : socket(std::move(s)), server(h) {}
    boost::asio::ip::tcp::socket socket;
    hook_server& server;
    boost::beast::flat_buffer buf;
    boost::beast::http::request<boost::beast::http::string_body> req;
    boost::beast::http::response<boost::beast::http::string_body> res;
    void start() {
      boost::beast::http::async_read(
          socket, buf, req, [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
            if (ec) return;
            int status = 200;
            {
              std::lock_guard lock(self->server.mutex_);
              self->server.received_.push_back(self->req);
              const auto n = self->server.count_.load();
              if (n < self->server.script_.size()) status = self->server.script_[n];
            }
            ++self->server.count_;
            if (self->server.hang_) {
              self->server.hung_.push_back(self);  // keep the socket open, never answer
              return;
            }
            self->res = boost::beast::http::response<boost::beast::http::string_body>(
                static_cast<boost::beast::http::status>(status), 11);
            self->res.body() = "{}";
            self->res.prepare_payload();
            boost::beast::http::async_write(
                self->socket, self->res, [self](boost::beast::error_code, std::size_t) {
                  boost::beast::error_code ec2;
                  self->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec2);
                });
          });
    }
  };
  void accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      std::make_shared<conn>(std::move(s), *this)->start();
      accept();
    });
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::vector<int> script_;
  bool hang_;
  std::atomic<std::size_t> count_{0};
  mutable std::mutex mutex_;
  std::vector<boost::beast::http::request<boost::beast::http::string_body>> received_;
  std::vector<std::shared_ptr<conn>> hung_;
  std::thread thread_;
};

}  // namespace hearth::test
