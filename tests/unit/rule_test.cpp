// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "engine/kinds/baseline.hpp"
#include "engine/kinds/daily_total.hpp"
#include "engine/kinds/inactivity.hpp"
#include "engine/kinds/no_data.hpp"
#include "engine/kinds/slots.hpp"
#include "engine/kinds/threshold.hpp"
#include "support/engine_fixture.hpp"

using namespace hearth;
using namespace hearth::test;

namespace {
/// The rule's kind and its parameters, as its kind parsed them.
template <class K>
K how(const engine::rule& r) {
  const auto* k = dynamic_cast<const K*>(r.how.get());
  if (!k) throw std::runtime_error("rule '" + r.id + "' is not of that kind");
  return *k;
}
}  // namespace

TEST_CASE("the shipped rules are exactly the DESIGN.md table, with its ids and priorities",
          "[engine]") {
  diagnostics d;
  auto rules = engine::load_rules_dir(HEARTH_SOURCE_DIR "/rules", d);
  REQUIRE(d.empty());
  std::vector<std::pair<std::string, int>> got;
  for (const auto& r : rules)
    got.emplace_back(r.id, r.priority);
  std::sort(got.begin(), got.end());
  const std::vector<std::pair<std::string, int>> want{{"battery-low", 4},
                                                      {"building-tilt-critical", 1},
                                                      {"building-tilt-warning", 3},
                                                      {"device-offline", 4},
                                                      {"device-tamper", 3},
                                                      {"door-open-at-night", 3},
                                                      {"gas-leak", 1},
                                                      {"gateway-offline", 3},
                                                      {"lone-elder-inactive", 2},
                                                      {"lone-elder-no-water", 2},
                                                      {"smoke-detected", 1},
                                                      {"sos-pressed", 1},
                                                      {"water-continuous-flow", 3}};
  REQUIRE(got == want);
}

TEST_CASE("each rule kind parses from YAML", "[engine]") {
  CHECK(how<engine::kinds::threshold>(
            rule_from("id: a\npriority: 3\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nfor: 10min\n"
                      "when: {metric: gas.lel_pct, at_least: 20}\nclear: {metric: gas.lel_pct, "
                      "below: 10}\n"))
            .for_ == 10min);
  CHECK(
      how<engine::kinds::inactivity>(
          rule_from(
              "id: a\npriority: 2\nkind: inactivity\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nmetric: water.total_l\n"
              "window: 6h\nmin_change: 5\n"))
          .window == 6h);
  CHECK(how<engine::kinds::no_data>(
            rule_from("id: a\npriority: 4\nkind: no_data\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nintervals: 3\n"))
            .intervals == 3);
  CHECK(how<engine::kinds::baseline>(
            rule_from("id: a\npriority: 3\nkind: baseline\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nfraction: 0.5\n"))
            .fraction == 0.5);
  CHECK(how<engine::kinds::slots>(
            rule_from(
                "id: a\npriority: 3\nkind: slots\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nslot: 15min\nspan: 6h\n"))
            .slot == 15min);
  CHECK(how<engine::kinds::daily_total>(
            rule_from(
                "id: a\npriority: 4\nkind: daily_total\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\nat_least: 1500\n"))
            .daily_limit == 1500);
}

TEST_CASE("a key of another kind is a file:line error, not silently ignored", "[engine]") {
  diagnostics d;
  auto r = engine::parse_rule(
      "id: a\npriority: 3\nkind: threshold\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\n"
      "when: {metric: device.tamper, is: true}\nwindow: 12h\n",
      "rules/a.yaml", d);
  REQUIRE_FALSE(r);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "rules/a.yaml:7: unknown key 'window' in rule");
}

TEST_CASE("a bad kind, a bad duration and an unknown placeholder are all reported", "[engine]") {
  diagnostics d;
  CHECK_FALSE(engine::parse_rule(
      "id: a\npriority: 3\nkind: sometimes\ntitle: {zh-CN: t, en: t}\nsummary: {zh-CN: s, en: s}\n",
      "a.yaml", d));
  CHECK_FALSE(
      engine::parse_rule("id: a\npriority: 2\nkind: inactivity\ntitle: {zh-CN: '{resident_name}', "
                         "en: '{resident_name}'}\nsummary: {zh-CN: s, en: s}\n"
                         "window: twelve hours\nmin_change: 10\n",
                         "b.yaml", d));
  REQUIRE(d.size() == 3);
  CHECK(d[0].text().starts_with("a.yaml:3: unknown rule kind 'sometimes'"));
  CHECK(d[1].text() == "b.yaml:4: title: unknown placeholder '{resident_name}'");
  CHECK(d[2].text().starts_with("b.yaml:6: 'window' must be a duration"));
}

TEST_CASE("a welfare rule about a building is refused", "[engine]") {
  diagnostics d;
  CHECK_FALSE(
      engine::parse_rule("id: a\npriority: 2\nkind: no_data\ntitle: {zh-CN: t, en: t}\nsummary: "
                         "{zh-CN: s, en: s}\nintervals: 2\n"
                         "welfare: true\nsubject: building\n",
                         "a.yaml", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].line == 7);
}

TEST_CASE("a placeholder the rule's kind never fills is a file:line error", "[engine][i18n]") {
  diagnostics d;
  // Before: {baseline} passed the check and an operator read "{baseline}" in the summary.
  CHECK_FALSE(engine::parse_rule(
      "id: a\npriority: 3\nkind: threshold\ntitle: {zh-CN: 甲, en: a}\nsummary:\n"
      "  zh-CN: '{place} {value}（平时 {baseline}）'\n  en: '{place} {value} (usually "
      "{baseline})'\n"
      "when: {metric: device.tamper, is: true}\n",
      "rules/a.yaml", d));
  REQUIRE(d.size() == 2);  // once per language, at its line
  CHECK(d[0].text().starts_with(
      "rules/a.yaml:6: summary: placeholder '{baseline}' is never filled by a threshold rule "
      "(it fills {device_id}, "));
  CHECK(d[1].text().starts_with("rules/a.yaml:7: summary: placeholder '{baseline}'"));
}

TEST_CASE("a rule text missing a language, or a placeholder in one language, is a file:line error",
          "[engine][i18n]") {
  diagnostics d;
  CHECK_FALSE(engine::parse_rule(
      "id: a\npriority: 1\nkind: event\ntitle: SOS in {place}\n"
      "summary: {zh-CN: '{place}的 SOS 按键在 {time} 被按下', en: 'SOS pressed in {place}'}\n"
      "when: {metric: sos.pressed, is: true}\n",
      "rules/a.yaml", d));
  REQUIRE(d.size() == 2);
  CHECK(d[0].text().starts_with("rules/a.yaml:4: 'title' needs a text in each language"));
  CHECK(d[1].text() ==
        "rules/a.yaml:5: 'summary': the en text lacks {time}, which another language uses");
}

TEST_CASE("every shipped rule has its texts in zh-CN and in en", "[engine][i18n]") {
  diagnostics d;
  auto rules = engine::load_rules_dir(HEARTH_SOURCE_DIR "/rules", d);
  REQUIRE(d.empty());
  for (const auto& r : rules) {
    INFO(r.id);
    CHECK_FALSE(r.title_text.str("zh-CN").empty());
    CHECK_FALSE(r.summary_text.str("en").empty());
    CHECK(r.title == r.title_text.str("zh-CN"));  // the default locale until one is chosen
  }
  engine::select_locale(rules, "en");
  CHECK(rules.front().title == rules.front().title_text.str("en"));
}
