// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `hearthd replay --config F CAPTURE.jsonl`: drives the live pipeline (normalize, rules,
/// alerts) from a capture, on a `manual_clock` set to each line's timestamp, and prints one
/// JSON line per alert transition: the alert plus `"transition":"opened|updated|resolved"`.
///
/// Replay never writes to the configured database: it runs on an in-memory store whose
/// registry comes from `registry_dir` (or, without one, from the configured database).
/// Nothing reads the wall clock, and alert ids start at 1, so replaying the same capture
/// twice prints the same bytes. Time-driven rules fire at their own deadlines between two
/// lines (the clock steps to each), as live mode's tick would.

#include <iosfwd>
#include <string>

namespace hearth::app {

/// Returns the exit code: 0, 78 for definition errors, 1 when the capture cannot be read.
/// Unreadable capture lines are reported on `err` as `file:line: message` and skipped.
int run_replay(const std::string& config_file, const std::string& capture_file, std::ostream& out,
               std::ostream& err);

/// `hearthd replay --config F --compare RULES CAPTURE.jsonl`: a backtest of a rule change.
/// Replays the capture twice, with the config's rules_dir and with RULES, and prints one
/// JSON line (the alert plus `"only_in": "<rules folder>"`) for each alert that one run
/// opens and the other does not (the same rule and subject opened at the same moment is
/// the same alert), in the order they opened; then a count on `err`. Exit codes as above.
int run_replay_compare(const std::string& config_file, const std::string& other_rules,
                       const std::string& capture_file, std::ostream& out, std::ostream& err);

}  // namespace hearth::app
