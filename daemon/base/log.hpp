// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The daemon's log: one line per event on stderr, with its level and the part that wrote
/// it (issue 18).
///
/// - Outside journald: `2026-11-22T03:00:01.123Z WARN  store: FAILING (writer): ...`, the
///   time in UTC to the millisecond.
/// - Under journald (stderr is the stream JOURNAL_STREAM names, as with systemd's default
///   StandardError=journal): `<4>store: FAILING (writer): ...`. journald reads the level from
///   the `<N>` prefix (sd-daemon(3)) and keeps the time itself; `journalctl -p warning`
///   then filters by level.
///
/// A line never carries personal data (names, phones, notes): callers log ids and reasons.
/// Thread-safe: each line is written whole. The CLI commands (`hearthd check`, `import`,
/// ...) print plain messages for the person at the terminal, not through this.

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace hearth::log {

enum class level { error, warning, info };

/// Writes one line (a trailing newline in `text` is dropped).
void write(level l, std::string_view part, std::string_view text);

/// The line as `write` would print it outside journald at `unix_ms` (tests).
std::string format_line(level l, std::string_view part, std::string_view text, long long unix_ms,
                        bool journald);

template <class... A>
void error(std::string_view part, fmt::format_string<A...> f, A&&... a) {
  write(level::error, part, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(std::string_view part, fmt::format_string<A...> f, A&&... a) {
  write(level::warning, part, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void info(std::string_view part, fmt::format_string<A...> f, A&&... a) {
  write(level::info, part, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace hearth::log
