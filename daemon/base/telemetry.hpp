// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Process counters and gauges, rendered in the Prometheus text format by `/metrics`.
/// Safe to update from any thread. Labels never carry personal data: reasons, rule ids,
/// device types and priorities only.

#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hearth {

class telemetry {
 public:
  /// A counter or gauge cell. The reference stays valid for the telemetry's lifetime.
  using cell = std::atomic<double>;

  /// `name` like "hearth_messages_rejected_total", labels like `reason="malformed-json"`.
  cell& counter(const std::string& name, const std::string& labels = {},
                const std::string& help = {});
  cell& gauge(const std::string& name, const std::string& labels = {},
              const std::string& help = {});

  void add(const std::string& name, const std::string& labels = {}, double v = 1) {
    auto& c = counter(name, labels);
    c.fetch_add(v, std::memory_order_relaxed);
  }
  void set(const std::string& name, const std::string& labels, double v) {
    gauge(name, labels).store(v, std::memory_order_relaxed);
  }
  double value(const std::string& name, const std::string& labels = {}) const;

  /// Adds `v` to a histogram (Prometheus `_bucket{le=...}`, `_sum`, `_count`). The upper
  /// bounds (ascending) are fixed by the first observation of `name`.
  void observe(const std::string& name, const std::string& labels, double v,
               const std::vector<double>& bounds, const std::string& help = {});
  /// Observations of a histogram at or below `le` (all of them by default).
  std::uint64_t observations(const std::string& name, const std::string& labels = {},
                             double le = std::numeric_limits<double>::infinity()) const;

  std::string render() const;

 private:
  cell& get(const std::string& name, const std::string& labels, const std::string& help,
            const char* type);
  struct family {
    std::string help;
    const char* type = "counter";
    std::map<std::string, std::unique_ptr<cell>> cells;
  };
  struct histogram {
    std::vector<std::uint64_t> counts;  ///< per bound, not cumulative; last is +Inf
    double sum = 0;
  };
  struct histogram_family {
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, histogram> cells;
  };
  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
  std::map<std::string, histogram_family> histograms_;
};

}  // namespace hearth
