// SPDX-License-Identifier: Apache-2.0
// Events that arrive late, through the whole pipeline (normalizer, engine with the shipped
// rules, alert book, a real SQLite store): an SOS press held 11 days in a gateway's backlog
// still opens its priority-1 alert, stored at its own time, and its summary says when it
// happened and how late it came; an event time that cannot be true is bad-timestamp.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "support/shipped.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

time_point at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

struct rig {
  fs::path dir = fs::temp_directory_path() / fmt::format("hearth-late-{}", ::getpid());
  std::string db = (fs::create_directories(dir), (dir / "hearth.db").string());
  manual_clock clock{at("2026-12-01T08:30:00Z")};  // 16:30 in Shanghai
  telemetry tel;
  store::store st{db};
  store::writer writer{db, tel};
  app::definitions defs = test::shipped_definitions();
  engine::engine eng{defs.rules, clock, "Asia/Shanghai"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, &writer, eng, book};

  rig() {
    eng.set_messages(defs.messages, "zh-CN");  // the config's locale: what MQTT carries
    book.set_rule_policies(app::rule_policies(defs.rules));
    diagnostics d;
    registry::tables parsed;
    auto reg = app::check_registry_import(app::registry_files(HEARTH_TEST_DATA "/registry"),
                                          registry::registry{}, defs.types.get(), parsed, d);
    for (const auto& x : d)
      UNSCOPED_INFO(x.text());
    REQUIRE(reg);
    pipe.set_catalog(defs.types);
    pipe.set_registry(std::make_shared<registry::registry>(std::move(*reg)));
  }
  ~rig() {
    writer.flush();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void press(const std::string& event_time) {
    pipe.on_message(
        "hearth/v1/devices/button-demo-1/up",
        fmt::format(R"({{"ts": "{}", "metrics": {{"sos.pressed": true}}}})", event_time),
        clock.now());
  }
};

}  // namespace

TEST_CASE("an SOS press 11 days late opens its alert, stored at its own time, and says so",
          "[pipeline][i18n]") {
  rig r;
  r.press("2026-11-20T07:31:00Z");  // 15:31 in Shanghai, 11 days before it arrived
  const auto q = r.book.queue();
  REQUIRE(q.size() == 1);  // a life-safety event is never dropped for being old
  const auto& a = q[0];
  CHECK(a.rule == "sos-pressed");
  CHECK(a.priority == 1);
  CHECK(a.summary ==
        "B3栋503室（hall）的设备在 11月20日 15:31 被按下。（此事发生于 11月20日 15:31，11天前；"
        "消息晚到 11天，于 16:30 收到。）");
  CHECK(a.texts.at("en").summary ==
        "The device in B3 unit 503 (hall) was pressed at 20 Nov 15:31. It happened at 20 Nov "
        "15:31 (11 days ago); the message arrived 11 d late, at 16:30.");
  REQUIRE(a.evidence.size() == 1);
  CHECK(a.evidence[0].ts == at("2026-11-20T07:31:00Z"));
  r.writer.flush();
  CHECK(r.st.has_reading_at("button-demo-1", at("2026-11-20T07:31:00Z")));
}

TEST_CASE("an SOS press dated before 2000 is bad-timestamp and opens nothing", "[pipeline]") {
  rig r;
  r.press("1999-12-31T23:59:59Z");
  CHECK(r.book.queue().empty());
  CHECK(r.tel.value("hearth_messages_rejected_total", "reason=\"bad-timestamp\"") == 1);
  r.clock.advance(10s);
  r.press("2026-12-01T08:30:05Z");  // the device's next, true press still counts
  CHECK(r.book.queue().size() == 1);
}
