// SPDX-License-Identifier: Apache-2.0
#include "api/context.hpp"

#include "app/pipeline.hpp"

namespace hearth::api {

void context::audit_reads(const std::string& actor, const std::vector<std::string>& resident_ids,
                          const std::string& channel) {
  if (resident_ids.empty()) return;
  const auto now = book.now();
  for (const auto& id : resident_ids)
    book.journal({now, actor, "read-personal-data", "", "resident:" + id, "", channel});
  pipeline.record({});
}

}  // namespace hearth::api
