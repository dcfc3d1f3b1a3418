// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/slots.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;
using namespace std::chrono_literals;

void slots_state::write(json::object& o) const {
  if (run) o["run"] = json::array{run_start, run_last, run_total, run_raw, ms(run_since)};
}

void slots_state::read(const json::object& o) {
  if (const auto* r = o.if_contains("run"); r && r->is_array() && r->get_array().size() == 5) {
    const auto& a = r->get_array();
    run = true;
    run_start = a[0].to_number<long long>();
    run_last = a[1].to_number<long long>();
    run_total = a[2].to_number<double>();
    run_raw = a[3].to_number<double>();
    run_since = at_ms(a[4].to_number<std::int64_t>());
  }
}

void slots::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  if (!c.step || c.step->metric != counter) return;
  const auto& s = *c.step;
  if (s.first) return;
  auto& st = k.instance<slots_state>(r, c.h);
  const auto& d = *k.find_device(c.h);
  const auto* dtype = k.types().find(c.device_type);
  const duration max_gap = std::max(2 * slot, dtype ? 2 * k.interval_of(d, *dtype) : duration{0});
  const auto len = s.to - s.from;
  auto slot_of = [&](time_point t) { return static_cast<long long>(t.time_since_epoch() / slot); };
  auto end_run = [&] {
    st.run = false;
    if (!st.active) return;
    st.active = false;
    std::vector<alerts::evidence> ev{
        {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
    out.push_back(k.make_signal(r, c, std::move(ev), {}, signal::kind::clear));
  };
  if (s.reset || len > max_gap) {  // usage in this stretch is unknown: the run cannot continue
    end_run();
    return;
  }
  const auto a = slot_of(s.from), b = slot_of(s.to - 1ms);
  // The readings come every report interval, not every slot: the use between two readings
  // is spread evenly over the slots it spans.
  const double slots_spanned =
      std::chrono::duration<double>(len) / std::chrono::duration<double>(slot);
  const bool flowing = s.used / std::max(slots_spanned, 1.0) >= min_per_slot;
  if (flowing) {
    if (st.run && a <= st.run_last + 1) {
      st.run_last = std::max(st.run_last, b);
    } else {
      st.run = true;
      st.run_start = a;
      st.run_last = b;
      st.run_total = d.total - s.used;
      st.run_raw = s.prev_raw;
      st.run_since = s.from;
    }
  } else if (!st.run || b > st.run_last) {
    end_run();
    return;
  }
  const auto need = static_cast<long long>(span / slot);
  if (!st.run || st.active || st.run_last - st.run_start + 1 < need) return;
  std::vector<alerts::evidence> ev{
      {std::string(c.device_id), metric::water_total_l, st.run_raw, st.run_since},
      {std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
  args vars;
  vars["since"] = i18n::arg::of_time(st.run_since);
  vars["window"] = i18n::arg::of_span(s.to - st.run_since);
  vars["used"] = litres_arg(d.total - st.run_total);
  vars["interval"] = i18n::arg::of_span(slot);
  st.active = true;
  st.fired_at = s.to;
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto b = std::make_shared<slots>();
  parse_counter(doc, b->counter);
  parse_positive(doc, "slot", true, b->slot);
  parse_positive(doc, "span", true, b->span);
  if (b->span < b->slot) doc.error(doc.get("span"), "'span' must be at least one 'slot'");
  if (auto v = doc.number("min_per_slot", false)) {
    if (*v <= 0) doc.error(doc.get("min_per_slot"), "'min_per_slot' must be above zero");
    b->min_per_slot = *v;
  }
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"since", "window", "used", "interval"};
const kind_registration registered{{"slots", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
