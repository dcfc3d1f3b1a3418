// SPDX-License-Identifier: Apache-2.0
#include "store/store.hpp"

#include "store/file_watch.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace hearth::store {

transaction::transaction(store& s) : transaction(s.db()) {}

void store::commit_lazily() {
  // A statement, not a plain query, so that it goes down the transaction's pipeline.
  if (db_->dialect() == dialect::postgresql)
    db_->prepare("SET LOCAL synchronous_commit = off").run();
}

store::store(const std::string& database, store_options o)
    : db_(open_connection(database, o.connection)) {
  // A file that is not a database fails here with errc::notadb, before any write.
  migrate(*db_);
  if (auto* lite = dynamic_cast<sqlite_connection*>(db_.get())) {
    lite->set_busy_timeout(static_cast<int>(o.busy_timeout.count()));
    if (o.writer_checkpoints) lite->exec("PRAGMA wal_autocheckpoint=0");
    if (database != ":memory:") {
      ids_ = std::make_unique<id_floor>(database + ".ids");
      files_ = std::make_unique<file_watch>(database);
    }
  }
}

std::string store::check_files() {
  return files_ ? files_->check() : std::string();
}

void store::refuse_if_files_lost() const {
  if (files_ && !files_->problem().empty()) throw store_error(errc::cantopen, files_->problem());
}

store::~store() {
  if (ids_) ids_->release_unused();
}

}  // namespace hearth::store
