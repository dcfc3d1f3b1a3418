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
  const std::vector<std::pair<std::string, int>> want{
      {"battery-low", 4},     {"building-tilt-critical", 1}, {"building-tilt-warning", 3},
      {"device-offline", 4},  {"device-tamper", 3},          {"gas-leak", 1},
      {"gateway-offline", 3}, {"lone-elder-no-water", 2},    {"smoke-detected", 1},
      {"sos-pressed", 1},     {"water-continuous-flow", 3}};
  REQUIRE(got == want);
}

TEST_CASE("each rule kind parses from YAML", "[engine]") {
  CHECK(how<engine::kinds::threshold>(
            rule_from("id: a\npriority: 3\nkind: threshold\ntitle: t\nsummary: s\nfor: 10min\n"
                      "when: {metric: gas.lel_pct, at_least: 20}\nclear: {metric: gas.lel_pct, "
                      "below: 10}\n"))
            .for_ == 10min);
  CHECK(
      how<engine::kinds::inactivity>(
          rule_from(
              "id: a\npriority: 2\nkind: inactivity\ntitle: t\nsummary: s\nmetric: water.total_l\n"
              "window: 6h\nmin_change: 5\n"))
          .window == 6h);
  CHECK(how<engine::kinds::no_data>(
            rule_from("id: a\npriority: 4\nkind: no_data\ntitle: t\nsummary: s\nintervals: 3\n"))
            .intervals == 3);
  CHECK(how<engine::kinds::baseline>(
            rule_from("id: a\npriority: 3\nkind: baseline\ntitle: t\nsummary: s\nfraction: 0.5\n"))
            .fraction == 0.5);
  CHECK(how<engine::kinds::slots>(
            rule_from(
                "id: a\npriority: 3\nkind: slots\ntitle: t\nsummary: s\nslot: 15min\nspan: 6h\n"))
            .slot == 15min);
  CHECK(how<engine::kinds::daily_total>(
            rule_from(
                "id: a\npriority: 4\nkind: daily_total\ntitle: t\nsummary: s\nat_least: 1500\n"))
            .daily_limit == 1500);
}

TEST_CASE("a key of another kind is a file:line error, not silently ignored", "[engine]") {
  diagnostics d;
  auto r = engine::parse_rule(
      "id: a\npriority: 3\nkind: threshold\ntitle: t\nsummary: s\n"
      "when: {metric: device.tamper, is: true}\nwindow: 12h\n",
      "rules/a.yaml", d);
  REQUIRE_FALSE(r);
  REQUIRE(d.size() == 1);
  CHECK(d[0].text() == "rules/a.yaml:7: unknown key 'window' in rule");
}

TEST_CASE("a bad kind, a bad duration and an unknown placeholder are all reported", "[engine]") {
  diagnostics d;
  CHECK_FALSE(engine::parse_rule("id: a\npriority: 3\nkind: sometimes\ntitle: t\nsummary: s\n",
                                 "a.yaml", d));
  CHECK_FALSE(engine::parse_rule(
      "id: a\npriority: 2\nkind: inactivity\ntitle: '{resident_name}'\nsummary: s\n"
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
      engine::parse_rule("id: a\npriority: 2\nkind: no_data\ntitle: t\nsummary: s\nintervals: 2\n"
                         "welfare: true\nsubject: building\n",
                         "a.yaml", d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].line == 7);
}
