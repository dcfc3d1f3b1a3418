// SPDX-License-Identifier: Apache-2.0
#include "engine/rule.hpp"

#include <fmt/format.h>

namespace hearth::engine {

bool condition::holds(double v) const {
  switch (cmp) {
    case op::is:
      return (v != 0) == (operand != 0);
    case op::at_least:
      return v >= operand;
    case op::above:
      return v > operand;
    case op::at_most:
      return v <= operand;
    case op::below:
      return v < operand;
  }
  return false;
}

std::string condition::describe() const {
  switch (cmp) {
    case op::is:
      return fmt::format("{} is {}", name(metric), operand != 0 ? "true" : "false");
    case op::at_least:
      return fmt::format("{} ≥ {}", name(metric), operand);
    case op::above:
      return fmt::format("{} > {}", name(metric), operand);
    case op::at_most:
      return fmt::format("{} ≤ {}", name(metric), operand);
    case op::below:
      return fmt::format("{} < {}", name(metric), operand);
  }
  return {};
}

}  // namespace hearth::engine
