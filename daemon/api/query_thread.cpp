// SPDX-License-Identifier: Apache-2.0
#include "api/query_thread.hpp"

#include <boost/asio/post.hpp>

#include "api/reply.hpp"
#include "base/log.hpp"
#include "base/thread.hpp"

namespace hearth::api {

query_thread::query_thread(std::string database, boost::asio::any_io_executor domain)
    : database_(std::move(database)), domain_(std::move(domain)) {
  boost::asio::post(pool_, [] { set_thread_role("hearth-query", k_bulk_nice); });
}

query_thread::~query_thread() {
  pool_.join();
}

response query_thread::run(work w) {
  if (waiting_ >= k_max_waiting)
    return json_error(503, "busy", "too many list queries at once; try again");
  response res;
  res.deferred = [this, w = std::move(w)](responder done) mutable {
    ++waiting_;
    boost::asio::post(pool_, [this, w = std::move(w), done = std::move(done)]() mutable {
      response r;
      try {
        if (!store_) store_ = std::make_unique<store::store>(database_);
        r = w(*store_);
      } catch (const std::exception& e) {
        // The connection may be what failed: the next query opens a new one.
        store_.reset();
        log::error("api", "list query failed: {}", e.what());
        r = json_error(503, "store-unavailable",
                       std::string("the database cannot be read now: ") + e.what());
      }
      boost::asio::post(domain_, [this, r = std::move(r), done = std::move(done)]() mutable {
        --waiting_;
        done(std::move(r));
      });
    });
  };
  return res;
}

response run_query(context& c, query_thread::work w) {
  if (c.queries) return c.queries->run(std::move(w));
  return w(c.store);
}

}  // namespace hearth::api
