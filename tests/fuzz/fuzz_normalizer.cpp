// SPDX-License-Identifier: Apache-2.0
// Fuzzes the normalizer with whole messages: the first byte picks a shipped device type (and
// whether the message comes on the type's topic or on a Zigbee2MQTT status topic), the rest
// is the payload. Nothing may crash, hang or read out of bounds; rejections are values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "catalog/device_type.hpp"
#include "normalize/counter.hpp"
#include "normalize/examples.hpp"
#include "normalize/normalizer.hpp"

namespace {
const hearth::catalog::catalog& shipped() {
  static const auto c = [] {
    hearth::diagnostics d;
    return hearth::catalog::catalog::load_dir(HEARTH_SOURCE_DIR "/devices", d);
  }();
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& types = shipped().types();
  if (size < 1 || types.empty()) return 0;
  const auto& t = *types[data[0] % types.size()];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string topic = hearth::normalize::example_topic(t);
  if (data[0] & 0x80)
    topic = (data[0] & 0x40) ? "zigbee2mqtt/bridge/state" : "zigbee2mqtt/0xfuzz/availability";
  auto r = hearth::normalize::decode(t, topic, payload);
  if (r) {
    for (const auto& v : r->values) {
      // Readings are always finite and inside the metric's physical range.
      const auto& m = hearth::info(v.metric);
      if (!(v.v >= m.min && v.v <= m.max)) __builtin_trap();
      if (v.metric == hearth::metric::water_total_l) {
        const auto step = hearth::normalize::counter_step(v.v, 0, t.counter_wrap);
        if (step.used_l < 0 || step.used_l > hearth::normalize::k_max_counter_step_l)
          __builtin_trap();
      }
    }
  }
  return 0;
}
