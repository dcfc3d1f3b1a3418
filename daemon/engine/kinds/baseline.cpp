// SPDX-License-Identifier: Apache-2.0
#include "engine/kinds/baseline.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace hearth::engine::kinds {
namespace {

/// Tilt change as a slope: tan(angle) * 1000, i.e. millimetres of lean per metre of height,
/// the unit in which GB 50007 states tilt limits.
double permille(double deg) {
  return std::tan(deg * std::numbers::pi / 180.0) * 1000.0;
}

}  // namespace

void baseline::on_report(const rule& r, const context& c, core& k, std::vector<signal>& out) const {
  if (!c.tilt) return;
  const auto* t = k.tilt(c.h);
  if (!t) return;
  const auto& d = *t;
  if (!d.x || !d.y || !d.base_x || !d.base_y) return;
  const double change_deg = std::hypot(*d.x - *d.base_x, *d.y - *d.base_y);
  const double change = permille(change_deg);
  double limit = 4;  // GB 50007 default when the building gives none
  if (limit_permille) {
    limit = *limit_permille;
  } else if (c.dev) {
    if (const auto* b = k.reg().find_building(c.dev->building); b && b->tilt_limit_permille > 0)
      limit = b->tilt_limit_permille;
  }
  const double at = limit * fraction;
  auto& st = k.instance(r, c.h);
  std::vector<alerts::evidence> ev;
  for (const auto& rd : c.rep->readings)
    if (rd.metric == metric::tilt_x_deg || rd.metric == metric::tilt_y_deg)
      ev.push_back({std::string(c.device_id), rd.metric, rd.value, rd.ts});
  if (!st.active && change >= at) {
    auto angles = [](double x, double y) {
      return i18n::arg::of_message(
          {"tilt.angles",
           {{"x", i18n::arg::of_quantity(x, "deg")}, {"y", i18n::arg::of_quantity(y, "deg")}}});
    };
    args vars;
    vars["change"] = i18n::arg::of_quantity(change, "permille");
    vars["limit"] = i18n::arg::of_quantity(at, "permille");
    vars["baseline"] = angles(*d.base_x, *d.base_y);
    vars["value"] = angles(*d.x, *d.y);
    st.active = true;
    st.fired_at = c.at;
    out.push_back(k.make_signal(r, c, std::move(ev), std::move(vars)));
  } else if (st.active && change < at * 0.9) {  // 10 % hysteresis: sensor noise cannot flap it
    st.active = false;
    out.push_back(k.make_signal(r, c, std::move(ev), {}, signal::kind::clear));
  }
}

namespace {

std::shared_ptr<const behaviour> parse(yaml_map& doc, rule&) {
  auto b = std::make_shared<baseline>();
  if (auto v = doc.number("limit_permille", false)) {
    if (*v <= 0) doc.error(doc.get("limit_permille"), "'limit_permille' must be above zero");
    b->limit_permille = *v;
  }
  if (auto v = doc.number("fraction", false)) {
    if (*v <= 0 || *v > 1) doc.error(doc.get("fraction"), "'fraction' must be in (0, 1]");
    b->fraction = *v;
  }
  return b;
}

/// What this kind's titles and summaries may use besides the common placeholders.
constexpr std::string_view k_fills[] = {"change", "limit", "baseline", "value"};
const kind_registration registered{{"baseline", &parse, k_fills}};

}  // namespace
}  // namespace hearth::engine::kinds
