// SPDX-License-Identifier: Apache-2.0
#include "store/sql.hpp"

namespace hearth::store {

void connection::begin() {
  if (depth_ == 0) {
    ++serial_;
    begin_transaction();
    doomed_ = false;
  }
  ++depth_;
}

void connection::commit() {
  if (depth_ > 1) {
    --depth_;  // joined: the outer transaction commits
    return;
  }
  if (doomed_) {
    rollback();
    throw store_error(errc::error, "part of the transaction failed; it was rolled back");
  }
  commit_transaction();  // on failure the depth stays, and the destructor rolls back
  depth_ = 0;
}

void connection::rollback() noexcept {
  if (depth_ == 0) return;
  if (--depth_ > 0) {
    doomed_ = true;
    return;
  }
  doomed_ = false;
  try {
    rollback_transaction();
  } catch (...) {
    // Nothing is committed either way; the backend reports a lost connection on next use.
  }
}

}  // namespace hearth::store
