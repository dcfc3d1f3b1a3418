// SPDX-License-Identifier: Apache-2.0
#include "alerts/book.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/time.hpp"

namespace hearth::alerts {
namespace {

constexpr std::size_t k_max_evidence = 20;
constexpr std::size_t k_resolved_kept = 10'000;
const std::string k_daemon = "hearthd";

bool is_human_press(const engine::signal& s) {
  return std::any_of(s.evidence.begin(), s.evidence.end(), [](const evidence& e) {
    return e.metric == metric::sos_pressed && e.value != 0;
  });
}

tier next_tier(tier t) {
  return t == tier::operator_desk ? tier::supervisor : tier::social_worker;
}

}  // namespace

std::string_view transition_name(transition::kind k) {
  switch (k) {
    case transition::kind::opened:
      return "opened";
    case transition::kind::updated:
      return "updated";
    case transition::kind::resolved:
      return "resolved";
  }
  return "updated";
}

std::string_view scope_name(silence::scope s) {
  switch (s) {
    case silence::scope::device:
      return "device_id";
    case silence::scope::household:
      return "household_id";
    case silence::scope::building:
      return "building";
  }
  return "device_id";
}

bool queue_order(const alert& a, const alert& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.opened_at != b.opened_at) return a.opened_at < b.opened_at;
  if (a.id.size() != b.id.size()) return a.id.size() < b.id.size();
  return a.id < b.id;
}

void book::restore(std::vector<alert> active) {
  for (auto& a : active) {
    if (a.state == state::resolved) {
      remember(std::move(a));
      continue;
    }
    if (a.due_at == time_point{})
      a.due_at = a.state == state::open
                     ? policy_.claim_due(a.priority, a.opened_at)
                     : policy_.resolve_due(a.priority, a.acknowledged_at == time_point{}
                                                           ? a.updated_at
                                                           : a.acknowledged_at);
    std::uint64_t n = 0;
    if (std::from_chars(a.id.data(), a.id.data() + a.id.size(), n).ec == std::errc{} &&
        n > last_id_)
      last_id_ = n;
    by_key_[a.key] = a.id;
    active_[a.id] = std::move(a);
  }
}

void book::restore_silences(std::vector<silence> s, std::uint64_t last_silence_id) {
  last_silence_id_ = std::max(last_silence_id_, last_silence_id);
  for (auto& x : s)
    silences_[x.id] = std::move(x);
}

void book::restore_aways(std::vector<away> a) {
  for (auto& x : a)
    aways_[x.resident_id] = std::move(x);
}

void book::remember(alert resolved) {
  if (active_.count(resolved.id) || resolved_.count(resolved.id)) return;
  resolved_order_.push_back(resolved.id);
  resolved_[resolved.id] = std::move(resolved);
  while (resolved_order_.size() > k_resolved_kept) {
    resolved_.erase(resolved_order_.front());
    resolved_order_.pop_front();
  }
}

rule_policy book::policy_of(const std::string& rule) const {
  auto it = rules_.find(rule);
  return it == rules_.end() ? rule_policy{} : it->second;
}

const silence* book::silenced_by(const subject& s, time_point at) const {
  for (const auto& [id, x] : silences_) {
    if (at < x.created_at || at >= x.until) continue;
    const std::string* v = nullptr;
    switch (x.kind) {
      case silence::scope::device:
        v = &s.device_id;
        break;
      case silence::scope::household:
        v = &s.household_id;
        break;
      case silence::scope::building:
        v = &s.building;
        break;
    }
    if (!v->empty() && *v == x.target) return &x;
  }
  return nullptr;
}

bool book::is_away(const std::string& resident_id, time_point at) const {
  auto it = aways_.find(resident_id);
  return it != aways_.end() && at >= it->second.since && at < it->second.until;
}

void book::record(const alert& a, const std::string& action, const std::string& actor,
                  const std::string& note, const std::string& channel, std::string subject) {
  journal_.push_back({clock_.now(), actor, action, a.id,
                      subject.empty() ? a.key : std::move(subject), note, channel});
}

std::vector<audit_entry> book::take_journal() {
  std::vector<audit_entry> out;
  out.swap(journal_);
  return out;
}

std::size_t book::requeue_journal(std::vector<audit_entry> rows) {
  rows.insert(rows.end(), std::make_move_iterator(journal_.begin()),
              std::make_move_iterator(journal_.end()));
  journal_ = std::move(rows);
  if (journal_.size() <= k_max_journal) return 0;
  const auto dropped = journal_.size() - k_max_journal;
  journal_.erase(journal_.begin(), journal_.begin() + static_cast<std::ptrdiff_t>(dropped));
  return dropped;
}

alert* book::lookup(const std::string& id) {
  if (auto it = active_.find(id); it != active_.end()) return &it->second;
  if (auto it = resolved_.find(id); it != resolved_.end()) return &it->second;
  return nullptr;
}

bool book::has_evidence(std::string_view device_id, time_point ts) const {
  auto in = [&](const alert& a) {
    return std::any_of(a.evidence.begin(), a.evidence.end(),
                       [&](const evidence& e) { return e.ts == ts && e.device_id == device_id; });
  };
  for (const auto& [id, a] : active_)
    if (in(a)) return true;
  for (const auto& [id, a] : resolved_)
    if (in(a)) return true;
  return false;
}

const alert* book::find(const std::string& id) const {
  if (auto it = active_.find(id); it != active_.end()) return &it->second;
  if (auto it = resolved_.find(id); it != resolved_.end()) return &it->second;
  return nullptr;
}

transition book::retire(alert& a, const std::string& action) {
  a.state = state::resolved;
  a.resolved_at = clock_.now();
  a.updated_at = std::max(a.updated_at, a.resolved_at);
  a.due_at = {};
  transition t{transition::kind::resolved, a, action, std::nullopt};
  by_key_.erase(a.key);
  forget_repeats(a.id);
  alert copy = std::move(a);
  active_.erase(copy.id);  // `a` refers into active_: nothing may touch it after this line
  remember(std::move(copy));
  return t;
}

std::vector<transition> book::on_signal(const engine::signal& s) {
  std::vector<transition> out;
  const auto now = clock_.now();
  const auto pol = policy_of(s.rule);
  auto existing = by_key_.find(s.key);

  if (s.what == engine::signal::kind::clear) {
    held_.erase(s.key);  // a condition that ended during a silence has nothing to tell
    if (existing == by_key_.end()) return out;
    auto& a = active_.at(existing->second);
    if (!pol.auto_resolve) {
      record(a, "condition-cleared", k_daemon, "the rule reports the condition has cleared",
             "rule");
      return out;
    }
    if (a.state == state::acknowledged) {
      // Someone owns it: they decide when it is over, not the sensor.
      record(a, "condition-cleared", k_daemon,
             "the condition has cleared; the alert stays with its assignee", "rule");
      return out;
    }
    record(a, "auto-resolved", k_daemon, "the condition has cleared", "rule");
    out.push_back(retire(a, "auto-resolved"));
    return out;
  }

  if (existing != by_key_.end()) {
    auto& a = active_.at(existing->second);
    a.occurrences += 1;
    a.updated_at = std::max(a.updated_at, now);
    // Keep the first evidence and append the newest, so the operator sees how it started
    // and what is happening now; bounded so a chattering device cannot grow it forever.
    for (const auto& e : s.evidence)
      a.evidence.push_back(e);
    if (a.evidence.size() > k_max_evidence)
      a.evidence.erase(a.evidence.begin() + 1, a.evidence.end() - (k_max_evidence - 1));
    a.summary = s.summary;
    for (const auto& [loc, w] : s.texts)
      a.texts[loc].summary = w.summary;
    const bool press = is_human_press(s);
    // A person asking again is more urgent, not a duplicate: the urgency rises with every
    // press. The tier is told again at most every k_renotify_every; the presses in between
    // are counted now (the alert is stored) and told together when the window ends, so
    // a thousand presses are not a thousand notifications and audit rows.
    if (press) a.urgency += 1;
    auto& q = told_[a.id];
    if (now - q.last_told < k_renotify_every) {
      if (q.repeats == 0) {
        q.first_occurrence = a.occurrences;
        repeats_due_.emplace(q.last_told + k_renotify_every, a.id);
      }
      q.repeats += 1;
      if (press) q.presses += 1;
      transition t{transition::kind::updated, a, press ? "urgency-raised" : "repeated",
                   std::nullopt};
      t.publish = false;
      out.push_back(std::move(t));
      return out;
    }
    if (q.repeats > 0) repeats_due_.erase({q.last_told + k_renotify_every, a.id});
    q = {now, 0, 0, 0};
    if (press) {
      record(a, "urgency-raised", k_daemon,
             fmt::format("pressed again ({} presses); urgency {}", a.occurrences, a.urgency),
             "rule");
      out.push_back({transition::kind::updated, a, "urgency-raised", a.tier});
    } else {
      record(a, "repeated", k_daemon, fmt::format("occurrence {}", a.occurrences), "rule");
      out.push_back({transition::kind::updated, a, "repeated", std::nullopt});
    }
    return out;
  }

  // Silences and away never mute priority 1 (DESIGN.md: life-safety is never silenced).
  if (s.priority != 1) {
    if (const auto* x = silenced_by(s.subject, now)) {
      journal_.push_back({now, k_daemon, "silenced", "", s.key,
                          fmt::format("{} during silence {} ({}={}): {}", s.rule, x->id,
                                      scope_name(x->kind), x->target, x->reason),
                          "rule"});
      // A state rule fires once, when its condition starts: had the fire been dropped,
      // the condition would never alert after the silence. Kept until it ends or clears.
      if (pol.state && (held_.size() < k_max_held || held_.count(s.key))) held_[s.key] = s;
      return out;
    }
    if (pol.welfare && !s.subject.resident_ids.empty() &&
        std::all_of(s.subject.resident_ids.begin(), s.subject.resident_ids.end(),
                    [&](const std::string& r) { return is_away(r, now); })) {
      journal_.push_back({now, k_daemon, "suppressed-away", "", s.key,
                          fmt::format("{} paused: the resident is away", s.rule), "rule"});
      return out;
    }
  }

  alert a;
  a.id = std::to_string(id_source_ ? id_source_() : ++last_id_);
  a.key = s.key;
  a.rule = s.rule;
  a.priority = s.priority;
  a.state = state::open;
  a.title = s.title;
  a.summary = s.summary;
  a.texts = s.texts;
  a.subject = s.subject;
  a.opened_at = now;
  a.updated_at = now;
  a.occurrences = 1;
  a.evidence = s.evidence;
  a.due_at = policy_.claim_due(a.priority, now);
  by_key_[a.key] = a.id;
  forget_repeats(a.id);
  told_[a.id] = {now, 0, 0, 0};
  record(a, "opened", k_daemon, s.title, "rule");
  out.push_back({transition::kind::opened, a, "opened", tier::operator_desk});
  active_[a.id] = std::move(a);
  return out;
}

namespace {
error not_found(const std::string& id) {
  return make_error("not-found", fmt::format("no alert {}", id.substr(0, 40)));
}
status check_note(const std::string& note) {
  if (note.size() > k_max_note)
    return make_error("bad-request", fmt::format("a note is at most {} characters", k_max_note));
  return ok();
}
}  // namespace

result<std::vector<transition>> book::claim(const std::string& id, const std::string& actor,
                                            const std::string& note, const std::string& channel) {
  if (auto c = check_note(note); !c) return c.err();
  auto* a = lookup(id);
  if (!a) return not_found(id);
  if (a->state == state::resolved)
    return make_error("conflict", fmt::format("alert {} is already resolved", id));
  if (a->state == state::acknowledged)
    return make_error("conflict",
                      fmt::format("alert {} is already claimed by {}", id, a->assignee));
  const auto now = clock_.now();
  a->state = state::acknowledged;
  a->assignee = actor;
  a->acknowledged_at = now;
  a->updated_at = std::max(a->updated_at, now);
  a->due_at = policy_.resolve_due(a->priority, now);
  record(*a, "claimed", actor, note, channel);
  return std::vector<transition>{{transition::kind::updated, *a, "claimed", std::nullopt}};
}

status book::add_note(const std::string& id, const std::string& actor, const std::string& text,
                      const std::string& channel) {
  if (text.empty()) return make_error("bad-request", "a note needs text");
  if (auto c = check_note(text); !c) return c;
  const auto* a = lookup(id);
  if (!a) return not_found(id);
  record(*a, "noted", actor, text, channel);
  return ok();
}

result<std::vector<transition>> book::escalate(const std::string& id, const std::string& actor,
                                               const std::string& note,
                                               const std::string& channel) {
  if (auto c = check_note(note); !c) return c.err();
  auto* a = lookup(id);
  if (!a) return not_found(id);
  if (a->state == state::resolved)
    return make_error("conflict", fmt::format("alert {} is already resolved", id));
  if (a->tier == tier::social_worker)
    return make_error("conflict",
                      fmt::format("alert {} is already with the social worker, the last tier", id));
  const auto now = clock_.now();
  a->tier = next_tier(a->tier);
  a->updated_at = std::max(a->updated_at, now);
  // The new tier gets a full response target of its own.
  if (a->state == state::open) a->due_at = policy_.claim_due(a->priority, now);
  record(*a, "escalated", actor,
         note.empty() ? fmt::format("moved to the {} tier", tier_name(a->tier))
                      : fmt::format("moved to the {} tier: {}", tier_name(a->tier), note),
         channel);
  return std::vector<transition>{{transition::kind::updated, *a, "escalated", a->tier}};
}

result<std::vector<transition>> book::resolve(const std::string& id, const std::string& outcome,
                                              const std::string& actor, const std::string& note,
                                              const std::string& channel) {
  if (auto c = check_note(note); !c) return c.err();
  if (!valid_outcome(outcome)) {
    std::string list;
    for (auto o : k_outcomes)
      list += (list.empty() ? "" : ", ") + std::string(o);
    return make_error("bad-request", fmt::format("outcome must be one of {}", list));
  }
  auto* a = lookup(id);
  if (!a) return not_found(id);
  if (a->state == state::resolved)
    return make_error("conflict", fmt::format("alert {} is already resolved", id));
  // Resolving an unclaimed alert is allowed (a false alarm seen at once); whoever resolves
  // it becomes its assignee, so that the record says who closed it.
  if (a->assignee.empty()) a->assignee = actor;
  a->outcome = outcome;
  record(*a, "resolved", actor, note.empty() ? outcome : fmt::format("{}: {}", outcome, note),
         channel);
  return std::vector<transition>{retire(*a, "resolved")};
}

std::vector<transition> book::tick(time_point now) {
  std::vector<transition> out;
  for (auto& [id, a] : active_) {
    if (a.due_at == time_point{} || a.due_at > now) continue;
    a.misses += 1;
    a.updated_at = std::max(a.updated_at, now);
    // The row is written now (the trail is append-only and in time order); the note says
    // when the target was due, which matters after a restart that found it overdue.
    const auto due = format_rfc3339(a.due_at);
    if (a.state == state::open) {
      const auto from = a.tier;
      if (a.tier != tier::social_worker) a.tier = next_tier(a.tier);
      const auto note =
          from == a.tier
              ? fmt::format(
                    "claim target ({}) missed again, {} misses; the {} tier is notified again", due,
                    a.misses, tier_name(a.tier))
              : fmt::format("claim target ({}) missed; moved from the {} tier to the {} tier", due,
                            tier_name(from), tier_name(a.tier));
      journal_.push_back({now, k_daemon, "escalated", a.id, a.key, note, "timer"});
      a.due_at = policy_.claim_due(a.priority, now);
      out.push_back({transition::kind::updated, a, "escalated", a.tier});
    } else {
      const auto to = std::max(a.tier, tier::supervisor);
      journal_.push_back({now, k_daemon, "re-alerted", a.id, a.key,
                          fmt::format("claimed by {} but not resolved by its target ({}); the {} "
                                      "tier is notified",
                                      a.assignee, due, tier_name(to)),
                          "timer"});
      a.due_at = policy_.resolve_due(a.priority, now);
      out.push_back({transition::kind::updated, a, "re-alerted", to});
    }
  }
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.until > now) {
      ++it;
      continue;
    }
    journal_.push_back(
        {now, k_daemon, "silence-expired", "", "silence:" + it->first, it->second.reason, "timer"});
    it = silences_.erase(it);
  }
  release_held(out);
  for (auto& t : publish_repeats(now))
    out.push_back(std::move(t));
  for (auto it = aways_.begin(); it != aways_.end();) {
    if (it->second.until > now) {
      ++it;
      continue;
    }
    journal_.push_back({now, k_daemon, "away-ended", "", "resident:" + it->first,
                        "welfare rules re-armed", "timer"});
    it = aways_.erase(it);
  }
  std::sort(out.begin(), out.end(),
            [](const transition& x, const transition& y) { return queue_order(x.after, y.after); });
  return out;
}

std::optional<time_point> book::next_deadline() const {
  std::optional<time_point> t;
  auto take = [&](time_point x) {
    if (x != time_point{} && (!t || x < *t)) t = x;
  };
  for (const auto& [id, a] : active_)
    take(a.due_at);
  for (const auto& [id, s] : silences_)
    take(s.until);
  for (const auto& [id, a] : aways_)
    take(a.until);
  if (!repeats_due_.empty()) take(repeats_due_.begin()->first);
  return t;
}

result<silence> book::add_silence(silence s, const std::string& channel) {
  const auto now = clock_.now();
  if (s.target.empty())
    return make_error("bad-request", "a silence needs a device, household or building");
  if (s.reason.empty()) return make_error("bad-request", "a silence needs a reason");
  if (s.reason.size() > k_max_note) return make_error("bad-request", "the reason is too long");
  if (s.until <= now) return make_error("bad-request", "'until' must be in the future");
  if (s.until - now > k_max_silence)
    return make_error("bad-request",
                      fmt::format("a silence lasts at most {}", describe_duration(k_max_silence)));
  s.id = std::to_string(++last_silence_id_);
  s.created_at = now;
  journal_.push_back({now, s.author, "silence-created", "", "silence:" + s.id,
                      fmt::format("{}={} until {}: {} (never mutes priority 1)", scope_name(s.kind),
                                  s.target, format_rfc3339(s.until), s.reason),
                      channel});
  silences_[s.id] = s;
  return s;
}

result<std::vector<transition>> book::remove_silence(const std::string& id,
                                                     const std::string& actor,
                                                     const std::string& channel) {
  auto it = silences_.find(id);
  if (it == silences_.end())
    return make_error("not-found", fmt::format("no active silence {}", id.substr(0, 40)));
  journal_.push_back(
      {clock_.now(), actor, "silence-deleted", "", "silence:" + id, it->second.reason, channel});
  silences_.erase(it);
  std::vector<transition> out;
  release_held(out);
  return out;
}

void book::release_held(std::vector<transition>& out) {
  const auto now = clock_.now();
  for (auto it = held_.begin(); it != held_.end();) {
    if (silenced_by(it->second.subject, now)) {
      ++it;
      continue;
    }
    auto s = std::move(it->second);
    it = held_.erase(it);
    // The condition began during the silence and no clear has come: it still holds.
    for (auto& t : on_signal(s)) {
      if (t.what == transition::kind::opened)
        journal_.back().note += " (began during a maintenance window, and still holds)";
      out.push_back(std::move(t));
    }
  }
}

std::vector<transition> book::publish_repeats(time_point now) {
  std::vector<transition> out;
  while (!repeats_due_.empty() && repeats_due_.begin()->first <= now) {
    const auto id = repeats_due_.begin()->second;
    repeats_due_.erase(repeats_due_.begin());
    if (auto it = active_.find(id); it != active_.end()) flush_repeats(it->second, now, out);
  }
  return out;
}

void book::forget_repeats(const std::string& id) {
  auto it = told_.find(id);
  if (it == told_.end()) return;
  if (it->second.repeats > 0) repeats_due_.erase({it->second.last_told + k_renotify_every, id});
  told_.erase(it);
}

void book::flush_repeats(alert& a, time_point now, std::vector<transition>& out) {
  auto it = told_.find(a.id);
  if (it == told_.end() || it->second.repeats == 0 || now - it->second.last_told < k_renotify_every)
    return;
  const auto q = it->second;
  it->second = {now, 0, 0, 0};
  if (q.presses > 0) {
    record(
        a, "urgency-raised", k_daemon,
        fmt::format("pressed again {} times since {} (occurrences {} to {}); urgency {}", q.presses,
                    format_rfc3339(q.last_told), q.first_occurrence, a.occurrences, a.urgency),
        "rule");
    out.push_back({transition::kind::updated, a, "urgency-raised", a.tier});
  } else {
    record(a, "repeated", k_daemon,
           fmt::format("{} more occurrences since {} ({} in all)", q.repeats,
                       format_rfc3339(q.last_told), a.occurrences),
           "rule");
    out.push_back({transition::kind::updated, a, "repeated", std::nullopt});
  }
}

std::vector<silence> book::silences() const {
  std::vector<silence> out;
  for (const auto& [id, s] : silences_)
    out.push_back(s);
  return out;
}

result<away> book::set_away(away a, const std::string& channel) {
  const auto now = clock_.now();
  if (a.resident_id.empty()) return make_error("bad-request", "away needs a resident");
  if (a.reason.empty()) return make_error("bad-request", "away needs a reason");
  if (a.reason.size() > k_max_note) return make_error("bad-request", "the reason is too long");
  if (a.until <= now) return make_error("bad-request", "'until' must be in the future");
  if (a.until - now > k_max_away)
    return make_error("bad-request",
                      fmt::format("away lasts at most {}", describe_duration(k_max_away)));
  a.since = now;
  // The reason ("in hospital") is health data: it stays in the away record, which erasure
  // deletes, and never enters the append-only trail.
  journal_.push_back({now, a.author, "away-set", "", "resident:" + a.resident_id,
                      fmt::format("until {}", format_rfc3339(a.until)), channel});
  aways_[a.resident_id] = a;
  return a;
}

result<away> book::end_away(const std::string& resident_id, const std::string& actor,
                            const std::string& channel) {
  const auto it = aways_.find(resident_id);
  const auto now = clock_.now();
  if (it == aways_.end() || it->second.until <= now)
    return make_error("not-found", "the resident is not away");
  auto a = it->second;
  a.until = now;
  journal_.push_back({now, actor, "away-ended", "", "resident:" + resident_id,
                      "ended early; welfare rules re-armed", channel});
  aways_.erase(it);
  return a;
}

std::vector<away> book::aways() const {
  std::vector<away> out;
  for (const auto& [id, a] : aways_)
    out.push_back(a);
  return out;
}

std::vector<alert> book::queue(const queue_filter& f) const {
  std::vector<alert> out;
  for (const auto& [id, a] : active_) {
    if (f.state && a.state != *f.state) continue;
    if (f.priority && a.priority != *f.priority) continue;
    if (f.building && a.subject.building != *f.building) continue;
    out.push_back(a);
  }
  std::sort(out.begin(), out.end(), queue_order);
  return out;
}

}  // namespace hearth::alerts
