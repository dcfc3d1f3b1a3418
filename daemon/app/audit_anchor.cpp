// SPDX-License-Identifier: Apache-2.0
#include "app/audit_anchor.hpp"

#include "base/log.hpp"

namespace hearth::app {

void audit_anchor::tick(time_point now) noexcept {
  try {
    auto h = store_.audit_head_now(now);
    if (last_ && last_->rows == h.rows && last_->hash == h.hash &&
        last_->last_alert_id == h.last_alert_id)
      return;
    h = store::signed_head(std::move(h), key_);
    const auto text = store::head_json(h);
    if (!head_file_.empty()) store::replace_file_synced(head_file_, text + "\n");
    if (publish_) publish_(text);
    last_ = std::move(h);
    if (!last_problem_.empty()) log::info("store", "the audit head is written again");
    last_problem_.clear();
  } catch (const std::exception& e) {
    if (last_problem_ != e.what())
      log::error("store", "cannot anchor the audit head (retried each second): {}", e.what());
    last_problem_ = e.what();
  }
}

}  // namespace hearth::app
