// SPDX-License-Identifier: Apache-2.0
#include "engine/engine.hpp"

#include <algorithm>

#include "engine/core.hpp"
#include "engine/kind.hpp"

namespace hearth::engine {

engine::engine(std::vector<rule> rules, const clock& clk, const std::string& tz)
    : rules_(std::move(rules)), timezone_(tz), core_(std::make_unique<core>(clk, tz)) {
  bind();
}

void engine::bind() {
  core_->bind_rules(rules_);
  reads_.clear();
  for (const auto& r : rules_) {
    std::bitset<64> m;
    for (auto x : inputs(r))
      m.set(static_cast<std::size_t>(x));
    reads_.push_back(m);
  }
}

engine::~engine() = default;

void engine::set_registry(std::shared_ptr<const registry::registry> r) {
  core_->set_registry(std::move(r));
}

void engine::set_messages(std::shared_ptr<const i18n::catalogue> words, std::string locale) {
  core_->set_messages(std::move(words), std::move(locale));
}

void engine::set_catalog(std::shared_ptr<const catalog::catalog> c) {
  core_->set_catalog(std::move(c));
}

void engine::set_rules(std::vector<rule> rules) {
  rules_ = std::move(rules);
  bind();
  core_->due_now();
}

std::string engine::local_time(time_point t) const {
  return core_->local_time(t);
}

void engine::set_away(const std::string& resident_id, std::optional<time_point> until) {
  core_->set_away(resident_id, until);
}

void engine::set_tilt_baseline(const std::string& device_id, double x_deg, double y_deg) {
  core_->set_tilt_baseline(device_id, x_deg, y_deg);
}

std::vector<signal> engine::on_report(const report& rep, const registry::device* known) {
  std::vector<signal> out;
  auto& k = *core_;
  // The caller's entry counts only if it is one of this snapshot's.
  const auto* dev = k.reg().holds(known) ? known : k.reg().find_device(rep.device_id);
  context c{rep.device_id, rep.device_type, dev, rep.ts, &rep};
  c.h = dev ? k.handle_of(*dev) : k.handle_of(rep.device_id, true);
  c.type = k.types().find(rep.device_type);
  const auto step = k.on_report(rep, c);
  if (step) c.step = &*step;
  // A rule applies to whatever reports what it reads, whatever the device's type is called.
  std::bitset<64> present;
  for (const auto& rd : rep.readings)
    present.set(static_cast<std::size_t>(rd.metric));
  core::residents_memo residents;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    if (reads_[i].any() && (reads_[i] & present).none()) continue;
    r.how->on_any_report(r, c, k);
    if (k.selected(r, rep.device_type, c.type, dev, rep.ts, &residents))
      r.how->on_report(r, c, k, out);
  }
  return out;
}

time_point engine::next_due() const {
  return core_->next_due();
}

std::vector<signal> engine::tick(time_point now) {
  std::vector<signal> out;
  auto& k = *core_;
  k.alive(now);
  if (now < k.next_due()) return out;
  auto soonest = time_point::max();
  for (const auto& r : rules_)
    soonest = std::min(soonest, r.how->tick(r, now, k, out));
  k.set_next_due(soonest);
  return out;
}

bool engine::changed() const {
  return core_->dirty();
}

bool engine::round_open() const {
  return core_->round_open();
}

std::vector<state_row> engine::take_changes(std::size_t max) {
  return core_->take_rows(max);
}

std::vector<state_row> engine::snapshot() const {
  return core_->all_rows();
}

void engine::restore(const std::vector<state_row>& rows) {
  // The rule whose id is the longest prefix of "<rule>|<device>" gives the state's kind.
  const auto owner_of = [](const std::vector<rule>& rules, std::string_view id) {
    core::owner o;
    for (const auto& r : rules)
      if (id.size() > r.id.size() && id[r.id.size()] == '|' && id.starts_with(r.id) &&
          (!o.r || r.id.size() > o.r->id.size()))
        o.r = &r;
    if (o.r) o.state = o.r->how->new_state();
    return o;
  };
  core_->restore(rows, rules_, owner_of);
}

}  // namespace hearth::engine
