// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Decides, from the topic alone, whether a message is life-safety (priority lane) or not
/// (bulk lane). It runs in the Paho callback for every message, so it is cheap: a few
/// pattern matches and hash look-ups, no payload parsing.
///
/// Built from the catalog and the registry (and rebuilt after SIGHUP): for every device
/// type with `life_safety: true` whose topic carries the external id
/// ("zigbee2mqtt/{external_id}"), a topic is priority when the id in it is the external id
/// (exactly, case included) of a registered device of such a type. The classifier shares
/// the registry snapshot (immutable, so safe to read from Paho's thread) rather than
/// copying a million ids.
/// Types that carry the external id in the payload (The Things Stack) are told apart by
/// their topic pattern when no other type's overlaps it (a TTS application of their own,
/// "v3/sos-buttons@ttn/devices/+/up"). When the pattern is shared (tilt sensors share
/// "v3/+/devices/+/up" with water meters), a device is known only once the domain thread
/// has seen one message of it: `with_learned` adds that exact topic.
///
/// Immutable: the daemon holds it in a `std::atomic<std::shared_ptr<const ...>>` and swaps
/// in a new one on reload or when a topic is learned.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "catalog/device_type.hpp"
#include "registry/registry.hpp"

namespace hearth::ingest {

class classifier {
 public:
  classifier() = default;
  classifier(const catalog::catalog& types, std::shared_ptr<const registry::registry> devices);

  /// True when the topic belongs to a registered life-safety device (or a learned topic):
  /// the priority session subscribes to it, so its messages come on both sessions.
  bool is_priority(std::string_view topic) const;
  /// The lane of one message: priority when its topic is, except for a device of a type
  /// that may report anything (`native` without `metrics:`): then only when the payload
  /// names a life-safety metric ("sos.pressed", ...), so its meter readings stay bulk. A
  /// substring test, no parsing: cheap enough for Paho's thread.
  bool is_priority(std::string_view topic, std::string_view payload) const;

  /// A copy that also classifies `topic` as life-safety (learned on the domain thread).
  std::shared_ptr<const classifier> with_learned(std::string topic) const;
  /// The learned topics, carried over into a classifier rebuilt after a reload.
  const std::unordered_set<std::string>& learned() const { return learned_; }
  void learn(std::string topic) { learned_.insert(std::move(topic)); }

  /// Registered devices of a life-safety type classified by topic, plus learned topics.
  std::size_t size() const;

  /// MQTT topic filters that receive exactly the life-safety messages, for the priority
  /// session: each pattern with a registered id in place of {external_id} (other levels
  /// stay '+'), and the learned topics. Ids that cannot be part of a filter ('+', '#', or
  /// empty) are left to the main session. Sorted; at most `max` (the rest, also left to
  /// the main session, are counted in `*left_out` when given).
  std::vector<std::string> priority_filters(std::size_t max, std::size_t* left_out = nullptr) const;

  /// True when this classifier is `base` plus learned topics (made from it by
  /// `with_learned`): its filters are then base's plus those topics, no rebuild needed.
  bool extends(const classifier& base) const { return lineage_ == base.lineage_; }

 private:
  struct pattern_types {
    std::string pattern;             ///< e.g. "zigbee2mqtt/{external_id}"
    std::vector<std::string> types;  ///< the life-safety types with that topic
    std::vector<std::string> any;    ///< of those, the ones that may report anything
  };
  /// The pattern and device type a topic's device is classified by, or nullptr.
  const pattern_types* match(std::string_view topic, std::string_view* type) const;
  bool exclusive(std::string_view topic) const;
  /// Topic patterns of payload-id life-safety types that no other type's pattern overlaps.
  std::vector<std::string> exclusive_;
  bool priority_type(const pattern_types& p, std::string_view type) const;
  std::vector<pattern_types> patterns_;
  std::shared_ptr<const registry::registry> devices_;
  std::unordered_set<std::string> learned_;
  std::uint64_t lineage_ = 0;  ///< set by the constructor, kept by `with_learned`
};

}  // namespace hearth::ingest
