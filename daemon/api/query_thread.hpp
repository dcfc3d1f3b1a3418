// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The API's heavy reads, off the domain thread (issue 18, defect 2): lists answered from
/// the database (unregistered devices, the quarantine, a device's readings, resolved
/// alerts) run on a thread of their own with a connection of their own, so that readers of
/// those lists never delay an SOS, a login or an operator's action on the domain thread.
/// The answer comes back to the domain thread through `response::deferred`.
///
/// Bounded: at most `k_max_waiting` queries wait or run at once; past it the answer is
/// 503 `busy`, at once. A query sees only the store given to it (the thread's own) and
/// what it captured by value (an immutable registry snapshot, the caller's role): never
/// the book or the pipeline.
///
/// Threading: `run` on the domain thread; the work on the query thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "api/context.hpp"
#include "api/http_server.hpp"
#include "store/store.hpp"

namespace hearth::api {

class query_thread {
 public:
  static constexpr std::size_t k_max_waiting = 64;
  using work = std::function<response(store::store&)>;

  /// `database` is the daemon's (a SQLite file or a PostgreSQL URI, not ":memory:", which
  /// a second connection would not see); it is opened on the thread at the first query.
  /// `domain` is the executor answers are handed back on.
  query_thread(std::string database, boost::asio::any_io_executor domain);
  ~query_thread();  ///< waits for the query in hand
  query_thread(const query_thread&) = delete;
  query_thread& operator=(const query_thread&) = delete;

  /// A deferred response: `w` runs on the query thread, its answer is given on the domain
  /// thread. A store_error becomes 503 naming the cause.
  response run(work w);

 private:
  std::string database_;
  boost::asio::any_io_executor domain_;
  std::unique_ptr<store::store> store_;  ///< the query thread's; opened at first use
  std::size_t waiting_ = 0;              ///< domain thread only
  boost::asio::thread_pool pool_{1};     ///< last: joined first at destruction
};

/// `w` on `c.queries` when there is one, else at once on `c.store`.
response run_query(context& c, query_thread::work w);

}  // namespace hearth::api
