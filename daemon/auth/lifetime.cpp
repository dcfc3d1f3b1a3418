// SPDX-License-Identifier: Apache-2.0
#include "auth/lifetime.hpp"

#include "base/time.hpp"

namespace hearth::auth {

result<std::optional<duration>> token_lifetime(std::string_view text) {
  if (text.empty()) return std::optional<duration>{};
  const auto d = parse_duration(text);
  if (!d || *d < std::chrono::hours(1) || *d > std::chrono::days(3650))
    return make_error("bad-request", "a token lifetime is a duration from 1h to 3650d, like 90d");
  return std::optional<duration>{*d};
}

}  // namespace hearth::auth
