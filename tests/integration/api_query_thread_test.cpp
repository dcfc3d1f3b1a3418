// SPDX-License-Identifier: Apache-2.0
// Issue 18, defect 2: heavy list queries run on a thread and a connection of their own, so
// the domain thread goes on while one runs; their number is bounded; a failing database
// is an answer (503), not an exception on the domain thread.
#include <algorithm>
#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <future>

#include "api/query_thread.hpp"
#include "api/reply.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace asio = boost::asio;

/// Starts `r`'s deferred answer; `out` gets it when the domain io_context runs it.
void start(api::response& r, std::optional<api::response>& out) {
  REQUIRE(r.deferred);
  r.deferred([&out](api::response later) { out = std::move(later); });
}

}  // namespace

TEST_CASE("a list query runs off the domain thread, which goes on meanwhile, and answers there",
          "[api][hardening]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  { store::store st(db); }
  asio::io_context domain;
  auto guard = asio::make_work_guard(domain);
  api::query_thread q(db, domain.get_executor());

  std::promise<void> release;
  auto released = release.get_future().share();
  std::thread::id ran_on;
  auto r = q.run([&, released](store::store& st) {
    ran_on = std::this_thread::get_id();
    released.wait();  // the query is slow
    return api::json_ok(boost::json::object{{"rows", st.count_readings()}});
  });
  std::optional<api::response> answer;
  start(r, answer);
  // The domain thread is not held by it: other work runs and finishes.
  bool other_work = false;
  asio::post(domain, [&] { other_work = true; });
  domain.run_one_for(5s);
  CHECK(other_work);
  CHECK_FALSE(answer);
  release.set_value();
  REQUIRE(test::eventually([&] {
    domain.poll();
    return answer.has_value();
  }));
  CHECK(ran_on != std::this_thread::get_id());
  CHECK(answer->status == 200);
  CHECK(answer->body == R"({"rows":0})");
}

TEST_CASE("list queries are bounded: past the limit the answer is 503 at once",
          "[api][hardening]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  { store::store st(db); }
  asio::io_context domain;
  auto guard = asio::make_work_guard(domain);
  api::query_thread q(db, domain.get_executor());
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<std::optional<api::response>> answers(api::query_thread::k_max_waiting);
  for (auto& a : answers) {
    auto r = q.run([released](store::store&) {
      released.wait();
      return api::json_ok(boost::json::object{});
    });
    start(r, a);
  }
  auto over = q.run([](store::store&) { return api::json_ok(boost::json::object{}); });
  CHECK_FALSE(over.deferred);
  CHECK(over.status == 503);
  CHECK(over.body.find("too many list queries at once") != std::string::npos);
  release.set_value();
  REQUIRE(test::eventually([&] {
    domain.poll();
    return std::all_of(answers.begin(), answers.end(), [](const auto& a) { return a.has_value(); });
  }));
  // Room again.
  auto again = q.run([](store::store&) { return api::json_ok(boost::json::object{}); });
  CHECK(again.deferred);
  std::optional<api::response> last;
  start(again, last);
  REQUIRE(test::eventually([&] {
    domain.poll();
    return last.has_value();
  }));
}

TEST_CASE("a list query on a database that cannot be opened answers 503 naming the cause",
          "[api][hardening]") {
  test::temp_dir dir;
  asio::io_context domain;
  auto guard = asio::make_work_guard(domain);
  api::query_thread q((dir / "no-such-folder" / "hearth.db").string(), domain.get_executor());
  auto r = q.run([](store::store&) { return api::json_ok(boost::json::object{}); });
  std::optional<api::response> answer;
  start(r, answer);
  REQUIRE(test::eventually([&] {
    domain.poll();
    return answer.has_value();
  }));
  CHECK(answer->status == 503);
  CHECK(answer->body.find("the database cannot be read now") != std::string::npos);
}
