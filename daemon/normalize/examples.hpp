// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Golden examples of device types (`examples:` in a definition), run by
/// `hearthd devices test` and `hearthd check`.

#include <string>
#include <vector>

#include "base/diagnostic.hpp"
#include "catalog/device_type.hpp"

namespace hearth::normalize {

/// Runs every example of `t`. Each mismatch is one diagnostic at the example's line, whose
/// message is a diff: "- expected" / "+ actual" lines.
diagnostics run_examples(const catalog::device_type& t);

/// The topic an example is sent on when it names none: the type's pattern with a sample id.
std::string example_topic(const catalog::device_type& t);

}  // namespace hearth::normalize
