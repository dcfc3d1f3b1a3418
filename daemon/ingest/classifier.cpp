// SPDX-License-Identifier: Apache-2.0
#include "ingest/classifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "normalize/normalizer.hpp"

namespace hearth::ingest {

classifier::classifier(const catalog::catalog& types,
                       std::shared_ptr<const registry::registry> devices)
    : devices_(std::move(devices)) {
  static std::atomic<std::uint64_t> next_lineage{1};
  lineage_ = next_lineage++;
  for (const auto& t : types.types()) {
    if (!t->life_safety) continue;
    if (t->topic.find("{external_id}") == std::string::npos) {
      // Its devices carry their id in the payload (The Things Stack): the type is told apart
      // by its topic pattern when no other type's pattern is as broad (its own application,
      // "v3/sos-buttons@ttn/devices/+/up" beside "v3/+/devices/+/up"): then every topic of
      // the pattern is priority, even the first message. Otherwise a topic is learned.
      if (std::none_of(types.types().begin(), types.types().end(), [&](const auto& o) {
            return !o->life_safety && normalize::match_topic(t->topic, o->subscription());
          }))
        exclusive_.push_back(t->topic);
      continue;
    }
    // The id is a topic level (Zigbee2MQTT, native, and ChirpStack's devEui).
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const pattern_types& p) { return p.pattern == t->topic; });
    if (it == patterns_.end()) it = patterns_.insert(patterns_.end(), {t->topic, {}, {}});
    it->types.push_back(t->name);
    if (t->reports_anything()) it->any.push_back(t->name);
  }
}

bool classifier::priority_type(const pattern_types& p, std::string_view type) const {
  return std::find(p.types.begin(), p.types.end(), type) != p.types.end();
}

const classifier::pattern_types* classifier::match(std::string_view topic,
                                                   std::string_view* type) const {
  if (!devices_) return nullptr;
  for (const auto& p : patterns_) {
    const auto id = normalize::match_topic(p.pattern, topic);
    if (!id) continue;
    const auto* d = devices_->find_device_by_external_id(*id);
    if (d && d->external_id == *id && priority_type(p, d->type)) {
      *type = d->type;
      return &p;
    }
  }
  return nullptr;
}

bool classifier::exclusive(std::string_view topic) const {
  return std::any_of(exclusive_.begin(), exclusive_.end(), [&](const std::string& p) {
    return normalize::match_topic(p, topic).has_value();
  });
}

bool classifier::is_priority(std::string_view topic) const {
  std::string_view type;
  if (match(topic, &type) || exclusive(topic)) return true;
  return !learned_.empty() && learned_.contains(std::string(topic));
}

bool classifier::is_priority(std::string_view topic, std::string_view payload) const {
  std::string_view type;
  if (const auto* p = match(topic, &type)) {
    if (std::find(p->any.begin(), p->any.end(), type) == p->any.end()) return true;
    static const auto quoted = [] {
      std::vector<std::string> q;
      for (auto m : catalog::k_life_safety_metrics)
        q.push_back(fmt::format("\"{}\"", name(m)));
      return q;
    }();
    return std::any_of(quoted.begin(), quoted.end(), [&](const std::string& q) {
      return payload.find(q) != std::string_view::npos;
    });
  }
  if (exclusive(topic)) return true;
  return !learned_.empty() && learned_.contains(std::string(topic));
}

std::shared_ptr<const classifier> classifier::with_learned(std::string topic) const {
  auto c = std::make_shared<classifier>(*this);  // shares the registry; copies learned topics
  c->learned_.insert(std::move(topic));
  return c;
}

std::vector<std::string> classifier::priority_filters(std::size_t max,
                                                      std::size_t* left_out) const {
  auto usable = [](std::string_view t) {
    return !t.empty() && t.find_first_of("+#") == std::string_view::npos;
  };
  std::vector<std::string> out;
  if (devices_)
    for (const auto& d : devices_->all().devices)
      for (const auto& p : patterns_)
        if (priority_type(p, d.type) && usable(d.external_id) &&
            d.external_id.view().find('/') == std::string_view::npos) {
          const auto at = p.pattern.find("{external_id}");
          out.push_back(fmt::format("{}{}{}", p.pattern.substr(0, at), d.external_id,
                                    p.pattern.substr(at + 13)));
        }
  for (const auto& t : learned_)
    if (usable(t)) out.push_back(t);
  for (auto p : exclusive_) {  // a whole pattern, wildcards and all
    // Made with fmt::format, not std::string::replace: GCC 12 warns falsely
    // (-Wstringop-overflow) on the inlined replace.
    if (auto at = p.find("{external_id}"); at != std::string::npos)
      p = fmt::format("{}+{}", std::string_view(p).substr(0, at),
                      std::string_view(p).substr(at + 13));
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (left_out) *left_out = out.size() > max ? out.size() - max : 0;
  if (out.size() > max) out.resize(max);
  return out;
}

std::size_t classifier::size() const {
  std::size_t n = learned_.size();
  if (devices_)
    for (const auto& d : devices_->all().devices)
      for (const auto& p : patterns_)
        if (priority_type(p, d.type)) ++n;
  return n;
}

}  // namespace hearth::ingest
