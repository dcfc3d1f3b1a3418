// SPDX-License-Identifier: Apache-2.0
#include "api/connections.hpp"

#include <algorithm>

namespace hearth::api {

const char* connection_table::reason_name(reason r) {
  switch (r) {
    case reason::total:
      return "total";
    case reason::per_address:
      return "per-address";
    case reason::descriptors:
      return "descriptors";
    case reason::response_bytes:
      return "response-bytes";
  }
  return "total";
}

connection_table::admission connection_table::admit(const std::string& address, bool trusted) {
  admission out;
  if (!trusted && limits_.per_address > 0 && open_from(address) >= limits_.per_address) {
    out.why = reason::per_address;
    auto it = std::find_if(idle_.begin(), idle_.end(),
                           [&](id c) { return entries_.at(c).address == address; });
    if (it == idle_.end()) return out;  // everything from there is busy: refuse the new one
    const id victim = *it;
    forget(victim);
    out.shed.push_back(victim);
  }
  if (entries_.size() >= limits_.total) {
    out.why = reason::total;
    if (idle_.empty()) return out;
    const id victim = idle_.front();
    forget(victim);
    out.shed.push_back(victim);
  }
  const id c = next_++;
  entry e;
  e.address = address;
  e.trusted = trusted;
  e.st = state::idle;
  idle_.push_back(c);
  e.idle_pos = std::prev(idle_.end());
  entries_.emplace(c, std::move(e));
  if (!trusted) ++per_address_[address];
  out.admitted = c;
  return out;
}

void connection_table::leave_idle(entry& e) {
  if (e.st == state::idle) idle_.erase(e.idle_pos);
}

void connection_table::forget(id c) {
  auto it = entries_.find(c);
  if (it == entries_.end()) return;
  auto& e = it->second;
  leave_idle(e);
  if (e.bytes > 0) {
    response_bytes_ -= e.bytes;
    writing_.erase(e.write_pos);
  }
  if (!e.trusted) {
    auto pa = per_address_.find(e.address);
    if (pa != per_address_.end() && --pa->second == 0) per_address_.erase(pa);
  }
  entries_.erase(it);
}

void connection_table::release(id c) {
  forget(c);
}

void connection_table::idle(id c) {
  auto it = entries_.find(c);
  if (it == entries_.end() || it->second.st != state::busy) return;
  it->second.st = state::idle;
  idle_.push_back(c);
  it->second.idle_pos = std::prev(idle_.end());
}

void connection_table::busy(id c) {
  auto it = entries_.find(c);
  if (it == entries_.end() || it->second.st != state::idle) return;
  leave_idle(it->second);
  it->second.st = state::busy;
}

void connection_table::pin(id c) {
  auto it = entries_.find(c);
  if (it == entries_.end()) return;
  leave_idle(it->second);
  it->second.st = state::pinned;
}

std::optional<connection_table::id> connection_table::oldest_idle() {
  if (idle_.empty()) return std::nullopt;
  const id victim = idle_.front();
  forget(victim);
  return victim;
}

std::vector<connection_table::id> connection_table::writing(id c, std::size_t bytes) {
  std::vector<id> shed;
  auto it = entries_.find(c);
  if (it == entries_.end() || bytes == 0) return shed;
  written(c);
  while (response_bytes_ + bytes > limits_.response_bytes && !writing_.empty()) {
    const id victim = writing_.front();
    forget(victim);
    shed.push_back(victim);
  }
  auto& e = entries_.at(c);
  e.bytes = bytes;
  response_bytes_ += bytes;
  writing_.push_back(c);
  e.write_pos = std::prev(writing_.end());
  return shed;
}

void connection_table::written(id c) {
  auto it = entries_.find(c);
  if (it == entries_.end() || it->second.bytes == 0) return;
  response_bytes_ -= it->second.bytes;
  writing_.erase(it->second.write_pos);
  it->second.bytes = 0;
}

std::size_t connection_table::open_from(const std::string& address) const {
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace hearth::api
