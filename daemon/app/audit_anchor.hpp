// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Anchors the audit chain's head outside the database (issue 18, defect 4; the head and
/// its format are store/audit_head.hpp). On each tick, when the chain or the alerts table
/// has grown since the last head, takes a new head, signs it with the key of
/// `audit.key_file`, writes it to `<database>.head` (SQLite) and publishes it retained on
/// MQTT `hearth/audit/head`, so that cutting rows off the end of the chain, or rewriting
/// it, no longer verifies against any head taken since.
///
/// Threading: domain thread (the ticker's). Never throws: a failure is logged once per
/// cause and the head is taken again on the next tick.

#include <functional>
#include <optional>
#include <string>

#include "store/audit_head.hpp"
#include "store/store.hpp"

namespace hearth::app {

/// The MQTT topic of the head (retained).
inline constexpr const char* k_audit_head_topic = "hearth/audit/head";

class audit_anchor {
 public:
  using publish_fn = std::function<void(const std::string& payload)>;

  /// `key` may be empty (the head is then published unsigned, and said so at start);
  /// `head_file` may be empty (PostgreSQL, :memory:).
  audit_anchor(store::store& st, std::string key, std::string head_file, publish_fn publish)
      : store_(st),
        key_(std::move(key)),
        head_file_(std::move(head_file)),
        publish_(std::move(publish)) {}

  /// Takes, signs, writes and publishes a head when the chain moved (always the first time).
  void tick(time_point now) noexcept;
  /// The last head published, if any.
  const std::optional<store::audit_head>& last() const { return last_; }

 private:
  store::store& store_;
  std::string key_, head_file_;
  publish_fn publish_;
  std::optional<store::audit_head> last_;
  std::string last_problem_;
};

}  // namespace hearth::app
