// SPDX-License-Identifier: Apache-2.0
// The supervisor's reports: the SLA board, the shift handover (and its acknowledgement),
// and the CSV export of alerts for the monthly report.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>

#include "api/messages.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"
#include "reports/csv.hpp"
#include "reports/shifts.hpp"
#include "reports/sla.hpp"
#include "store/audit.hpp"

namespace hearth::api {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
/// The most alerts one report reads; a longer period is refused (narrow it).
constexpr std::size_t k_max_report_alerts = 100'000;
constexpr duration k_max_period = std::chrono::days(400);
constexpr duration k_handover_window = 8h;

json::value seconds_or_null(const std::optional<duration>& d) {
  if (!d) return nullptr;
  return std::chrono::duration<double>(*d).count();
}
json::value time_or_null(const std::optional<time_point>& t) {
  if (!t) return nullptr;
  return json::value(format_rfc3339(*t));
}

/// The period a report covers: `from` and `to` (RFC 3339), or `shift=current|previous`
/// (the config's shifts), or by default the current shift.
result<reports::period> period_of(context& c, const request& r) {
  auto q = [&](const char* k) {
    auto it = r.query.find(k);
    return it == r.query.end() ? std::string() : it->second;
  };
  const auto from = q("from"), to = q("to"), shift = q("shift");
  const auto now = c.book.now();
  if (!shift.empty()) {
    if (!from.empty() || !to.empty())
      return make_error("bad-request", "give either shift or from and to");
    if (shift != "current" && shift != "previous")
      return make_error("bad-request", "shift must be current or previous");
    return reports::shift_of(now, c.desk.shifts, c.book.policy().timezone,
                             shift == "previous" ? 1 : 0);
  }
  if (from.empty() && to.empty())
    return reports::shift_of(now, c.desk.shifts, c.book.policy().timezone);
  auto f = parse_rfc3339(from);
  auto t = to.empty() ? std::optional<time_point>(now) : parse_rfc3339(to);
  if (!f || !t) return make_error("bad-request", "from and to must be RFC 3339 times");
  if (*t <= *f) return make_error("bad-request", "to must be after from");
  if (*t - *f > k_max_period) return make_error("bad-request", "a period is at most 400 days");
  return reports::period{*f, *t};
}

std::string device_type_of(const registry::registry& reg, const alerts::alert& a) {
  const auto* d = reg.find_device(a.subject.device_id);
  return d ? std::string(d->type) : std::string();
}

json::object stats_json(const reports::time_stats& s) {
  json::object o;
  o["count"] = s.count;
  o["median_s"] = seconds_or_null(s.median);
  o["p95_s"] = seconds_or_null(s.p95);
  return o;
}

json::object shares_json(const std::map<std::string, reports::share_count>& m) {
  json::object o;
  for (const auto& [k, v] : m) {
    json::object x;
    x["alerts"] = v.alerts;
    x["false_alarms"] = v.false_alarms;
    x["share"] = v.share ? json::value(*v.share) : json::value(nullptr);
    o[k.empty() ? "unknown" : k] = std::move(x);
  }
  return o;
}

json::object board_json(const reports::board& b) {
  json::object o;
  o["from"] = format_rfc3339(b.from);
  o["to"] = format_rfc3339(b.to);
  o["now"] = format_rfc3339(b.now);
  o["operator"] = b.operator_name ? json::value(*b.operator_name) : json::value(nullptr);
  o["alerts"] = b.alerts;
  json::array figs;
  for (const auto& f : b.figures) {
    json::object x;
    x["priority"] = f.figure.priority;
    x["within_s"] = seconds_or_null(f.figure.within);
    x["target"] = f.figure.share;
    x["judged"] = f.judged;
    x["in_time"] = f.in_time;
    x["late"] = f.late;
    x["pending"] = f.pending;
    x["share"] = f.share ? json::value(*f.share) : json::value(nullptr);
    x["met"] = f.met;
    figs.push_back(std::move(x));
  }
  o["figures"] = std::move(figs);
  json::object claim, resolve;
  for (std::size_t i = 0; i < 5; ++i) {
    const auto key = i < 4 ? fmt::format("p{}", i + 1) : std::string("all");
    claim[key] = stats_json(b.claim[i]);
    resolve[key] = stats_json(b.resolve[i]);
  }
  o["claim"] = std::move(claim);
  o["resolve"] = std::move(resolve);
  json::object outcomes;
  for (const auto& [rule, m] : b.outcomes) {
    json::object x;
    for (const auto& [outcome, n] : m)
      x[outcome] = n;
    outcomes[rule] = std::move(x);
  }
  o["outcomes"] = std::move(outcomes);
  json::object fa;
  fa["by_rule"] = shares_json(b.false_alarms_by_rule);
  fa["by_device_type"] = shares_json(b.false_alarms_by_device_type);
  o["false_alarms"] = std::move(fa);
  json::array ex;
  for (const auto& e : b.exceptions) {
    json::object x;
    x["id"] = e.id;
    x["rule"] = e.rule;
    x["priority"] = e.priority;
    x["opened_at"] = format_rfc3339(e.opened_at);
    x["answered_at"] = time_or_null(e.answered_at);
    x["answered_by"] = e.answered_by.empty() ? json::value(nullptr) : json::value(e.answered_by);
    x["waited_s"] = std::chrono::duration<double>(e.waited).count();
    x["due"] = format_rfc3339(e.due);
    x["note"] = e.note;
    ex.push_back(std::move(x));
  }
  o["exceptions"] = std::move(ex);
  return o;
}

response sla_board(context& c, const call& k) {
  if (auto bad = check_query(k.req, {"from", "to", "shift", "operator"})) return *bad;
  auto p = period_of(c, k.req);
  if (!p) return error_response(p.err());
  std::optional<std::string> who;
  if (auto it = k.req.query.find("operator"); it != k.req.query.end() && !it->second.empty())
    who = it->second;
  auto alerts = c.store.alerts_opened(p->from, p->to, k_max_report_alerts);
  if (alerts.size() > k_max_report_alerts)
    return json_error(413, "too-large", "more than 100,000 alerts in the period; narrow it");
  const auto& reg = c.pipeline.devices();
  std::vector<reports::sla_record> records;
  records.reserve(alerts.size());
  for (const auto& a : alerts)
    records.push_back(reports::record_of(a, device_type_of(reg, a)));
  auto b =
      reports::compute(records, c.desk.figures, c.book.policy(), p->from, p->to, c.book.now(), who);
  // Only the exceptions need their notes: one indexed look-up each.
  std::vector<std::string> ids;
  for (const auto& e : b.exceptions)
    ids.push_back(e.id);
  const auto notes = c.store.latest_notes(ids, false);
  for (auto& e : b.exceptions)
    if (auto it = notes.find(e.id); it != notes.end()) e.note = it->second;
  return json_ok(board_json(b));
}

// --- handover ----------------------------------------------------------------------------

json::object handover_alert(const alerts::alert& a, const std::map<std::string, std::string>& notes,
                            std::string_view locale) {
  auto o = alert_brief(a, locale);
  o["assignee"] = a.assignee.empty() ? json::value(nullptr) : json::value(a.assignee);
  o["building"] = a.subject.building;
  o["household_id"] =
      a.subject.household_id.empty() ? json::value(nullptr) : json::value(a.subject.household_id);
  auto it_text = a.texts.find(locale);
  o["summary"] = it_text != a.texts.end() ? it_text->second.summary : a.summary;
  o["resolved_at"] = a.state == alerts::state::resolved ? json::value(format_rfc3339(a.resolved_at))
                                                        : json::value(nullptr);
  // A resolution's audit note is "<outcome>" or "<outcome>: <note>"; the outcome has its
  // own field, in words on the screen, so the note is only what the person wrote.
  std::string_view note;
  if (auto it = notes.find(a.id); it != notes.end()) note = it->second;
  if (!a.outcome.empty() && note.starts_with(a.outcome)) {
    if (note.size() == a.outcome.size())
      note = {};
    else if (note.substr(a.outcome.size()).starts_with(": "))
      note.remove_prefix(a.outcome.size() + 2);
  }
  o["last_note"] = note.empty() ? json::value(nullptr) : json::value(note);
  return o;
}

json::object ack_json(const store::handover_row& a) {
  json::object o;
  o["id"] = a.id;
  o["from"] = format_rfc3339(a.from);
  o["to"] = format_rfc3339(a.to);
  o["by"] = a.by;
  o["at"] = format_rfc3339(a.at);
  o["note"] = a.note;
  return o;
}

bool in(time_point t, time_point from, time_point to) {
  return t >= from && t < to;
}

response handover(context& c, const call& k) {
  if (auto bad = check_query(k.req, {"at"})) return *bad;
  auto at = c.book.now();
  if (auto it = k.req.query.find("at"); it != k.req.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "at must be an RFC 3339 time");
    at = *t;
  }
  const auto locale = caller_locale(k.req, c.locale);
  const auto from = at - k_handover_window, next = at + k_handover_window;
  auto& db = c.store;
  const auto& reg = c.pipeline.devices();
  const auto active = c.book.queue();
  auto resolved = db.alerts_resolved_since(from, k_max_report_alerts);
  std::erase_if(resolved, [&](const auto& a) { return !in(a.resolved_at, from, at); });
  std::vector<std::string> ids;
  for (const auto& a : active)
    ids.push_back(a.id);
  for (const auto& a : resolved)
    ids.push_back(a.id);
  const auto notes = db.latest_notes(ids, true);

  json::object o;
  o["from"] = format_rfc3339(from);
  o["at"] = format_rfc3339(at);
  o["next_until"] = format_rfc3339(next);
  json::array open, offline, done;
  for (const auto& a : active) {
    open.push_back(handover_alert(a, notes, locale));
    if (a.rule == "device-offline" || a.rule == "gateway-offline") {
      json::object d;
      d["device_id"] = a.subject.device_id;
      d["type"] = device_type_of(reg, a);
      d["building"] = a.subject.building;
      d["since"] = format_rfc3339(a.opened_at);
      d["alert_id"] = a.id;
      d["rule"] = a.rule;
      offline.push_back(std::move(d));
    }
  }
  for (const auto& a : resolved)
    done.push_back(handover_alert(a, notes, locale));
  o["open"] = std::move(open);
  o["resolved"] = std::move(done);
  o["devices_offline"] = std::move(offline);

  json::array silences;
  for (const auto& s : c.book.silences()) {
    if (!in(s.created_at, at, next) && !in(s.until, at, next)) continue;
    silences.push_back(silence_json(s));
  }
  o["silences"] = std::move(silences);
  // Who is away is personal data (whereabouts): a supervisor may see it; each is an
  // audited read.
  json::array aways;
  std::vector<std::string> shown;
  for (const auto& a : c.book.aways()) {
    if (!in(a.since, at, next) && !in(a.until, at, next)) continue;
    const auto* r = reg.find_resident(a.resident_id);
    if (!r || !auth::resident_in_scope(k.who, *r)) continue;
    json::object x;
    x["resident_id"] = a.resident_id;
    x["name"] = r->name.view();
    x["household_id"] = r->household_id.view();
    x["since"] = format_rfc3339(a.since);
    x["until"] = format_rfc3339(a.until);
    x["reason"] = a.reason;
    x["author"] = a.author;
    aways.push_back(std::move(x));
    shown.push_back(a.resident_id);
  }
  o["aways"] = std::move(aways);
  c.audit_reads(k.who.user, shown);

  json::array acks;
  for (const auto& a : db.handovers(from, next))
    acks.push_back(ack_json(a));
  o["acknowledgements"] = std::move(acks);
  return in_language(json_ok(o), locale);
}

response handover_ack(context& c, const call& k) {
  auto body = parse_json_body(k.req.body, {"at", "note"}, {"at"});
  if (!body) return error_response(body.err());
  auto at = parse_rfc3339(get(*body, "at"));
  if (!at) return json_error(400, "bad-request", "'at' must be an RFC 3339 time");
  const auto note = get(*body, "note");
  if (note.size() > alerts::k_max_note)
    return json_error(400, "bad-request", "a note is at most 2000 characters");
  const auto now = c.book.now();
  if (*at > now + 1min) return json_error(400, "bad-request", "'at' is in the future");
  auto ack = c.store.save_handover({0, *at - k_handover_window, *at, k.who.user, now, note});
  c.book.journal({now, k.who.user, "handover-acknowledged", "", fmt::format("handover:{}", ack.id),
                  note.empty() ? fmt::format("shift {} to {}", format_rfc3339(ack.from),
                                             format_rfc3339(ack.to))
                               : note,
                  "api"});
  c.pipeline.record({});
  auto res = json_ok(ack_json(ack));
  res.status = 201;
  return res;
}

// --- export ------------------------------------------------------------------------------

std::string seconds_text(duration d) {
  return fmt::format("{}", std::llround(std::chrono::duration<double>(d).count()));
}

response export_alerts(context& c, const call& k) {
  if (auto bad = check_query(k.req, {"from", "to"})) return *bad;
  if (!k.req.query.count("from"))
    return json_error(400, "bad-request", "from is required (and to, or until now)");
  auto p = period_of(c, k.req);
  if (!p) return error_response(p.err());
  const auto locale = caller_locale(k.req, c.locale);
  auto& db = c.store;
  const auto alerts = db.alerts_opened(p->from, p->to, k_max_report_alerts);
  if (alerts.size() > k_max_report_alerts)
    return json_error(413, "too-large", "more than 100,000 alerts in the period; narrow it");
  const auto& reg = c.pipeline.devices();
  std::string out = reports::csv_row(
      {"id", "rule", "priority", "state", "title", "building", "household_id", "device_id",
       "device_type", "opened_at", "answered_at", "answered_by", "seconds_to_answer", "resolved_at",
       "outcome", "seconds_to_resolve", "escalations", "occurrences", "timeline"});
  for (const auto& a : alerts) {
    const auto r = reports::record_of(a, device_type_of(reg, a));
    const auto text = a.texts.find(locale);
    std::string timeline;
    for (const auto& row : db.audit_for_alert(a.id)) {
      const auto& e = row.entry;
      if (!timeline.empty()) timeline += '\n';
      timeline += fmt::format("{} {} {}", format_rfc3339(e.at), e.actor, e.action);
      if (!e.note.empty()) timeline += ": " + e.note;
    }
    out += reports::csv_row({
        a.id,
        a.rule,
        std::to_string(a.priority),
        std::string(alerts::state_name(a.state)),
        text != a.texts.end() ? text->second.title : a.title,
        a.subject.building,
        a.subject.household_id,
        a.subject.device_id,
        r.device_type,
        format_rfc3339(a.opened_at),
        r.answered_at ? format_rfc3339(*r.answered_at) : "",
        r.answered_by,
        r.answered_at ? seconds_text(*r.answered_at - a.opened_at) : "",
        r.resolved_at ? format_rfc3339(*r.resolved_at) : "",
        r.outcome.empty() && r.auto_resolved ? "auto-resolved" : r.outcome,
        r.resolved_at ? seconds_text(*r.resolved_at - a.opened_at) : "",
        std::to_string(a.misses),
        std::to_string(a.occurrences),
        timeline,
    });
  }
  const auto now = c.book.now();
  c.book.journal({now, k.who.user, "alerts-exported", "",
                  fmt::format("alerts:{}/{}", format_rfc3339(p->from), format_rfc3339(p->to)),
                  fmt::format("{} alerts as CSV", alerts.size()), "api"});
  c.pipeline.record({});
  response res = in_language({200, "text/csv; charset=utf-8", std::move(out), {}, {}, {}}, locale);
  res.headers["Content-Disposition"] = fmt::format("attachment; filename=\"hearth-alerts-{}.csv\"",
                                                   format_rfc3339(p->from).substr(0, 10));
  return res;
}

}  // namespace

std::vector<route> report_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view see = "see reports";
  return {
      {"GET", "reports/sla", read_reports, see, [&c](const call& k) { return sla_board(c, k); }},
      {"GET", "reports/handover", read_reports, see,
       [&c](const call& k) { return handover(c, k); }},
      {"POST", "reports/handover/ack", acknowledge_handover, "acknowledge a handover",
       [&c](const call& k) { return handover_ack(c, k); }},
      {"GET", "alerts/export", read_reports, "export alerts",
       [&c](const call& k) { return export_alerts(c, k); }},
  };
}

}  // namespace hearth::api
