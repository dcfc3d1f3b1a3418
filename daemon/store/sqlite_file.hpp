// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What only a SQLite file has: a start-up check of the file, a note on a torn WAL, and the
/// online backup. (A PostgreSQL database is checked, backed up and replicated with
/// PostgreSQL's own tools.)

#include <string>

namespace hearth::store {

/// Opens an existing database read-only and checks it can be used: the header, the schema
/// and `PRAGMA quick_check`. Returns an empty string when usable, else a plain message.
/// Used by `hearthd run` before anything writes, so a damaged file is refused, not
/// overwritten. A missing file is fine (it will be created).
std::string check_database_file(const std::string& path, bool full_check);

/// Why an existing file cannot be a whole database (issue 18, defect 6): it is 0 bytes, or
/// shorter than its header says (a copy or a restore cut short, a full disk), or shorter
/// than one page. Empty when the file is missing, whole, or not a SQLite file at all (that
/// is `check_database_file`'s to say). SQLite itself opens a 0-byte file as an empty new
/// database and reads a truncated one as if the missing pages were never written.
std::string empty_or_truncated(const std::string& path);

/// Why hearthd could not write the database at `path` (issue 18: "a read-only database at
/// start gives a clear message"): the file, its -wal or -shm is read-only for this user,
/// its folder is (SQLite makes the -wal and -shm there, and a first start the file), or the
/// file system is mounted read-only. Empty when it can be written, and for ":memory:".
std::string not_writable(const std::string& path);

/// Moves `path` and any -wal/-shm beside it to `<path>.<suffix>` (and its -wal/-shm), so
/// that a new database can be made in its place without a stale WAL being replayed into
/// it. Returns the new name of the main file. Throws store_error.
std::string move_aside(const std::string& path, const std::string& suffix);

/// A note when the file's -wal is not a whole number of frames (a torn tail that SQLite
/// will ignore); empty otherwise.
std::string wal_note(const std::string& path);

/// `hearthd backup`: copies the live database to `dest` with the SQLite online-backup API,
/// `pages_per_step` pages at a time, so the daemon's writers wait at most one step.
/// Throws store_error. `dest` must not exist (a backup never overwrites).
void backup(const std::string& source, const std::string& dest, int pages_per_step = 256);

}  // namespace hearth::store
