// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/daily_total.hpp"

namespace hearth::engine::kinds {
namespace json = boost::json;

void daily_total_state::write(json::object& o) const {
  if (day != 0) o["day"] = json::array{day, day_used};
}

void daily_total_state::read(const json::object& o) {
  if (const auto* d = o.if_contains("day"); d && d->is_array() && d->get_array().size() == 2) {
    day = d->get_array()[0].to_number<long long>();
    day_used = d->get_array()[1].to_number<double>();
  }
}

void daily_total::on_report(const rule& r, const context& c, core& k,
                            std::vector<signal>& out) const {
  if (!c.step || counter != metric::water_total_l) return;
  const auto& s = *c.step;
  if (s.first) return;
  auto& st = k.instance<daily_total_state>(r, c.device_id);
  const auto day = k.local_day(s.to);
  if (day != st.day) {
    st.day = day;
    st.day_used = 0;
    if (st.active) {
      st.active = false;
      out.push_back(k.make_signal(r, c, {}, {}, signal::kind::clear));
    }
  }
  st.day_used += s.used;  // a step is counted on the day it ends
  if (st.active || st.day_used < daily_limit || k.paused(r, c.dev, s.to)) return;
  std::map<std::string, std::string> vars;
  vars["used"] = litres(st.day_used);
  vars["limit"] = litres(daily_limit);
  std::vector<alerts::evidence> ev{{std::string(c.device_id), metric::water_total_l, s.raw, s.to}};
  st.active = true;
  st.fired_at = s.to;
  out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto b = std::make_shared<daily_total>();
  parse_counter(doc, b->counter);
  if (auto v = doc.number("at_least", true)) {
    if (*v <= 0) doc.error(doc.get("at_least"), "'at_least' must be above zero");
    b->daily_limit = *v;
  }
  return b;
}

const kind_registration registered{{"daily_total", &parse}};

}  // namespace
}  // namespace hearth::engine::kinds
