// SPDX-License-Identifier: Apache-2.0
#pragma once
/// An API token's lifetime as an admin writes it (`--token-expires 90d`, `"expires_in":
/// "90d"`): a duration from 1 hour to 3650 days. The command line and the API share it.

#include <optional>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace hearth::auth {

/// The lifetime in `text`; an empty text is none (the token never expires). Anything else
/// but a duration from 1h to 3650d is `bad-request`, saying so.
result<std::optional<duration>> token_lifetime(std::string_view text);

}  // namespace hearth::auth
