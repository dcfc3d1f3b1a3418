// SPDX-License-Identifier: Apache-2.0
// Issue 18, defect 1: after the WAL was deleted (or an older backup restored), the database
// had forgotten its newest alerts and the next SOS got id 4 again: an id that operators,
// webhooks and the audit trail already knew for another alert. Alert ids are never given
// twice: the highest one handed out is also kept beside the database (<file>.ids).
#include <catch2/catch.hpp>
#include <filesystem>

#include "base/time.hpp"
#include "store/id_floor.hpp"
#include "store/sqlite_file.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const auto k_t0 = *parse_rfc3339("2026-11-20T08:00:00Z");

alerts::alert alert_with_id(std::uint64_t id) {
  alerts::alert a;
  a.id = std::to_string(id);
  a.key = "sos-pressed|sos-3-502|" + a.id;
  a.rule = "sos-pressed";
  a.priority = 1;
  a.state = alerts::state::open;
  a.title = "SOS";
  a.summary = "SOS";
  a.subject = {"sos-3-502", "H-3-502", "B3", {}};
  a.opened_at = a.updated_at = k_t0 + 1min * static_cast<int>(id);
  return a;
}

}  // namespace

TEST_CASE("alert ids are never given again after the database lost its newest alerts",
          "[store][ids]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  const auto old_copy = (dir / "old.db").string();
  {
    store::store st(db);
    st.save_alert(alert_with_id(1));
    store::backup(db, old_copy);  // what the file held when only alert 1 existed
    for (std::uint64_t id = 2; id <= 6; ++id)
      st.save_alert(alert_with_id(id));
    CHECK(st.max_alert_id() == 6);
  }
  // The newest alerts are lost: the older file comes back, without its -wal.
  for (const char* tail : {"", "-wal", "-shm"})
    fs::remove(db + tail);
  fs::copy_file(old_copy, db);
  store::store st(db);
  CHECK(st.load_alerts(std::nullopt).size() == 1);  // the loss is real
  // The next id is beyond every one handed out: 7 or later, never 2.
  CHECK(st.alert_id_floor() >= 6);
}

TEST_CASE("a clean stop gives the unused reserved ids back: a restart does not skip any",
          "[store][ids]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  {
    store::store st(db);
    st.save_alert(alert_with_id(1));
    st.save_alert(alert_with_id(2));
  }
  {
    store::store st(db);
    CHECK(st.max_alert_id() == 2);
    st.save_alert(alert_with_id(3));
  }
  store::store st(db);
  CHECK(st.max_alert_id() == 3);
}

TEST_CASE("a crash skips reserved ids rather than repeating one", "[store][ids]") {
  test::temp_dir dir;
  const auto ids = (dir / "hearth.db.ids").string();
  {
    store::id_floor f(ids);
    f.cover(1);  // and no release_unused(): the process died
  }
  store::id_floor after(ids);
  CHECK(after.reserved() >= 1);
  CHECK(after.reserved() <= store::id_floor::k_block);
  // An .ids file that is not a number is refused, not ignored.
  test::write_file(dir / "other.db.ids", "banana\n");
  CHECK_THROWS_WITH(store::store((dir / "other.db").string()),
                    Catch::Contains("should hold the highest alert id"));
}

// Defect 1, the other half: `rm hearth.db-wal` under a running hearthd went unnoticed (SQLite
// writes on into the unlinked file, and all of it is gone at the next start).
TEST_CASE("the store notices its -wal removed, or its file replaced, and refuses alert writes",
          "[store][files]") {
  test::temp_dir dir;
  const auto db = (dir / "hearth.db").string();
  {
    store::store st(db);
    st.save_alert(alert_with_id(1));
    REQUIRE(fs::exists(db + "-wal"));
    CHECK(st.check_files().empty());
    fs::remove(db + "-wal");
    CHECK_THAT(st.check_files(), Catch::Contains("hearth.db-wal was removed"));
    CHECK_THROWS_WITH(st.save_alert(alert_with_id(2)), Catch::Contains("-wal was removed"));
    CHECK_THROWS_AS(st.append_audit({{k_t0, "hearthd", "opened", "2", "k", "", "rule"}}),
                    store::store_error);
    CHECK_THAT(st.check_files(), Catch::Contains("was removed"));  // for good
  }
  const auto other = (dir / "other.db").string();
  store::store st(other);
  st.save_alert(alert_with_id(1));
  CHECK(st.check_files().empty());
  store::backup(other, (dir / "copy.db").string());
  fs::rename(dir / "copy.db", other);  // another file in its place
  CHECK_THAT(st.check_files(), Catch::Contains("other.db was replaced by another file"));
  CHECK_THROWS_AS(st.save_alert(alert_with_id(2)), store::store_error);
}
