// SPDX-License-Identifier: Apache-2.0
#include "base/log.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace hearth::log {

namespace {

/// JOURNAL_STREAM is "device:inode" of the stream systemd connected to journald; it names
/// stderr only if stderr is still that stream (not redirected by a wrapper).
bool stderr_is_journal() {
  const char* v = std::getenv("JOURNAL_STREAM");
  if (!v) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(v, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

int syslog_priority(level l) {
  switch (l) {
    case level::error:
      return 3;
    case level::warning:
      return 4;
    case level::info:
      return 6;
  }
  return 6;
}

const char* level_name(level l) {
  switch (l) {
    case level::error:
      return "ERROR";
    case level::warning:
      return "WARN ";
    case level::info:
      return "INFO ";
  }
  return "INFO ";
}

std::mutex& line_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::string format_line(level l, std::string_view part, std::string_view text, long long unix_ms,
                        bool journald) {
  while (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  if (journald) return fmt::format("<{}>{}: {}\n", syslog_priority(l), part, text);
  using namespace std::chrono;
  const auto at = sys_time<milliseconds>(milliseconds(unix_ms));
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss hms{at - day};
  // Always the milliseconds, so that lines line up.
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}: {}\n", int(ymd.year()),
                     unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count(),
                     level_name(l), part, text);
}

void write(level l, std::string_view part, std::string_view text) {
  static const bool journald = stderr_is_journal();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const auto line = format_line(l, part, text, ms, journald);
  std::lock_guard lock(line_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hearth::log
