// SPDX-License-Identifier: Apache-2.0
#include "i18n/keys.hpp"

#include <fmt/format.h>

namespace hearth::i18n {

const unit_info* find_unit(std::string_view symbol) {
  for (const auto& u : k_units)
    if (u.symbol == symbol) return &u;
  return nullptr;
}

std::string metric_name_key(metric m) {
  return fmt::format("metric.{}.name", name(m));
}
std::string metric_state_key(metric m, bool value) {
  return fmt::format("metric.{}.{}", name(m), value ? "true" : "false");
}
std::string device_type_name_key(std::string_view type) {
  return fmt::format("device_type.{}.name", type);
}
std::string rule_title_key(std::string_view rule_id) {
  return fmt::format("rule.{}.title", rule_id);
}
std::string rule_summary_key(std::string_view rule_id) {
  return fmt::format("rule.{}.summary", rule_id);
}

}  // namespace hearth::i18n
