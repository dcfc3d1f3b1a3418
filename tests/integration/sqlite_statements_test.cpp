// SPDX-License-Identifier: Apache-2.0
// The SQLite backend keeps compiled statements for reuse (store/sqlite.hpp): the same SQL is
// compiled once, a kept statement comes back with no bindings and holds no lock, the cache
// is bounded, and statements that outlive their connection are still safe. On a real file.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "store/sqlite.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;

struct db {
  test::temp_dir dir;
  store::sqlite_connection c{(dir.path() / "s.db").string()};
  db() {
    c.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
    c.exec("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  }
  std::string value_of(std::int64_t k) {
    auto st = c.prepare("SELECT v FROM t WHERE k = ?1");
    st.bind(1, k);
    return st.step() ? st.text(0) : std::string("(none)");
  }
};

}  // namespace

TEST_CASE("the same SQL is compiled once and reused with fresh bindings", "[sqlite]") {
  db d;
  const auto before = d.c.compiled();
  CHECK(d.value_of(1) == "one");
  CHECK(d.value_of(2) == "two");
  CHECK(d.value_of(4) == "(none)");
  CHECK(d.value_of(3) == "three");
  CHECK(d.c.compiled() == before + 1);
  CHECK(d.c.reused() == 3);

  // A kept statement has no bindings left: an unbound parameter is NULL, which matches no
  // row, where the last use's binding (k = 3) would still match "three".
  auto st = d.c.prepare("SELECT v FROM t WHERE k = ?1");
  CHECK_FALSE(st.step());
}

TEST_CASE("a statement in use is not handed out twice", "[sqlite]") {
  db d;
  auto outer = d.c.prepare("SELECT k FROM t ORDER BY k");
  REQUIRE(outer.step());
  CHECK(outer.int64(0) == 1);
  {
    // The same SQL while the first is mid-way: a second statement, compiled anew.
    auto inner = d.c.prepare("SELECT k FROM t ORDER BY k");
    REQUIRE(inner.step());
    CHECK(inner.int64(0) == 1);
  }
  REQUIRE(outer.step());
  CHECK(outer.int64(0) == 2);  // the outer cursor did not move
  CHECK(d.c.compiled() >= 2);
}

TEST_CASE("a kept statement holds no lock on its table", "[sqlite]") {
  db d;
  {
    auto st = d.c.prepare("SELECT v FROM t ORDER BY k");
    REQUIRE(st.step());  // stopped after the first of three rows: the cursor is open
  }
  // DROP TABLE fails with "database table is locked" while any statement on it is still
  // running; the kept one was reset when it was given back.
  CHECK_NOTHROW(d.c.exec("DROP TABLE t"));
}

TEST_CASE("the cache is bounded, least recently used first out", "[sqlite]") {
  db d;
  const auto n = store::sqlite_connection::k_kept_statements;
  auto run = [&](std::size_t i) {
    auto st = d.c.prepare(fmt::format("SELECT {} + k FROM t WHERE k = 1", i));
    REQUIRE(st.step());
    CHECK(st.int64(0) == static_cast<std::int64_t>(i) + 1);
  };
  for (std::size_t i = 0; i < n + 10; ++i)
    run(i);
  CHECK(d.c.reused() == 0);
  const auto compiled = d.c.compiled();
  run(n + 9);  // among the last kept
  CHECK(d.c.reused() == 1);
  CHECK(d.c.compiled() == compiled);
  run(0);  // the first, pushed out long ago: compiled again
  CHECK(d.c.reused() == 1);
  CHECK(d.c.compiled() == compiled + 1);
}

TEST_CASE("a statement that outlives its connection is finalized safely", "[sqlite]") {
  test::temp_dir dir;
  std::optional<store::statement> late;
  {
    store::sqlite_connection c((dir.path() / "s.db").string());
    c.exec("CREATE TABLE t (k INTEGER)");
    late.emplace(c.prepare("SELECT k FROM t"));
    c.prepare("SELECT COUNT(*) FROM t").run();  // one kept in the cache at the close too
  }
  late.reset();  // under ASan: no use of the freed cache, no leak
  SUCCEED("finalized after the connection closed");
}
