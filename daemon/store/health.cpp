// SPDX-License-Identifier: Apache-2.0
#include "store/health.hpp"

#include <fmt/format.h>

#include "base/log.hpp"
#include "base/time.hpp"

namespace hearth::store {

health::health(telemetry& t) : telemetry_(t) {
  telemetry_.set("hearth_store_healthy", {}, 1);
}

void health::failed(const std::string& part, const std::string& what) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = faults_.try_emplace(part, fault{what, wall_clock{}.now()});
  if (!fresh && it->second.what == what) return;
  it->second.what = what;
  if (part == "files")  // not a fault that a retry can mend: `what` says what to do
    log::error("store", "store FAILING ({}): {}", part, what);
  else
    log::error("store", "store FAILING ({}): {}; retrying, nothing committed is lost", part, what);
  telemetry_.set("hearth_store_healthy", {}, 0);
}

void health::recovered(const std::string& part) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(part);
  if (it == faults_.end()) return;
  const auto secs = std::chrono::duration<double>(wall_clock{}.now() - it->second.since).count();
  log::info("store", "store recovered ({}) after {:.1f} s", part, secs);
  faults_.erase(it);
  if (faults_.empty()) telemetry_.set("hearth_store_healthy", {}, 1);
}

bool health::ok() const {
  std::lock_guard lock(mutex_);
  return faults_.empty();
}

std::string health::detail() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [part, f] : faults_) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {} (since {})", part, f.what, format_rfc3339(f.since));
  }
  return out;
}

}  // namespace hearth::store
