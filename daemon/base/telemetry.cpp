// SPDX-License-Identifier: Apache-2.0
#include "base/telemetry.hpp"

#include <fmt/format.h>

#include <algorithm>

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

void telemetry::observe(const std::string& name, const std::string& labels, double v,
                        const std::vector<double>& bounds, const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& f = histograms_[name];
  if (f.bounds.empty()) f.bounds = bounds;
  if (!help.empty()) f.help = help;
  auto& h = f.cells[labels];
  if (h.counts.empty()) h.counts.assign(f.bounds.size() + 1, 0);
  const auto at = std::lower_bound(f.bounds.begin(), f.bounds.end(), v) - f.bounds.begin();
  h.counts[static_cast<std::size_t>(at)] += 1;
  h.sum += v;
}

std::uint64_t telemetry::observations(const std::string& name, const std::string& labels,
                                      double le) const {
  std::lock_guard lock(mutex_);
  auto f = histograms_.find(name);
  if (f == histograms_.end()) return 0;
  auto h = f->second.cells.find(labels);
  if (h == f->second.cells.end()) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < h->second.counts.size(); ++i)
    if (i == f->second.bounds.size() || f->second.bounds[i] <= le) n += h->second.counts[i];
  return n;
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
  for (const auto& [name, f] : histograms_) {
    if (!f.help.empty()) out += fmt::format("# HELP {} {}\n", name, f.help);
    out += fmt::format("# TYPE {} histogram\n", name);
    for (const auto& [labels, h] : f.cells) {
      const std::string sep = labels.empty() ? "" : ",";
      std::uint64_t n = 0;
      for (std::size_t i = 0; i < h.counts.size(); ++i) {
        n += h.counts[i];
        const auto le = i < f.bounds.size() ? fmt::format("{}", f.bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, n);
      }
      const auto braces = labels.empty() ? std::string() : "{" + labels + "}";
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum, name, braces, n);
    }
  }
  return out;
}

}  // namespace hearth
