// SPDX-License-Identifier: Apache-2.0
#pragma once
/// CSV for spreadsheets (RFC 4180: comma-separated, CRLF line ends, a field with a comma,
/// quote or line break quoted, quotes doubled), with formula injection neutralised: a cell
/// that begins with '=', '+', '-', '@', a tab or a carriage return gets a leading
/// apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead of running
/// it (OWASP's advice for CSV injection). Pure.

#include <string>
#include <string_view>
#include <vector>

namespace hearth::reports {

/// One cell as written: neutralised, then quoted when needed.
std::string csv_cell(std::string_view text);
/// Cells joined by commas, ending in CRLF.
std::string csv_row(const std::vector<std::string>& cells);

}  // namespace hearth::reports
