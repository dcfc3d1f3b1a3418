// SPDX-License-Identifier: Apache-2.0
// hearth-bench: runs the benchmarks (each a Catch2 test case tagged by figure), then prints
// the table and writes build/bench/results.json. `hearth-bench "[ingest]"` runs one group.
#define CATCH_CONFIG_RUNNER
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>

#include "bench.hpp"

int main(int argc, char** argv) {
  using namespace hearth::bench;
  const int rc = Catch::Session().run(argc, argv);
  namespace json = boost::json;
  json::array rows;
  fmt::print("\n{:<36} {:>14} {:<8} {:>14} {:>9}  {:<34} {}\n", "figure", "value", "unit",
             "baseline", "ratio", "target", "met");
  for (const auto& f : figures()) {
    fmt::print("{:<36} {:>14.1f} {:<8} {:>14} {:>9}  {:<34} {}\n", f.name, f.value, f.unit,
               f.baseline ? fmt::format("{:.1f}", *f.baseline) : "",
               f.ratio ? fmt::format("{:.2f}", *f.ratio) : "", f.target,
               f.met ? (*f.met ? "yes" : "NO") : "");
    json::object o;
    o["id"] = f.id;
    o["name"] = f.name;
    o["value"] = f.value;
    o["unit"] = f.unit;
    if (f.baseline) o["baseline"] = *f.baseline;
    o["baseline_name"] = f.baseline_name;
    if (f.ratio) o["ratio"] = *f.ratio;
    o["target"] = f.target;
    if (f.met) o["met"] = *f.met;
    o["note"] = f.note;
    rows.push_back(std::move(o));
  }
  for (const auto& f : figures())
    if (!f.note.empty()) fmt::print("  {}: {}\n", f.id, f.note);
  std::filesystem::create_directories(bench_dir());
  json::object out;
  out["figures"] = std::move(rows);
  std::ofstream(bench_dir() / "results.json") << json::serialize(out) << "\n";
  fmt::print("\nwrote {}\n", (bench_dir() / "results.json").string());
  return rc;
}
