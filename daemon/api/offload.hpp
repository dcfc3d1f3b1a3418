// SPDX-License-Identifier: Apache-2.0
#pragma once
/// CPU-heavy steps of a request (a password hash: PBKDF2 with 600,000 rounds) off the
/// domain thread: the slow part runs on one worker thread and the answer is finished back
/// on the domain executor, through a deferred response (http_server.hpp). Without an
/// executor (in-process tests) both parts run inline. At most 8 requests wait at a time;
/// more answer 503 `busy`.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_server.hpp"

namespace hearth::api {

class offload {
 public:
  offload() = default;
  ~offload();  ///< waits for the worker
  offload(const offload&) = delete;
  offload& operator=(const offload&) = delete;

  void set_executor(boost::asio::any_io_executor ex);

  /// `slow` runs on the worker (it must not touch domain state); `then` gets its result on
  /// the domain thread and makes the response. An exception from either is a 500.
  response run(std::function<std::string()> slow, std::function<response(std::string)> then);

 private:
  std::optional<boost::asio::any_io_executor> executor_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  int pending_ = 0;
};

}  // namespace hearth::api
