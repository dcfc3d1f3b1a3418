// SPDX-License-Identifier: Apache-2.0
// The export's CSV cells: RFC 4180 quoting, and formula injection neutralised (issue 16).
#include <catch2/catch.hpp>

#include "reports/csv.hpp"

using hearth::reports::csv_cell;
using hearth::reports::csv_row;

TEST_CASE("a cell a spreadsheet would run as a formula is written as text", "[reports]") {
  // The classic payloads: a formula, a DDE call, and the signs that start one.
  CHECK(csv_cell("=HYPERLINK(\"http://x\",\"ok\")") ==
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"ok\"\")\"");
  CHECK(csv_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0");
  CHECK(csv_cell("-2+3") == "'-2+3");
  CHECK(csv_cell("@SUM(A1:A9)") == "'@SUM(A1:A9)");
  CHECK(csv_cell("\t=1+1") == "'\t=1+1");
  CHECK(csv_cell("\r=1+1") == "\"'\r=1+1\"");
  // Only the first character matters: a sign inside the text is harmless and kept.
  CHECK(csv_cell("called 120 = ambulance") == "called 120 = ambulance");
  CHECK(csv_cell("") == "");
  CHECK(csv_cell("2026-11-20T00:00:30Z") == "2026-11-20T00:00:30Z");
}

TEST_CASE("cells with commas, quotes or line breaks are quoted, quotes doubled", "[reports]") {
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("she said \"fine\"") == "\"she said \"\"fine\"\"\"");
  CHECK(csv_cell("line 1\nline 2") == "\"line 1\nline 2\"");
  CHECK(csv_cell("老人说没事") == "老人说没事");
  CHECK(csv_row({"1", "=x", "a,b"}) == "1,'=x,\"a,b\"\r\n");
  CHECK(csv_row({}) == "\r\n");
}
