// SPDX-License-Identifier: Apache-2.0
#include "normalize/examples.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "base/time.hpp"
#include "normalize/gateway.hpp"
#include "normalize/normalizer.hpp"

namespace hearth::normalize {

std::string example_topic(const catalog::device_type& t) {
  std::string s = t.topic;
  if (auto pos = s.find("{external_id}"); pos != std::string::npos)
    s.replace(pos, 13, "example-device");
  for (auto pos = s.find('+'); pos != std::string::npos; pos = s.find('+'))
    s.replace(pos, 1, "example");
  return s;
}

namespace {
std::string show(const std::string& metric, double v) {
  auto m = metric_from_name(metric);
  if (m && info(*m).boolean) return fmt::format("{}: {}", metric, v != 0 ? "true" : "false");
  return fmt::format("{}: {}", metric, v);
}
}  // namespace

namespace {
/// What the pipeline makes of the payload: a LoRaWAN gateway's state, or a device's message.
result<decoded> decode_example(const catalog::device_type& t, std::string_view topic,
                               std::string_view payload) {
  if (t.role != catalog::role::bridge || t.transport == catalog::transport::zigbee2mqtt)
    return decode(t, topic, payload);
  auto st = gateway_state(t, topic, payload);
  if (!st) return st.err();
  decoded d;
  if (st->online) d.values.push_back({metric::device_online, *st->online ? 1.0 : 0.0});
  return d;
}
}  // namespace

diagnostics run_examples(const catalog::device_type& t) {
  diagnostics out;
  for (const auto& ex : t.examples) {
    const auto topic = ex.topic.empty() ? example_topic(t) : ex.topic;
    auto res = decode_example(t, topic, ex.payload);
    std::string diff;
    if (ex.rejected) {
      if (res)
        diff = fmt::format("- rejected: {}\n+ accepted with {} readings", *ex.rejected,
                           res->values.size());
      else if (res.err().code != *ex.rejected)
        diff = fmt::format("- rejected: {}\n+ rejected: {} ({})", *ex.rejected, res.err().code,
                           res.err().message);
    } else if (!res) {
      diff = fmt::format("+ rejected: {} ({})", res.err().code, res.err().message);
    } else {
      std::map<std::string, double> got;
      for (const auto& v : res->values)
        got[std::string(name(v.metric))] = v.v;
      for (const auto& [m, v] : ex.readings) {
        auto it = got.find(m);
        if (it == got.end())
          diff += fmt::format("- {}\n+ (no {} reading)\n", show(m, v), m);
        else if (std::fabs(it->second - v) > 1e-9 * std::max(1.0, std::fabs(v)))
          diff += fmt::format("- {}\n+ {}\n", show(m, v), show(m, it->second));
      }
      for (const auto& [m, v] : got)
        if (!ex.readings.contains(m))
          diff += fmt::format("- (no {} reading)\n+ {}\n", m, show(m, v));
      std::vector<std::string> expected = ex.field_errors, actual;
      for (const auto& fe : res->field_errors)
        actual.push_back(fe.code);
      std::sort(expected.begin(), expected.end());
      std::sort(actual.begin(), actual.end());
      if (expected != actual) {
        for (const auto& code : expected)
          diff += fmt::format("- field rejected: {}\n", code);
        for (const auto& fe : res->field_errors)
          diff += fmt::format("+ field rejected: {} ({})\n", fe.code, fe.message);
      }
      if (ex.checks_event_time && res->event_time != ex.event_time) {
        auto show_time = [](const std::optional<time_point>& t) {
          return t ? format_rfc3339(*t) : std::string("receipt");
        };
        diff += fmt::format("- event_time: {}\n+ event_time: {}\n", show_time(ex.event_time),
                            show_time(res->event_time));
      }
      if (!diff.empty() && diff.back() == '\n') diff.pop_back();
    }
    if (!diff.empty())
      out.push_back(
          {t.file, ex.line, fmt::format("example '{}' does not match:\n{}", ex.name, diff)});
  }
  return out;
}

}  // namespace hearth::normalize
