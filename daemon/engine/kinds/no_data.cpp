// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/no_data.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;

void no_data_state::write(json::object& o) const {
  if (back != time_point{}) o["back"] = ms(back);
  if (dropouts > 0) o["dropouts"] = dropouts;
}

void no_data_state::read(const json::object& o) {
  back = at_ms(int_of(o, "back"));
  dropouts = static_cast<std::uint32_t>(int_of(o, "dropouts"));
}

void no_data::on_any_report(const rule&, const context& c, core& k) const {
  if (c.only_offline || !c.type || c.type->report_interval.count() <= 0) return;
  if (const auto* d = k.find_device(c.h))
    k.due(k.silent_since(*d) + allowed(k.interval_of(*d, *c.type)));
}

void no_data::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  auto* st = k.find_instance<no_data_state>(r, c.h);
  if (c.only_offline || !c.came_back || !st || !st->active) return;
  const auto now = k.clk().now();
  const auto* d = k.find_device(c.h);
  const auto interval = d && c.type ? k.interval_of(*d, *c.type) : duration{0};
  k.touch_instance(r, c.h);
  if (st->back == time_point{}) {
    // Back, but one message is not yet a device that keeps its cadence: the episode stays
    // open until it has been back steadily (a dropout meanwhile joins this episode).
    st->back = now;
    if (steady_for.value_or(interval).count() > 0) return;
  }
  if (now - st->back < steady_for.value_or(interval)) return;
  st->active = false;
  st->back = {};
  st->dropouts = 0;
  args vars{{"last_seen", i18n::arg::of_time(c.rep->ts)}};
  out.push_back(k.make_signal(r, c, {}, std::move(vars), signal::kind::clear));
}

time_point no_data::tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const {
  auto soonest = time_point::max();
  const auto first = out.size();
  k.for_each_device([&](handle h, device_state& d) {
    if (!d.seen) return;
    const auto* dev = k.device_of(h);
    if (!dev) return;
    const auto* type = k.types().find(dev->type);
    if (!type || type->report_interval.count() <= 0) return;
    if (!k.selected(r, dev->type, type, dev, now)) return;
    const auto interval = k.interval_of(d, *type);
    const auto window = allowed(interval);
    const auto since = k.silent_since(d);
    if (now < since + window) {
      soonest = std::min(soonest, since + window);
      return;
    }
    auto* open = k.find_instance<no_data_state>(r, h);
    if (open && open->active && open->back == time_point{}) return;  // still the same silence
    if (k.is_gateway(h) || k.behind_offline_gateway(h)) return;  // gateway-offline speaks for them
    auto& st = k.instance<no_data_state>(r, h);
    if (st.active) {
      ++st.dropouts;  // back, then silent again before it was steady: the same episode
      st.back = {};
    } else {
      st.active = true;
      st.fired_at = now;
      st.dropouts = 0;
    }
    const auto c = k.tick_context(h, now);
    args vars;
    vars["last_seen"] = i18n::arg::of_time(d.last_seen);
    vars["since"] = vars["last_seen"];
    vars["quiet_for"] = i18n::arg::of_span(now - d.last_seen);
    vars["interval"] = i18n::arg::of_span(interval);
    vars["declared"] = i18n::arg::of_span(type->report_interval);
    vars["window"] = i18n::arg::of_span(window);
    vars["dropouts"] = i18n::arg::of_number(st.dropouts);
    out.push_back(k.make_signal(r, c, {}, std::move(vars)));
  });
  by_device(out, first);
  return soonest;
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto n = std::make_shared<no_data>();
  if (auto v = doc.number("intervals", true)) {
    if (*v < 1) doc.error(doc.get("intervals"), "'intervals' must be at least 1");
    n->intervals = *v;
  }
  if (doc.has("steady_for")) {
    duration d{0};
    parse_positive(doc, "steady_for", false, d);
    if (d.count() > 0) n->steady_for = d;
  }
  return n;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"last_seen", "since",    "quiet_for", "interval",
                                        "window",    "declared", "dropouts"};
const kind_registration registered{{"no_data", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
