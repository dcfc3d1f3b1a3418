// SPDX-License-Identifier: Apache-2.0
#include "engine/kind.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "i18n/keys.hpp"

namespace hearth::engine {

namespace {
std::vector<kind_info>& kinds() {
  static std::vector<kind_info> all;  // filled at static initialisation, read-only after
  return all;
}
}  // namespace

kind_registration::kind_registration(kind_info k) {
  kinds().push_back(k);
}

const kind_info* find_kind(std::string_view name) {
  for (const auto& k : kinds())
    if (k.name == name) return &k;
  return nullptr;
}

std::vector<std::string_view> kind_names() {
  std::vector<std::string_view> out;
  for (const auto& k : kinds())
    out.push_back(k.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<condition> parse_conditions(yaml_map& doc, const std::string& key) {
  std::vector<condition> out;
  const YAML::Node given = doc.get(key);
  if (!given.IsDefined()) return out;
  // One condition may be written without a list. (yaml-cpp's Node assignment writes through
  // to the referenced node, so the wrapper must be a fresh node, not a reassignment.)
  YAML::Node list(YAML::NodeType::Sequence);
  if (given.IsMap())
    list.push_back(given);
  else
    list = given;
  if (!list.IsSequence()) {
    doc.error(list, fmt::format("'{}' must be a condition or a list of conditions", key));
    return out;
  }
  for (const auto& item : list) {
    yaml_map c(item, doc.file(), doc.out(), "condition");
    if (!c.valid()) continue;
    condition cond;
    bool ok = true;
    if (auto m = c.string("metric", true)) {
      auto met = metric_from_name(*m);
      if (!met) {
        c.error(c.get("metric"), fmt::format("unknown metric '{}'", *m));
        ok = false;
      } else {
        cond.metric = *met;
      }
    } else {
      ok = false;
    }
    int ops = 0;
    if (auto b = c.boolean("is", false)) {
      cond.cmp = condition::op::is;
      cond.operand = *b ? 1 : 0;
      ++ops;
    }
    const std::pair<const char*, condition::op> numeric[] = {{"at_least", condition::op::at_least},
                                                             {"above", condition::op::above},
                                                             {"at_most", condition::op::at_most},
                                                             {"below", condition::op::below}};
    for (auto [k, op] : numeric) {
      if (auto v = c.number(k, false)) {
        cond.cmp = op;
        cond.operand = *v;
        ++ops;
      }
    }
    if (ops != 1) {
      c.error("a condition needs exactly one of is, at_least, above, at_most, below");
      ok = false;
    }
    if (ok && cond.cmp != condition::op::is && info(cond.metric).boolean) {
      c.error(fmt::format("{} is true or false: compare it with 'is'", name(cond.metric)));
      ok = false;
    }
    c.finish();
    if (ok) out.push_back(cond);
  }
  return out;
}

void parse_when(yaml_map& doc, rule& r) {
  r.when = parse_conditions(doc, "when");
  if (r.when.empty() && !doc.has("when")) doc.error(fmt::format("a {} rule needs 'when'", r.kind));
}

void parse_counter(yaml_map& doc, metric& into) {
  if (auto m = doc.string("metric", false)) {
    auto met = metric_from_name(*m);
    if (!met || !is_counter(*met))
      doc.error(
          doc.get("metric"),
          fmt::format("'metric' must be a counter (water.total_l, power.total_kwh), not '{}'", *m));
    else
      into = *met;
  }
}

void parse_positive(yaml_map& doc, const char* key, bool required, duration& into) {
  auto d = doc.duration_value(key, required);
  if (!d) return;
  if (d->count() <= 0)
    doc.error(doc.get(key), fmt::format("'{}' must be longer than zero", key));
  else
    into = *d;
}

std::vector<metric> inputs(const rule& r) {
  std::vector<hearth::metric> m;
  for (const auto& c : r.when)
    m.push_back(c.metric);
  for (const auto& c : r.unless)
    m.push_back(c.metric);
  for (const auto& c : r.clear)
    m.push_back(c.metric);
  if (r.how) r.how->inputs(m);
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  return m;
}

bool clear_holds(const std::vector<condition>& conds, const report& rep) {
  bool any = false;
  for (const auto& c : conds) {
    for (const auto& rd : rep.readings) {
      if (rd.metric != c.metric) continue;
      if (!c.holds(rd.value)) return false;
      any = true;
    }
  }
  return any;
}

i18n::arg metric_arg(metric m) {
  return i18n::arg::of_message({i18n::metric_name_key(m), {}});
}

i18n::arg reading_arg(metric m, double v) {
  if (info(m).boolean) return i18n::arg::of_message({i18n::metric_state_key(m, v != 0), {}});
  return i18n::arg::of_quantity(v, std::string(info(m).unit));
}

i18n::arg condition_arg(const condition& c, double value) {
  if (info(c.metric).boolean) return reading_arg(c.metric, value);
  const char* key = "condition.at_least";
  switch (c.cmp) {
    case condition::op::above:
      key = "condition.above";
      break;
    case condition::op::at_most:
      key = "condition.at_most";
      break;
    case condition::op::below:
      key = "condition.below";
      break;
    default:
      break;
  }
  return i18n::arg::of_message({key,
                                {{"metric", metric_arg(c.metric)},
                                 {"value", reading_arg(c.metric, value)},
                                 {"limit", reading_arg(c.metric, c.operand)}}});
}

i18n::arg litres_arg(double v) {
  return i18n::arg::of_quantity(v, "L");
}

i18n::arg amount_arg(metric m, double v) {
  if (m == metric::water_total_l) return litres_arg(v);
  return i18n::arg::of_quantity(v, std::string(info(m).unit));
}

void by_device(std::vector<signal>& out, std::size_t first) {
  std::stable_sort(
      out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
      [](const signal& a, const signal& b) { return a.subject.device_id < b.subject.device_id; });
}

}  // namespace hearth::engine
