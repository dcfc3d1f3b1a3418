// SPDX-License-Identifier: Apache-2.0
#include "base/telemetry.hpp"

#include <fmt/format.h>

namespace hearth {

telemetry::cell& telemetry::get(const std::string& name, const std::string& labels,
                                const std::string& help, const char* type) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.type = type;
  if (!help.empty()) f.help = help;
  auto& c = f.cells[labels];
  if (!c) c = std::make_unique<cell>(0.0);
  return *c;
}

telemetry::cell& telemetry::counter(const std::string& name, const std::string& labels,
                                    const std::string& help) {
  return get(name, labels, help, "counter");
}

telemetry::cell& telemetry::gauge(const std::string& name, const std::string& labels,
                                  const std::string& help) {
  return get(name, labels, help, "gauge");
}

double telemetry::value(const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto c = f->second.cells.find(labels);
  return c == f->second.cells.end() ? 0 : c->second->load();
}

std::string telemetry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += fmt::format("# HELP {} {}\n", name, f.help);
    out += fmt::format("# TYPE {} {}\n", name, f.type);
    for (const auto& [labels, c] : f.cells) {
      if (labels.empty())
        out += fmt::format("{} {}\n", name, c->load());
      else
        out += fmt::format("{}{{{}}} {}\n", name, labels, c->load());
    }
  }
  return out;
}

}  // namespace hearth
