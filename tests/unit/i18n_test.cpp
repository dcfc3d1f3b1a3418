// SPDX-License-Identifier: Apache-2.0
// The message catalogue: languages, texts checked in every language, the shipped
// catalogue complete, and dates, durations, ages and readings in Chinese and English.
#include <date/tz.h>

#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "i18n/catalogue.hpp"
#include "i18n/format.hpp"
#include "i18n/keys.hpp"
#include "i18n/locale.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;

const i18n::catalogue& shipped() {
  static const auto c = [] {
    diagnostics d;
    auto c = i18n::catalogue::load_dir(HEARTH_SOURCE_DIR "/messages", d);
    c.check_required("messages", d);
    for (const auto& x : d)
      UNSCOPED_INFO(x.text());
    REQUIRE(d.empty());
    return c;
  }();
  return c;
}

time_point at(const char* rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

i18n::context in(std::string_view locale, const char* now) {
  return {shipped(), locale, date::locate_zone("Asia/Shanghai"), at(now)};
}

diagnostics load(const std::string& yaml, i18n::catalogue& c, const std::string& file = "m.yaml") {
  diagnostics d;
  c.load_text(yaml, file, d);
  return d;
}

}  // namespace

TEST_CASE("a caller's language comes from the tag or Accept-Language, zh-CN by default", "[i18n]") {
  CHECK(i18n::locale_from_tag("zh") == "zh-CN");
  CHECK(i18n::locale_from_tag("zh-Hans-CN") == "zh-CN");
  CHECK(i18n::locale_from_tag("ZH_cn") == "zh-CN");
  CHECK(i18n::locale_from_tag("en-GB") == "en");
  CHECK_FALSE(i18n::locale_from_tag("zh-TW"));  // traditional script is not shipped
  CHECK_FALSE(i18n::locale_from_tag("fr"));
  CHECK_FALSE(i18n::locale_from_tag("english"));
  CHECK(i18n::negotiate("en-US,en;q=0.9,zh-CN;q=0.8", "zh-CN") == "en");
  CHECK(i18n::negotiate("fr-FR, zh;q=0.5, en;q=0.4", "en") == "zh-CN");
  CHECK(i18n::negotiate("de, fr;q=0.9", "zh-CN") == "zh-CN");
  CHECK(i18n::negotiate("", "zh-CN") == "zh-CN");
  CHECK(i18n::negotiate("en;q=0, zh;q=bad", "zh-CN") == "zh-CN");
}

TEST_CASE("a text needs every language and the same placeholders in each, or file:line says so",
          "[i18n]") {
  i18n::catalogue c;
  auto d = load("a:\n  zh-CN: 甲\n", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "m.yaml:2: 'a' has no en text");

  d = load("b:\n  zh-CN: \"{place}燃气浓度 {value}\"\n  en: \"Gas in {place}\"\n", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "m.yaml:3: 'b': the en text lacks {value}, which another language uses");

  d = load("c: { zh-CN: 丙, en: c, fr: c }\n", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "m.yaml:1: 'c': unknown language 'fr' (the languages are zh-CN, en)");

  d = load("e: { zh-CN: \"{place\", en: x }\n", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "m.yaml:1: 'e.zh-CN': unclosed '{' at column 1");

  d = load("f: 丁\n", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.starts_with("'f' needs a text in each language"));
  CHECK(c.size() == 0);
}

TEST_CASE("catalogue keys nest, and a key defined twice is refused at its second place", "[i18n]") {
  i18n::catalogue c;
  REQUIRE(load("metric:\n  gas.lel_pct:\n    name: { zh-CN: 燃气浓度, en: gas }\n", c, "a.yaml")
              .empty());
  REQUIRE(c.has("metric.gas.lel_pct.name"));
  CHECK(c.get("zh-CN", "metric.gas.lel_pct.name") == "燃气浓度");
  CHECK(c.get("en", "metric.gas.lel_pct.name") == "gas");
  auto d = load("\n\nmetric.gas.lel_pct.name: { zh-CN: 燃气, en: gas }\n", c, "b.yaml");
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() ==
        "b.yaml:3: key 'metric.gas.lel_pct.name' is defined twice (first at a.yaml:3)");
  CHECK(c.get("zh-CN", "no.such.key") == "no.such.key");  // a gap shows, never a blank
}

TEST_CASE("plural forms: the one form for 1, the other for the rest", "[i18n]") {
  const auto en = in("en", "2026-12-03T10:00:00+08:00");
  CHECK(i18n::format_age(en, at("2026-12-02T09:00:00+08:00")) == "1 day ago");
  CHECK(i18n::format_age(en, at("2026-12-01T09:00:00+08:00")) == "2 days ago");
  CHECK(i18n::format_age(en, at("2026-12-03T07:00:00+08:00")) == "3 hours ago");
  CHECK(i18n::format_age(en, at("2026-12-03T09:59:30+08:00")) == "just now");
  const auto zh = in("zh-CN", "2026-12-03T10:00:00+08:00");
  CHECK(i18n::format_age(zh, at("2026-12-01T09:00:00+08:00")) == "2天前");
  CHECK(i18n::format_age(zh, at("2026-12-03T09:45:00+08:00")) == "15分钟前");
  CHECK(i18n::format_age(zh, at("2026-12-03T09:59:30+08:00")) == "刚刚");
}

TEST_CASE("the shipped catalogue has every key the daemon renders, in both languages", "[i18n]") {
  const auto& c = shipped();
  for (const auto& k : i18n::required_keys()) {
    INFO(k);
    REQUIRE(c.has(k));
    CHECK_FALSE(c.get("zh-CN", k).empty());
    CHECK_FALSE(c.get("en", k).empty());
  }
  CHECK(c.get("zh-CN", "metric.smoke.alarm.true") == "检测到烟雾");
  CHECK(c.get("en", "metric.smoke.alarm.true") == "smoke detected");
  CHECK(c.get("zh-CN", "timeline.channel.timer") == "计时");
}

TEST_CASE("a time carries its date when it is not today, and the year when not this year",
          "[i18n]") {
  const auto zh = in("zh-CN", "2026-12-01T18:00:00+08:00");
  const auto en = in("en", "2026-12-01T18:00:00+08:00");
  CHECK(i18n::format_time(zh, at("2026-12-01T16:27:40+08:00")) == "16:27");
  CHECK(i18n::format_time(en, at("2026-12-01T16:27:40+08:00")) == "16:27");
  // 15:31 on 20 Nov: the press 11 days before it arrived.
  CHECK(i18n::format_time(zh, at("2026-11-20T15:31:00+08:00")) == "11月20日 15:31");
  CHECK(i18n::format_time(en, at("2026-11-20T15:31:00+08:00")) == "20 Nov 15:31");
  CHECK(i18n::format_time(zh, at("2025-12-31T23:59:00+08:00")) == "2025年12月31日 23:59");
  CHECK(i18n::format_time(en, at("2025-12-31T23:59:00+08:00")) == "31 Dec 2025 23:59");
  // Local days: 23:30 UTC on 30 Nov is already 1 Dec in Shanghai.
  CHECK(i18n::format_time(zh, at("2026-11-30T23:30:00Z")) == "07:30");
  CHECK(i18n::format_date(zh, at("2026-11-30T12:00:00Z")) == "11月30日");
  CHECK(i18n::format_date(en, at("2026-11-30T12:00:00Z")) == "30 Nov");
}

TEST_CASE("durations in their two largest units, never like a clock time", "[i18n]") {
  const auto zh = in("zh-CN", "2026-12-01T18:00:00+08:00");
  const auto en = in("en", "2026-12-01T18:00:00+08:00");
  CHECK(i18n::format_duration(zh, 3min + 18s) == "3分18秒");
  CHECK(i18n::format_duration(en, 3min + 18s) == "3 min 18 s");
  CHECK(i18n::format_duration(zh, 9h + 50min + 12s) == "9小时50分");
  CHECK(i18n::format_duration(en, 9h + 50min + 12s) == "9 h 50 min");
  CHECK(i18n::format_duration(zh, 51h) == "2天3小时");
  CHECK(i18n::format_duration(en, 48h + 10min) == "2 d");
  CHECK(i18n::format_duration(zh, 0s) == "0秒");
  CHECK(i18n::format_duration(en, -5s) == "0 s");
  CHECK(i18n::format_duration(en, 12h) == "12 h");
}

TEST_CASE("readings in their units, and messages built from the catalogue", "[i18n]") {
  const auto zh = in("zh-CN", "2026-12-01T18:00:00+08:00");
  const auto en = in("en", "2026-12-01T18:00:00+08:00");
  CHECK(i18n::format_quantity(zh, 35, "%LEL") == "35 %LEL");
  CHECK(i18n::format_quantity(zh, 8.4, "L") == "8 升");
  CHECK(i18n::format_quantity(en, 8.4, "L") == "8 L");
  CHECK(i18n::format_quantity(en, 3.24, "permille") == "3.2 ‰");
  CHECK(i18n::format_quantity(zh, 12, "%") == "12%");

  i18n::message gas{"condition.at_least",
                    {{"metric", i18n::arg::of_message({"metric.gas.lel_pct.name", {}})},
                     {"value", i18n::arg::of_quantity(35, "%LEL")},
                     {"limit", i18n::arg::of_quantity(20, "%LEL")}}};
  CHECK(i18n::render(en, gas) == "gas at 35 %LEL (alarm level 20 %LEL)");
  CHECK(i18n::render(zh, gas) == "燃气浓度 35 %LEL（报警值 20 %LEL）");

  auto names = i18n::arg::of_list({{"metric.water.total_l.name", {}},
                                   {"metric.door.open.name", {}},
                                   {"metric.motion.detected.name", {}}});
  CHECK(i18n::render_arg(en, names) == "water meter reading, door and motion");
  CHECK(i18n::render_arg(zh, names) == "水表读数、门和人体感应");

  i18n::message place{
      "place.household",
      {{"building", i18n::arg::of_text("B3")}, {"unit", i18n::arg::of_text("502")}}};
  CHECK(i18n::render(zh, place) == "B3栋502室");
  CHECK(i18n::render(en, place) == "B3 unit 502");
}
