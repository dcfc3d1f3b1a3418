// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Read-only looks into a running hearthd's SQLite file (WAL: readers never block it).

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace hearth::test {

/// The first column of the first row as an integer; -1 when the query fails.
std::int64_t query_int(const std::filesystem::path& db, const std::string& sql);
/// The first column of every row, as integers.
std::vector<std::int64_t> query_ints(const std::filesystem::path& db, const std::string& sql);
/// The first column of every row, as text.
std::set<std::string> query_texts(const std::filesystem::path& db, const std::string& sql);

}  // namespace hearth::test
