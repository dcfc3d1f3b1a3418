// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/daily_total.hpp"

#include <date/date.h>
#include <fmt/format.h>

namespace hearth::engine::kinds {
namespace json = boost::json;

void daily_total_state::write(json::object& o) const {
  if (day != 0) o["day"] = json::array{day, day_used};
  if (day_from) o["cover"] = json::array{ms(*day_from), longest_step.count(), day_start_raw};
}

void daily_total_state::read(const json::object& o) {
  if (const auto* d = o.if_contains("day"); d && d->is_array() && d->get_array().size() == 2) {
    day = d->get_array()[0].to_number<long long>();
    day_used = d->get_array()[1].to_number<double>();
  }
  if (const auto* c = o.if_contains("cover"); c && c->is_array() && c->get_array().size() == 3) {
    day_from = at_ms(c->get_array()[0].to_number<std::int64_t>());
    longest_step = duration{c->get_array()[1].to_number<std::int64_t>()};
    day_start_raw = c->get_array()[2].to_number<double>();
  }
}

void daily_total::judge_ended_day(const rule& r, const context& c, core& k,
                                  const daily_total_state& st, std::vector<signal>& out) const {
  if (st.day == 0 || !st.day_from || st.day_used > daily_limit) return;
  // The whole day was watched: its first step began before it, and no reading was missed.
  const auto* dtype = k.types().find(c.device_type);
  const duration max_gap = dtype && dtype->report_interval.count() > 0
                               ? 2 * dtype->report_interval
                               : duration(std::chrono::hours(24));
  if (k.local_day(*st.day_from) >= st.day || st.longest_step > max_gap) return;
  if (k.paused(r, c.dev, c.at)) return;
  args vars;
  vars["used"] = amount_arg(counter, st.day_used);
  vars["limit"] = amount_arg(counter, daily_limit);
  // The day judged (yesterday), not the day of the report that ended it.
  vars["date"] = i18n::arg::of_text(date::format("%Y-%m-%d", date::sys_days{date::days{st.day}}));
  std::vector<alerts::evidence> ev{
      {std::string(c.device_id), counter, st.day_start_raw, k.local_instant(st.day, 0)},
      {std::string(c.device_id), counter, c.step->prev_raw, c.step->from}};
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

void daily_total::on_report(const rule& r, const context& c, core& k,
                            std::vector<signal>& out) const {
  if (!c.step || c.step->metric != counter) return;
  const auto& s = *c.step;
  if (s.first) return;
  auto& st = k.instance<daily_total_state>(r, c.h);
  const auto day = k.local_day(s.to);
  if (day != st.day) {
    if (st.active) {
      st.active = false;
      out.push_back(k.make_signal(r, c, {}, {}, signal::kind::clear));
    }
    const std::size_t before = out.size();
    if (at_most && day == st.day + 1) judge_ended_day(r, c, k, st, out);
    if (out.size() > before) {
      st.active = true;
      st.fired_at = s.to;
    }
    st.day = day;
    st.day_used = 0;
    st.day_from.reset();
    st.longest_step = duration{0};
  }
  if (s.reset && at_most) {
    // Use across a reset is unknown: the day is no longer watched whole.
    st.day_from = s.to;
    return;
  }
  st.day_used += s.used;  // a step is counted on the day it ends
  if (at_most) {
    if (!st.day_from) {
      st.day_from = s.from;
      st.day_start_raw = s.prev_raw;
    }
    st.longest_step = std::max(st.longest_step, s.to - s.from);
    return;
  }
  if (st.active || st.day_used < daily_limit || k.paused(r, c.dev, s.to)) return;
  args vars;
  vars["used"] = amount_arg(counter, st.day_used);
  vars["limit"] = amount_arg(counter, daily_limit);
  std::vector<alerts::evidence> ev{{std::string(c.device_id), counter, s.raw, s.to}};
  st.active = true;
  st.fired_at = s.to;
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto b = std::make_shared<daily_total>();
  parse_counter(doc, b->counter);
  const bool least = doc.has("at_least"), most = doc.has("at_most");
  if (least == most) {
    doc.error("a daily_total rule needs exactly one of 'at_least' and 'at_most'");
    doc.get("at_least");
    doc.get("at_most");
    return b;
  }
  b->at_most = most;
  const char* key = most ? "at_most" : "at_least";
  if (auto v = doc.number(key, true)) {
    if (*v < 0 || (!most && *v == 0))
      doc.error(doc.get(key), fmt::format("'{}' must be above zero", key));
    b->daily_limit = *v;
  }
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"used", "limit"};
const kind_registration registered{{"daily_total", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
