// SPDX-License-Identifier: Apache-2.0
#include "api/offload.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "api/reply.hpp"

namespace hearth::api {

namespace {
constexpr int k_max_pending = 8;
}

offload::~offload() {
  if (pool_) pool_->join();
}

void offload::set_executor(boost::asio::any_io_executor ex) {
  executor_ = std::move(ex);
  if (!pool_) pool_ = std::make_unique<boost::asio::thread_pool>(1);
}

response offload::run(std::function<std::string()> slow,
                      std::function<response(std::string)> then) {
  if (!executor_) return then(slow());
  if (pending_ >= k_max_pending)
    return json_error(503, "busy", "too many requests at once; try again");
  ++pending_;
  response res;
  res.deferred = [this, slow = std::move(slow), then = std::move(then)](responder done) mutable {
    boost::asio::post(*pool_, [this, slow = std::move(slow), then = std::move(then),
                               done = std::move(done)]() mutable {
      std::optional<std::string> got;
      try {
        got = slow();
      } catch (const std::exception& e) {
        fmt::print(stderr, "hearthd: a background step failed: {}\n", e.what());
      }
      boost::asio::post(*executor_, [this, got = std::move(got), then = std::move(then),
                                     done = std::move(done)]() noexcept {
        --pending_;
        try {
          done(got ? then(*got)
                   : json_error(500, "internal", "the request failed; see the daemon log"));
        } catch (const std::exception& e) {
          fmt::print(stderr, "hearthd: a request failed: {}\n", e.what());
          done(json_error(500, "internal", "the request failed; see the daemon log"));
        }
      });
    });
  };
  return res;
}

}  // namespace hearth::api
