// SPDX-License-Identifier: Apache-2.0
#include "alerts/book.hpp"

#include <algorithm>

namespace hearth::alerts {

std::string_view transition_name(transition::kind k) {
  switch (k) {
    case transition::kind::opened:
      return "opened";
    case transition::kind::updated:
      return "updated";
    case transition::kind::resolved:
      return "resolved";
  }
  return "updated";
}

bool queue_order(const alert& a, const alert& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.opened_at != b.opened_at) return a.opened_at < b.opened_at;
  if (a.id.size() != b.id.size()) return a.id.size() < b.id.size();
  return a.id < b.id;
}

void book::restore(std::vector<alert> active) {
  for (auto& a : active) {
    if (a.state == state::resolved) continue;
    by_key_[a.key] = a.id;
    active_[a.id] = std::move(a);
  }
}

std::vector<transition> book::on_signal(const engine::signal& s) {
  std::vector<transition> out;
  if (s.what != engine::signal::kind::fire) return out;
  const auto now = clock_.now();
  if (auto k = by_key_.find(s.key); k != by_key_.end()) {
    auto& a = active_.at(k->second);
    a.occurrences += 1;
    a.updated_at = std::max(a.updated_at, now);
    // Keep the first evidence and append the newest, so the operator sees how it started
    // and what is happening now; bounded so a chattering device cannot grow it forever.
    for (const auto& e : s.evidence)
      a.evidence.push_back(e);
    if (a.evidence.size() > 20) a.evidence.erase(a.evidence.begin() + 1, a.evidence.end() - 19);
    a.summary = s.summary;
    out.push_back({transition::kind::updated, a});
    return out;
  }
  alert a;
  a.id = std::to_string(++last_id_);
  a.key = s.key;
  a.rule = s.rule;
  a.priority = s.priority;
  a.state = state::open;
  a.title = s.title;
  a.summary = s.summary;
  a.subject = s.subject;
  a.opened_at = now;
  a.updated_at = now;
  a.occurrences = 1;
  a.evidence = s.evidence;
  by_key_[a.key] = a.id;
  out.push_back({transition::kind::opened, a});
  active_[a.id] = std::move(a);
  return out;
}

std::vector<alert> book::queue(const queue_filter& f) const {
  std::vector<alert> out;
  for (const auto& [id, a] : active_) {
    if (f.state && a.state != *f.state) continue;
    if (f.priority && a.priority != *f.priority) continue;
    if (f.building && a.subject.building != *f.building) continue;
    out.push_back(a);
  }
  std::sort(out.begin(), out.end(), queue_order);
  return out;
}

const alert* book::find(const std::string& id) const {
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : &it->second;
}

}  // namespace hearth::alerts
