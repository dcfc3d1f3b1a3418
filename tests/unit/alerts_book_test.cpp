// SPDX-License-Identifier: Apache-2.0
// The alert lifecycle (issue 5): transitions, dedup and episodes, escalation at its
// deadline, silences, away. Time is a manual_clock; nothing sleeps.
#include <catch2/catch.hpp>

#include "alerts/book.hpp"
#include "base/time.hpp"

namespace {
using namespace hearth;
using namespace std::chrono_literals;
using alerts::state;
using alerts::tier;

time_point at(const char* s) {
  return *parse_rfc3339(s);
}

engine::signal fire(const std::string& rule, int priority, const std::string& device,
                    metric m = metric::smoke_alarm, const std::string& household = "H-3-502",
                    std::vector<std::string> residents = {"R-1001"}) {
  engine::signal s;
  s.what = engine::signal::kind::fire;
  s.rule = rule;
  s.priority = priority;
  s.key = rule + "|" + device;
  s.subject = {device, household, "B3", std::move(residents)};
  s.title = rule + " in B3 unit 502";
  s.summary = "because";
  s.evidence = {{device, m, 1, {}}};
  return s;
}

engine::signal sos() {
  return fire("sos-pressed", 1, "sos-3-502", metric::sos_pressed);
}
engine::signal clear(engine::signal s) {
  s.what = engine::signal::kind::clear;
  s.evidence.clear();
  return s;
}

bool has_action(const std::vector<alerts::audit_entry>& j, const std::string& action) {
  return std::any_of(j.begin(), j.end(), [&](const auto& e) { return e.action == action; });
}

struct fixture {
  manual_clock clock{at("2026-11-20T07:00:00Z")};
  alerts::book book{clock, 0};
};

}  // namespace

TEST_CASE("a fire signal opens an alert with the operator tier and a claim deadline", "[alerts]") {
  fixture f;
  auto t = f.book.on_signal(sos());
  REQUIRE(t.size() == 1);
  CHECK(t[0].what == alerts::transition::kind::opened);
  CHECK(t[0].after.state == state::open);
  CHECK(t[0].after.tier == tier::operator_desk);
  CHECK(t[0].after.due_at == at("2026-11-20T07:01:00Z"));
  CHECK(t[0].notify == tier::operator_desk);
  const auto j = f.book.take_journal();
  REQUIRE(j.size() == 1);
  CHECK(j[0].action == "opened");
  CHECK(j[0].alert_id == t[0].after.id);
  CHECK(j[0].actor == "hearthd");
}

TEST_CASE("claim moves open to acknowledged with the caller as assignee", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  f.clock.advance(20s);
  auto r = f.book.claim(id, "op-wang", "calling the resident", "api");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  const auto& a = (*r)[0].after;
  CHECK(a.state == state::acknowledged);
  CHECK(a.assignee == "op-wang");
  CHECK(a.acknowledged_at == at("2026-11-20T07:00:20Z"));
  CHECK(a.due_at == at("2026-11-20T07:20:20Z"));  // P1 resolve target 20 min
  auto j = f.book.take_journal();
  REQUIRE(j.back().action == "claimed");
  CHECK(j.back().note == "calling the resident");
  CHECK(j.back().channel == "api");
}

TEST_CASE("claiming an acknowledged alert is a conflict", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.claim(id, "op-wang", "", "api").ok());
  auto r = f.book.claim(id, "op-li", "", "api");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == "conflict");
  CHECK(f.book.find(id)->assignee == "op-wang");
}

TEST_CASE("resolve from acknowledged records the outcome and ends the episode", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.claim(id, "op-wang", "", "api").ok());
  f.clock.advance(5min);
  auto r = f.book.resolve(id, "help-arrived", "op-wang", "neighbour let the nurse in", "api");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].what == alerts::transition::kind::resolved);
  CHECK((*r)[0].after.state == state::resolved);
  CHECK((*r)[0].after.outcome == "help-arrived");
  CHECK((*r)[0].after.resolved_at == at("2026-11-20T07:05:00Z"));
  CHECK(f.book.queue().empty());
  CHECK(f.book.find(id)->state == state::resolved);
  CHECK(f.book.take_journal().back().note == "help-arrived: neighbour let the nurse in");
}

TEST_CASE("resolve from open is allowed and makes the resolver the assignee", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  auto r = f.book.resolve(id, "false-alarm", "op-li", "", "api");
  REQUIRE(r.ok());
  CHECK((*r)[0].after.assignee == "op-li");
  CHECK((*r)[0].after.outcome == "false-alarm");
}

TEST_CASE("claiming, escalating or resolving a resolved alert is a conflict", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.resolve(id, "resident-fine", "op-li", "", "api").ok());
  CHECK(f.book.claim(id, "op-li", "", "api").err().code == "conflict");
  CHECK(f.book.escalate(id, "op-li", "", "api").err().code == "conflict");
  CHECK(f.book.resolve(id, "resident-fine", "op-li", "", "api").err().code == "conflict");
}

TEST_CASE("an outcome outside the vocabulary is a bad request and changes nothing", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  auto r = f.book.resolve(id, "sorted", "op-li", "", "api");
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == "bad-request");
  CHECK(f.book.find(id)->state == state::open);
  for (auto o : alerts::k_outcomes)
    CHECK(alerts::valid_outcome(o));
}

TEST_CASE("an unknown alert id is not-found for every action", "[alerts]") {
  fixture f;
  CHECK(f.book.claim("99", "a", "", "api").err().code == "not-found");
  CHECK(f.book.add_note("99", "a", "x", "api").err().code == "not-found");
  CHECK(f.book.escalate("99", "a", "", "api").err().code == "not-found");
  CHECK(f.book.resolve("99", "false-alarm", "a", "", "api").err().code == "not-found");
}

TEST_CASE("notes are journaled on open and resolved alerts; an empty note is refused", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  f.book.take_journal();
  REQUIRE(f.book.add_note(id, "op-wang", "called resident, no answer", "api").ok());
  CHECK(f.book.add_note(id, "op-wang", "", "api").err().code == "bad-request");
  CHECK(
      f.book.add_note(id, "op-wang", std::string(alerts::k_max_note + 1, 'x'), "api").err().code ==
      "bad-request");
  REQUIRE(f.book.resolve(id, "no-answer-visit-sent", "op-wang", "", "api").ok());
  REQUIRE(f.book.add_note(id, "sw-lu", "visited at 08:10, all well", "api").ok());
  const auto j = f.book.take_journal();
  REQUIRE(j.size() == 3);
  CHECK(j[0].action == "noted");
  CHECK(j[0].note == "called resident, no answer");
  CHECK(j[2].action == "noted");
  CHECK(j[2].actor == "sw-lu");
}

TEST_CASE("manual escalate moves up one tier, notifies it, and stops at the social worker",
          "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(fire("water-continuous-flow", 3, "meter-3-502"))[0].after.id;
  auto r1 = f.book.escalate(id, "op-wang", "needs a visit", "api");
  REQUIRE(r1.ok());
  CHECK((*r1)[0].after.tier == tier::supervisor);
  CHECK((*r1)[0].notify == tier::supervisor);
  auto r2 = f.book.escalate(id, "sup-zhao", "", "api");
  REQUIRE(r2.ok());
  CHECK((*r2)[0].after.tier == tier::social_worker);
  auto r3 = f.book.escalate(id, "sup-zhao", "", "api");
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.err().code == "conflict");
}

TEST_CASE("an unclaimed P1 escalates at exactly 60 s, not one millisecond before", "[alerts]") {
  fixture f;
  const auto opened = f.clock.now();
  const auto id = f.book.on_signal(sos())[0].after.id;
  f.book.take_journal();
  CHECK(f.book.tick(opened + 60s - 1ms).empty());
  CHECK(f.book.find(id)->tier == tier::operator_desk);
  auto t = f.book.tick(opened + 60s);
  REQUIRE(t.size() == 1);
  CHECK(t[0].action == "escalated");
  CHECK(t[0].after.tier == tier::supervisor);
  CHECK(t[0].notify == tier::supervisor);
  CHECK(t[0].after.misses == 1);
  CHECK(t[0].after.due_at == opened + 120s);
  const auto j = f.book.take_journal();
  REQUIRE(j.size() == 1);
  CHECK(j[0].action == "escalated");
  CHECK(j[0].channel == "timer");
  CHECK(j[0].note.find("missed") != std::string::npos);
}

TEST_CASE("unclaimed alerts climb operator, supervisor, social worker, then keep notifying",
          "[alerts]") {
  fixture f;
  const auto opened = f.clock.now();
  f.book.on_signal(fire("water-continuous-flow", 3, "meter-3-502"));
  CHECK(f.book.tick(opened + 4h - 1ms).empty());
  CHECK(f.book.tick(opened + 4h)[0].after.tier == tier::supervisor);
  CHECK(f.book.tick(opened + 8h)[0].after.tier == tier::social_worker);
  auto t = f.book.tick(opened + 12h);
  REQUIRE(t.size() == 1);
  CHECK(t[0].after.tier == tier::social_worker);
  CHECK(t[0].notify == tier::social_worker);
  CHECK(t[0].after.misses == 3);
}

TEST_CASE("a P2 has 10 minutes to be claimed", "[alerts]") {
  fixture f;
  const auto opened = f.clock.now();
  f.book.on_signal(fire("lone-elder-no-water", 2, "meter-3-502", metric::water_total_l));
  CHECK(f.book.tick(opened + 10min - 1ms).empty());
  CHECK(f.book.tick(opened + 10min).size() == 1);
}

TEST_CASE("a P4 is due at 09:00 local on the next working day", "[alerts]") {
  alerts::escalation_policy p;
  p.timezone = "Asia/Shanghai";
  // Friday 2026-11-20 15:00 in Shanghai (07:00Z) -> Monday 2026-11-23 09:00 (01:00Z).
  CHECK(p.claim_due(4, at("2026-11-20T07:00:00Z")) == at("2026-11-23T01:00:00Z"));
  // Monday 08:00 local -> Tuesday 09:00 local.
  CHECK(p.claim_due(4, at("2026-11-23T00:00:00Z")) == at("2026-11-24T01:00:00Z"));
}

TEST_CASE("a claimed alert unresolved past its resolve target re-alerts the supervisor",
          "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.claim(id, "op-wang", "", "api").ok());
  const auto claimed = f.clock.now();
  CHECK(f.book.tick(claimed + 20min - 1ms).empty());
  auto t = f.book.tick(claimed + 20min);
  REQUIRE(t.size() == 1);
  CHECK(t[0].action == "re-alerted");
  CHECK(t[0].after.state == state::acknowledged);
  CHECK(t[0].after.assignee == "op-wang");
  CHECK(t[0].notify == tier::supervisor);
  CHECK(t[0].after.due_at == claimed + 40min);
}

TEST_CASE("a claimed alert does not escalate at its claim deadline", "[alerts]") {
  fixture f;
  const auto opened = f.clock.now();
  const auto id = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.claim(id, "op-wang", "", "api").ok());
  CHECK(f.book.tick(opened + 60s).empty());
}

TEST_CASE("1,000 fire signals for one key give one alert with 1,000 occurrences", "[alerts]") {
  fixture f;
  std::size_t opened = 0;
  for (int i = 0; i < 1000; ++i) {
    for (const auto& t : f.book.on_signal(fire("smoke-detected", 1, "smoke-3-502")))
      if (t.what == alerts::transition::kind::opened) ++opened;
    f.clock.advance(1ms);
  }
  CHECK(opened == 1);
  const auto q = f.book.queue();
  REQUIRE(q.size() == 1);
  CHECK(q[0].occurrences == 1000);
  CHECK(q[0].evidence.size() <= 20);
}

TEST_CASE("two messages 1 ms apart give one alert", "[alerts]") {
  fixture f;
  auto a = f.book.on_signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm));
  f.clock.advance(1ms);
  auto b = f.book.on_signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm));
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(b[0].what == alerts::transition::kind::updated);
  CHECK(b[0].after.id == a[0].after.id);
  CHECK(b[0].after.occurrences == 2);
  CHECK(f.book.queue().size() == 1);
}

TEST_CASE("a second SOS press raises urgency and re-notifies instead of duplicating", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  f.book.take_journal();
  f.clock.advance(10s);
  auto t = f.book.on_signal(sos());
  REQUIRE(t.size() == 1);
  CHECK(t[0].after.id == id);
  CHECK(t[0].action == "urgency-raised");
  CHECK(t[0].after.urgency == 1);  // counted at once (and stored)
  // The tier was told 10 s ago, when the alert opened: told again when 30 s are over.
  CHECK_FALSE(t[0].publish);
  CHECK_FALSE(t[0].notify.has_value());
  CHECK(f.book.queue().size() == 1);
  CHECK_FALSE(has_action(f.book.take_journal(), "urgency-raised"));
  f.clock.advance(20s);
  t = f.book.tick(f.clock.now());
  REQUIRE(t.size() == 1);
  CHECK(t[0].publish);
  CHECK(t[0].action == "urgency-raised");
  CHECK(t[0].notify == tier::operator_desk);
  CHECK(has_action(f.book.take_journal(), "urgency-raised"));
  f.clock.advance(30s);
  t = f.book.on_signal(sos());  // 30 s after the last notification: told at once
  REQUIRE(t.size() == 1);
  CHECK(t[0].notify == tier::operator_desk);
  CHECK(t[0].after.urgency == 2);
}

TEST_CASE("a repeat of a sensor alarm updates without re-notifying", "[alerts]") {
  fixture f;
  f.book.on_signal(fire("smoke-detected", 1, "smoke-3-502"));
  auto t = f.book.on_signal(fire("smoke-detected", 1, "smoke-3-502"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].action == "repeated");
  CHECK_FALSE(t[0].notify.has_value());
  CHECK(t[0].after.urgency == 0);
}

TEST_CASE("after resolution a new occurrence is a new episode with a new id", "[alerts]") {
  fixture f;
  const auto first = f.book.on_signal(sos())[0].after.id;
  REQUIRE(f.book.resolve(first, "resident-fine", "op-li", "", "api").ok());
  auto t = f.book.on_signal(sos());
  REQUIRE(t.size() == 1);
  CHECK(t[0].what == alerts::transition::kind::opened);
  CHECK(t[0].after.id != first);
  CHECK(t[0].after.occurrences == 1);
}

TEST_CASE("a clear signal auto-resolves only when the rule says so, never when acknowledged",
          "[alerts]") {
  fixture f;
  f.book.set_rule_policies({{"gas-leak", {false, true}}});
  SECTION("auto_resolve rule, open alert: resolved by the daemon") {
    f.book.on_signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm));
    auto t = f.book.on_signal(clear(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm)));
    REQUIRE(t.size() == 1);
    CHECK(t[0].what == alerts::transition::kind::resolved);
    CHECK(t[0].action == "auto-resolved");
    CHECK(f.book.queue().empty());
  }
  SECTION("auto_resolve rule, acknowledged alert: stays with its assignee") {
    const auto id =
        f.book.on_signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm))[0].after.id;
    REQUIRE(f.book.claim(id, "op-wang", "", "api").ok());
    CHECK(f.book.on_signal(clear(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm))).empty());
    CHECK(f.book.find(id)->state == state::acknowledged);
    CHECK(has_action(f.book.take_journal(), "condition-cleared"));
  }
  SECTION("a rule without auto_resolve: the clear is journaled, the alert stays open") {
    const auto id = f.book.on_signal(fire("smoke-detected", 1, "smoke-3-502"))[0].after.id;
    CHECK(f.book.on_signal(clear(fire("smoke-detected", 1, "smoke-3-502"))).empty());
    CHECK(f.book.find(id)->state == state::open);
  }
}

namespace {
alerts::silence building_silence(manual_clock& c, duration d = 2h) {
  alerts::silence s;
  s.kind = alerts::silence::scope::building;
  s.target = "B3";
  s.until = c.now() + d;
  s.reason = "fire alarm maintenance";
  s.author = "sup-zhao";
  return s;
}
}  // namespace

TEST_CASE("a P1 passes through a building maintenance window", "[alerts]") {
  fixture f;
  REQUIRE(f.book.add_silence(building_silence(f.clock), "api").ok());
  auto t = f.book.on_signal(fire("smoke-detected", 1, "smoke-3-502"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].what == alerts::transition::kind::opened);
  CHECK(f.book.queue().size() == 1);
}

TEST_CASE("a maintenance window logs, but does not queue, lower priorities in its scope",
          "[alerts]") {
  fixture f;
  REQUIRE(f.book.add_silence(building_silence(f.clock), "api").ok());
  f.book.take_journal();
  CHECK(f.book.on_signal(fire("device-tamper", 3, "smoke-3-502", metric::device_tamper)).empty());
  CHECK(f.book.queue().empty());
  const auto j = f.book.take_journal();
  REQUIRE(j.size() == 1);
  CHECK(j[0].action == "silenced");
  CHECK(j[0].subject == "device-tamper|smoke-3-502");
  SECTION("another building is not silenced") {
    auto s = fire("device-tamper", 3, "smoke-4-101", metric::device_tamper);
    s.subject.building = "B4";
    CHECK(f.book.on_signal(s).size() == 1);
  }
  SECTION("the window expires at its end and is journaled") {
    f.clock.advance(2h);
    f.book.tick(f.clock.now());
    CHECK(has_action(f.book.take_journal(), "silence-expired"));
    CHECK(f.book.silences().empty());
    CHECK(f.book.on_signal(fire("device-tamper", 3, "smoke-3-502", metric::device_tamper)).size() ==
          1);
  }
  SECTION("a deleted window stops silencing at once") {
    REQUIRE(f.book.remove_silence("1", "sup-zhao", "api").ok());
    CHECK(f.book.on_signal(fire("device-tamper", 3, "smoke-3-502", metric::device_tamper)).size() ==
          1);
    CHECK(f.book.remove_silence("1", "sup-zhao", "api").err().code == "not-found");
  }
}

TEST_CASE("device and household silences match only their own scope", "[alerts]") {
  fixture f;
  auto s = building_silence(f.clock);
  s.kind = alerts::silence::scope::device;
  s.target = "meter-3-502";
  REQUIRE(f.book.add_silence(s, "api").ok());
  s.kind = alerts::silence::scope::household;
  s.target = "H-3-503";
  REQUIRE(f.book.add_silence(s, "api").ok());
  CHECK(
      f.book.on_signal(fire("battery-low", 4, "meter-3-502", metric::device_battery_low)).empty());
  CHECK(
      f.book.on_signal(fire("battery-low", 4, "smoke-3-502", metric::device_battery_low)).size() ==
      1);
  CHECK(f.book
            .on_signal(fire("battery-low", 4, "meter-3-503", metric::device_battery_low, "H-3-503",
                            {"R-1002"}))
            .empty());
}

TEST_CASE("a silence needs a reason, a future end, and at most 30 days", "[alerts]") {
  fixture f;
  auto s = building_silence(f.clock);
  s.reason.clear();
  CHECK(f.book.add_silence(s, "api").err().code == "bad-request");
  s = building_silence(f.clock, 0ms);
  CHECK(f.book.add_silence(s, "api").err().code == "bad-request");
  s = building_silence(f.clock, alerts::k_max_silence + 1ms);
  CHECK(f.book.add_silence(s, "api").err().code == "bad-request");
}

namespace {
alerts::away away_until(const std::string& resident, time_point until) {
  return {resident, {}, until, "in hospital", "sw-lu"};
}
}  // namespace

TEST_CASE("away suppresses only welfare rules, only for that resident, until it ends", "[alerts]") {
  fixture f;
  f.book.set_rule_policies({{"lone-elder-no-water", {true, false}}});
  REQUIRE(f.book.set_away(away_until("R-1001", f.clock.now() + 24h), "api").ok());
  f.book.take_journal();

  CHECK(f.book.on_signal(fire("lone-elder-no-water", 2, "meter-3-502", metric::water_total_l))
            .empty());
  CHECK(has_action(f.book.take_journal(), "suppressed-away"));
  // Not a welfare rule: still queued while the resident is away.
  CHECK(f.book.on_signal(fire("water-continuous-flow", 3, "meter-3-502", metric::water_total_l))
            .size() == 1);
  // Another resident's welfare rule is not paused.
  CHECK(f.book
            .on_signal(fire("lone-elder-no-water", 2, "meter-3-503", metric::water_total_l,
                            "H-3-503", {"R-1002"}))
            .size() == 1);
  // Life safety is never paused.
  CHECK(f.book.on_signal(sos()).size() == 1);

  f.clock.advance(24h);
  f.book.tick(f.clock.now());
  CHECK(has_action(f.book.take_journal(), "away-ended"));
  CHECK(f.book.on_signal(fire("lone-elder-no-water", 2, "meter-3-502", metric::water_total_l))
            .size() == 1);
}

TEST_CASE("the queue is ordered by priority, then age", "[alerts]") {
  fixture f;
  f.book.on_signal(fire("battery-low", 4, "smoke-3-502", metric::device_battery_low));
  f.clock.advance(1s);
  f.book.on_signal(fire("device-tamper", 3, "gas-3-502", metric::device_tamper));
  f.clock.advance(1s);
  f.book.on_signal(sos());
  f.clock.advance(1s);
  f.book.on_signal(fire("device-tamper", 3, "smoke-3-502", metric::device_tamper));
  const auto q = f.book.queue();
  REQUIRE(q.size() == 4);
  CHECK(q[0].rule == "sos-pressed");
  CHECK(q[1].subject.device_id == "gas-3-502");
  CHECK(q[2].subject.device_id == "smoke-3-502");
  CHECK(q[3].rule == "battery-low");
}

TEST_CASE("restore keeps tiers and deadlines, and an overdue deadline fires on the first tick",
          "[alerts]") {
  fixture f;
  const auto opened = f.clock.now();
  f.book.on_signal(sos());
  auto snapshot = f.book.queue();

  manual_clock later{opened + 5min};
  alerts::book fresh{later, 1};
  fresh.restore(snapshot);
  REQUIRE(fresh.next_deadline() == opened + 60s);
  auto t = fresh.tick(later.now());
  REQUIRE(t.size() == 1);
  CHECK(t[0].after.tier == tier::supervisor);
  // The next opened alert does not reuse an id.
  CHECK(fresh.on_signal(fire("gas-leak", 1, "gas-3-502", metric::gas_alarm))[0].after.id == "2");
}

TEST_CASE("lifecycle fields survive the JSON round trip the store uses", "[alerts]") {
  fixture f;
  const auto id = f.book.on_signal(sos())[0].after.id;
  auto a = (*f.book.claim(id, "op-wang", "", "api"))[0].after;
  a.tier = tier::supervisor;
  a.urgency = 2;
  auto v = alerts::to_json(a);
  // The published alert JSON has exactly the fields of DESIGN.md.
  CHECK(v.as_object().size() == 13);
  CHECK_FALSE(v.as_object().contains("tier"));
  for (const auto& [k, x] : alerts::lifecycle_json(a))
    v.as_object()[k] = x;
  auto back = alerts::alert_from_json(v);
  REQUIRE(back);
  CHECK(back->tier == tier::supervisor);
  CHECK(back->urgency == 2);
  CHECK(back->due_at == a.due_at);
  CHECK(back->acknowledged_at == a.acknowledged_at);
}

TEST_CASE("journal rows that could not be stored go back in front, in order", "[alerts]") {
  fixture f;
  f.book.on_signal(sos());
  auto first = f.book.take_journal();
  REQUIRE(first.size() == 1);
  f.clock.advance(30s);
  f.book.on_signal(sos());  // a second press: journaled after the failed write
  CHECK(f.book.requeue_journal(first) == 0);
  const auto j = f.book.take_journal();
  REQUIRE(j.size() == 2);
  CHECK(j[0].action == "opened");
  CHECK(j[1].action == "urgency-raised");
}

// ---------------------------------------------------------------- issue 13 defects

TEST_CASE("a condition that began during a silence alerts when the silence is deleted",
          "[alerts]") {
  // Before: tamper reported while B3 was silenced; the silence deleted; later reports of
  // the same tamper raised nothing (the rule had fired once, into the silence).
  fixture f;
  f.book.set_rule_policies({{"device-tamper", {false, false, true}}});
  REQUIRE(f.book.add_silence(building_silence(f.clock), "api").ok());
  CHECK(f.book.on_signal(fire("device-tamper", 3, "smoke-3-502", metric::device_tamper)).empty());
  CHECK(f.book.queue().empty());
  f.clock.advance(10min);
  auto released = f.book.remove_silence("1", "sup-zhao", "api");
  REQUIRE(released.ok());
  REQUIRE(released->size() == 1);
  CHECK((*released)[0].what == alerts::transition::kind::opened);
  CHECK((*released)[0].after.rule == "device-tamper");
  CHECK(f.book.queue().size() == 1);
  const auto j = f.book.take_journal();
  CHECK(std::any_of(j.begin(), j.end(), [](const auto& e) {
    return e.action == "opened" && e.note.find("began during a maintenance window") != std::string::npos;
  }));
}

TEST_CASE("a condition that began and ended during a silence raises nothing after it",
          "[alerts]") {
  fixture f;
  f.book.set_rule_policies({{"device-tamper", {false, false, true}}});
  REQUIRE(f.book.add_silence(building_silence(f.clock), "api").ok());
  const auto s = fire("device-tamper", 3, "smoke-3-502", metric::device_tamper);
  CHECK(f.book.on_signal(s).empty());
  CHECK(f.book.on_signal(clear(s)).empty());
  f.clock.advance(2h);  // the window expires by itself
  CHECK(f.book.tick(f.clock.now()).empty());
  CHECK(f.book.queue().empty());
}

TEST_CASE("a condition still true when a silence expires alerts at its end", "[alerts]") {
  fixture f;
  f.book.set_rule_policies({{"battery-low", {false, false, true}}});
  REQUIRE(f.book.add_silence(building_silence(f.clock), "api").ok());
  CHECK(f.book.on_signal(fire("battery-low", 4, "smoke-3-502", metric::device_battery_low)).empty());
  f.clock.advance(2h);
  auto t = f.book.tick(f.clock.now());
  REQUIRE(t.size() == 1);
  CHECK(t[0].what == alerts::transition::kind::opened);
  SECTION("an event rule's report during a silence stays muted: it is not a lasting state") {
    fixture g;
    REQUIRE(g.book.add_silence(building_silence(g.clock), "api").ok());
    CHECK(g.book.on_signal(fire("water-leak", 3, "leak-3-502", metric::water_leak)).empty());
    g.clock.advance(2h);
    CHECK(g.book.tick(g.clock.now()).empty());
  }
}

TEST_CASE("a thousand presses in one episode: counted, but told at most every 30 s",
          "[alerts]") {
  // Before: 1,000 presses sent 1,000 notifications and 1,000 alert publications and wrote
  // 2,000 timeline rows.
  fixture f;
  auto opened = f.book.on_signal(sos());
  REQUIRE(opened.size() == 1);
  // Claimed at once, so that no claim deadline escalates it during the test; a press on a
  // claimed SOS alert raises its urgency just the same.
  REQUIRE(f.book.claim(opened[0].after.id, "op-wang", "", "api").ok());
  std::size_t published = 1, notified = 1;
  auto count = [&](const std::vector<alerts::transition>& ts) {
    for (const auto& t : ts) {
      if (!t.publish) continue;
      ++published;
      if (t.notify) ++notified;
    }
  };
  for (int i = 0; i < 999; ++i) {
    f.clock.advance(20ms);  // 1,000 presses in 20 s
    count(f.book.on_signal(sos()));
  }
  const auto* a = f.book.find(opened[0].after.id);
  REQUIRE(a);
  CHECK(a->occurrences == 1000);
  CHECK(a->urgency == 999);  // every press raises the urgency
  CHECK(published == 1);     // inside the first 30 s: none told yet
  f.clock.advance(11s);
  count(f.book.tick(f.clock.now()));  // the window ends: one notification for all of them
  CHECK(published == 2);
  CHECK(notified == 2);
  f.clock.advance(1min);
  count(f.book.tick(f.clock.now()));
  CHECK(published == 2);  // nothing new to tell
  count(f.book.on_signal(sos()));  // a press after the window is told at once
  CHECK(published == 3);
  const auto j = f.book.take_journal();
  const auto raised = std::count_if(j.begin(), j.end(),
                                    [](const auto& e) { return e.action == "urgency-raised"; });
  CHECK(raised == 2);
  CHECK(std::any_of(j.begin(), j.end(), [](const auto& e) {
    return e.note.find("pressed again 999 times") != std::string::npos;
  }));
}
