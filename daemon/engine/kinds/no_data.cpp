// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/no_data.hpp"

namespace hearth::engine::kinds {

void no_data::on_any_report(const rule&, const context& c, core& k) const {
  if (c.only_offline || !c.type || c.type->report_interval.count() <= 0) return;
  const auto* d = k.find_device(c.device_id);
  if (d)
    k.due(d->last_seen + std::chrono::duration_cast<duration>(c.type->report_interval * intervals));
}

void no_data::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  auto* st = k.find_instance(r, c.device_id);
  if (c.only_offline || !c.came_back || !st || !st->active) return;
  st->active = false;
  k.touch_instance(r, c.device_id);
  args vars{{"last_seen", i18n::arg::of_time(c.rep->ts)}};
  out.push_back(k.make_signal(r, c, {}, std::move(vars), signal::kind::clear));
}

time_point no_data::tick(const rule& r, time_point now, core& k, std::vector<signal>& out) const {
  auto soonest = time_point::max();
  k.for_each_device([&](std::string_view id, device_state& d) {
    if (!d.seen) return;
    const auto* dev = k.reg().find_device(id);
    if (!dev) return;
    const auto* type = k.types().find(dev->type);
    if (!type || type->report_interval.count() <= 0) return;
    if (!k.selected(r, dev->type, dev, now)) return;
    const auto allowed = std::chrono::duration_cast<duration>(type->report_interval * intervals);
    if (now < d.last_seen + allowed) {
      soonest = std::min(soonest, d.last_seen + allowed);
      return;
    }
    if (const auto* st = k.find_instance(r, id); st && st->active) return;
    if (k.is_gateway(*dev) || k.behind_offline_gateway(*dev))
      return;  // gateway-offline speaks for them
    auto& st = k.instance(r, id);
    st.active = true;
    st.fired_at = now;
    const context c{id, dev->type, dev, now, nullptr};
    args vars;
    vars["last_seen"] = i18n::arg::of_time(d.last_seen);
    vars["since"] = vars["last_seen"];
    vars["quiet_for"] = i18n::arg::of_span(now - d.last_seen);
    vars["interval"] = i18n::arg::of_span(type->report_interval);
    vars["window"] = i18n::arg::of_span(allowed);
    out.push_back(k.make_signal(r, c, {}, std::move(vars)));
  });
  return soonest;
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto n = std::make_shared<no_data>();
  if (auto v = doc.number("intervals", true)) {
    if (*v < 1) doc.error(doc.get("intervals"), "'intervals' must be at least 1");
    n->intervals = *v;
  }
  return n;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"last_seen", "since", "quiet_for", "interval", "window"};
const kind_registration registered{{"no_data", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
