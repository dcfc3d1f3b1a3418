// SPDX-License-Identifier: Apache-2.0
#include "ingest/classifier.hpp"

#include <algorithm>

#include "normalize/normalizer.hpp"

namespace hearth::ingest {

classifier::classifier(const catalog::catalog& types, const registry::registry& devices) {
  for (const auto& d : devices.all().devices) {
    const auto* t = types.find(d.type);
    if (!t || !t->life_safety || !t->external_id_path.empty()) continue;
    if (t->topic.find("{external_id}") == std::string::npos) continue;
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const pattern_ids& p) { return p.pattern == t->topic; });
    if (it == patterns_.end()) it = patterns_.insert(patterns_.end(), {t->topic, {}});
    it->external_ids.insert(d.external_id);
  }
}

bool classifier::is_priority(std::string_view topic) const {
  for (const auto& p : patterns_) {
    const auto id = normalize::match_topic(p.pattern, topic);
    if (id && p.external_ids.contains(*id)) return true;
  }
  return !learned_.empty() && learned_.contains(std::string(topic));
}

std::shared_ptr<const classifier> classifier::with_learned(std::string topic) const {
  auto c = std::make_shared<classifier>(*this);
  c->learned_.insert(std::move(topic));
  return c;
}

std::size_t classifier::size() const {
  std::size_t n = learned_.size();
  for (const auto& p : patterns_)
    n += p.external_ids.size();
  return n;
}

}  // namespace hearth::ingest
