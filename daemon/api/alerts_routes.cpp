// SPDX-License-Identifier: Apache-2.0
// The alert queue, one alert and the operator's actions on it.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "api/messages.hpp"
#include "api/page.hpp"
#include "api/query_thread.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "store/audit.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

/// The queue's sort key (priority, then age, then id) as a cursor, and back.
std::vector<std::string> alert_key(const alerts::alert& a) {
  return {std::to_string(a.priority), std::to_string(a.opened_at.time_since_epoch().count()), a.id};
}
std::optional<alerts::alert> alert_at(const page& pg) {
  const auto priority = cursor_number<int>(pg, 0);
  const auto ms = cursor_number<std::int64_t>(pg, 1);
  if (!priority || !ms) return std::nullopt;
  alerts::alert a;
  a.priority = *priority;
  a.opened_at = time_point(duration(*ms));
  a.id = pg.after[2];
  return a;
}

/// One page of `list` (in queue order) as the caller may see it.
response alerts_page(std::vector<alerts::alert> list, const registry::registry& reg,
                     const alerts::escalation_policy& policy, const auth::principal& who,
                     const page& pg, const std::optional<alerts::alert>& after,
                     const std::string& locale) {
  std::erase_if(list, [&](const auto& a) { return !auth::alert_in_scope(who, reg, a); });
  const auto items = take_page<alerts::alert>(
      list, pg, [&](const alerts::alert& a, const auto&) { return alerts::queue_order(*after, a); },
      alert_key);
  json::array arr;
  for (const auto* a : items.items)
    arr.push_back(alert_view(*a, policy, locale));
  json::object o;
  o["alerts"] = std::move(arr);
  set_next_cursor(o, items.next);
  return in_language(json_ok(o), locale);
}

response alerts_list(context& c, const call& k) {
  const auto& r = k.req;
  if (auto bad = check_query(r, {"state", "priority", "building", "limit", "cursor"})) return *bad;
  auto pg = read_page(r, 3);
  if (!pg) return error_response(pg.err());
  std::optional<alerts::alert> after;
  if (!pg->after.empty() && !(after = alert_at(*pg))) return bad_cursor();
  alerts::queue_filter f;
  if (auto it = r.query.find("state"); it != r.query.end() && !it->second.empty()) {
    f.state = alerts::state_from_name(it->second);
    if (!f.state)
      return json_error(400, "bad-request", "state must be open, acknowledged or resolved");
  }
  if (auto it = r.query.find("priority"); it != r.query.end() && !it->second.empty()) {
    int pr = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), pr);
    if (ec != std::errc{} || ptr != it->second.data() + it->second.size() || pr < 1 || pr > 4)
      return json_error(400, "bad-request", "priority must be 1 to 4");
    f.priority = pr;
  }
  if (auto it = r.query.find("building"); it != r.query.end() && !it->second.empty())
    f.building = it->second;
  const auto locale = std::string(caller_locale(r, c.locale));
  if (f.state == alerts::state::resolved) {
    // From the database, off the domain thread (query_thread.hpp), with the registry as it
    // is now (an immutable snapshot).
    return run_query(c, [f, p = *pg, after, locale, who = k.who, policy = c.book.policy(),
                         reg = c.pipeline.devices_snapshot()](store::store& st) {
      std::vector<alerts::alert> list;
      for (auto& a : st.load_alerts(alerts::state::resolved))
        if ((!f.priority || a.priority == *f.priority) &&
            (!f.building || a.subject.building == *f.building))
          list.push_back(std::move(a));
      return alerts_page(std::move(list), *reg, policy, who, p, after, locale);
    });
  }
  return alerts_page(c.book.queue(f), c.pipeline.devices(), c.book.policy(), k.who, *pg, after,
                     locale);
}

/// The alert, from the book or the store, when `p` may see it.
std::optional<alerts::alert> visible_alert(context& c, const std::string& id,
                                           const auth::principal& p) {
  std::optional<alerts::alert> a;
  if (const auto* known = c.book.find(id))
    a = *known;
  else
    a = c.store.load_alert(id);
  if (!a || !auth::alert_in_scope(p, c.pipeline.devices(), *a)) return std::nullopt;
  return a;
}

response alert_one(context& c, const std::string& id, const call& k) {
  const auto& who = k.who;
  auto a = visible_alert(c, id, who);
  if (!a) return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
  const auto locale = caller_locale(k.req, c.locale);
  auto v = alert_view(*a, c.book.policy(), locale);
  std::vector<alerts::audit_entry> rows;
  for (auto& row : c.store.audit_for_alert(a->id))
    rows.push_back(std::move(row.entry));
  const i18n::context words{*c.words, locale, i18n::zone(c.timezone), c.book.now()};
  auto timeline = timeline_view(rows, words);
  const bool personal = auth::allowed(who.role, auth::permission::read_personal_data);
  // Operators' notes are free text ("her daughter says she fell last week"): for the roles
  // that see residents' personal data only. An integrator sees that a note was written.
  if (!personal)
    for (auto& row : timeline)
      row.as_object()["note"] = nullptr;
  v["timeline"] = std::move(timeline);
  if (personal) {
    // The call sheet: who, where, whom to call. Each resident shown is an audited read.
    const auto& reg = c.pipeline.devices();
    const auto aways = c.book.aways();
    json::array residents;
    std::vector<std::string> shown;
    for (const auto& rid : a->subject.resident_ids) {
      const auto* r = reg.find_resident(rid);
      if (!r || !auth::resident_in_scope(who, *r)) continue;
      auto aw = std::find_if(aways.begin(), aways.end(),
                             [&](const auto& x) { return x.resident_id == rid; });
      residents.push_back(resident_json(*r, reg, aw == aways.end() ? nullptr : &*aw));
      shown.push_back(rid);
    }
    v["residents"] = std::move(residents);
    const auto* h = reg.find_household(a->subject.household_id);
    v["household"] = h && auth::household_in_scope(who, reg, h->id)
                         ? json::value(household_json(*h))
                         : json::value(nullptr);
    c.audit_reads(who.user, shown);
  }
  return in_language(json_ok(v), locale);
}

/// Makes a resolved alert that only the store still has known to the book.
void recall(context& c, const std::string& id) {
  if (c.book.find(id)) return;
  if (auto a = c.store.load_alert(id); a && a->state == alerts::state::resolved)
    c.book.remember(*a);
}

response alert_action(context& c, std::string_view action, const call& k) {
  const auto& id = k.arg();
  if (!visible_alert(c, id, k.who))
    return json_error(404, "not-found", fmt::format("no alert {}", id.substr(0, 40)));
  const std::string& actor = k.who.user;
  recall(c, id);
  const std::string channel = "api";
  result<std::vector<alerts::transition>> done = std::vector<alerts::transition>{};
  if (action == "claim" || action == "escalate") {
    auto body = parse_json_body(k.req.body, {"note"}, {});
    if (!body) return error_response(body.err());
    done = action == "claim" ? c.book.claim(id, actor, get(*body, "note"), channel)
                             : c.book.escalate(id, actor, get(*body, "note"), channel);
  } else if (action == "notes") {
    auto body = parse_json_body(k.req.body, {"text"}, {"text"});
    if (!body) return error_response(body.err());
    if (auto st = c.book.add_note(id, actor, get(*body, "text"), channel); !st)
      return error_response(st.err());
  } else {  // resolve
    auto body = parse_json_body(k.req.body, {"outcome", "note"}, {"outcome"});
    if (!body) return error_response(body.err());
    done = c.book.resolve(id, get(*body, "outcome"), actor, get(*body, "note"), channel);
  }
  if (!done) return error_response(done.err());
  c.pipeline.record(*done);
  return alert_one(c, id, k);
}

}  // namespace

std::vector<route> alert_routes(context& c) {
  using enum auth::permission;
  auto action = [&c](std::string_view what) {
    return [&c, what](const call& k) { return alert_action(c, what, k); };
  };
  return {
      {"GET", "alerts", read_alerts, "see alerts",
       [&c](const call& k) { return alerts_list(c, k); }},
      {"GET", "alerts/{}", read_alerts, "see alerts",
       [&c](const call& k) {
         if (auto bad = check_query(k.req, {})) return *bad;
         return alert_one(c, k.arg(), k);
       }},
      {"POST", "alerts/{}/claim", act_on_alerts, "act on alerts", action("claim")},
      {"POST", "alerts/{}/notes", act_on_alerts, "act on alerts", action("notes")},
      {"POST", "alerts/{}/escalate", act_on_alerts, "act on alerts", action("escalate")},
      {"POST", "alerts/{}/resolve", act_on_alerts, "act on alerts", action("resolve")},
  };
}

}  // namespace hearth::api
