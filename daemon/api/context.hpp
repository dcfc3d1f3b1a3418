// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What every resource's handlers work on: the alert book, the store, telemetry and the
/// pipeline (through which every change to the book is recorded). Owned by `routes`; the
/// references outlive it. Domain thread only.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/book.hpp"
#include "app/config.hpp"
#include "base/telemetry.hpp"
#include "i18n/catalogue.hpp"
#include "store/store.hpp"

namespace hearth::app {
class pipeline;
}

namespace hearth::api {
class offload;

struct context {
  alerts::book& book;
  store::store& store;
  telemetry& tel;
  app::pipeline& pipeline;
  /// The SLA figures and the shifts (config `sla:` and `shifts:`).
  app::desk_config desk = {};
  /// Closes the user's live streams (disabling or removing a user ends them at once).
  std::function<void(std::string_view user)> close_streams = {};
  /// Where password hashes run (off the domain thread in live mode).
  offload* work = nullptr;
  /// The message catalogue, and the config's `locale` (for callers who ask for none).
  std::shared_ptr<const i18n::catalogue> words = std::make_shared<i18n::catalogue>();
  std::string locale{"zh-CN"};
  std::string timezone{"UTC"};  ///< the config's: times in words are local

  /// Journals one read-personal-data row per resident (action `read-personal-data`,
  /// subject `resident:<id>`), then records them together. Nothing when `resident_ids` is
  /// empty.
  void audit_reads(const std::string& actor, const std::vector<std::string>& resident_ids,
                   const std::string& channel = "api");
};

}  // namespace hearth::api
