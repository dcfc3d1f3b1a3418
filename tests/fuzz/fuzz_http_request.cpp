// SPDX-License-Identifier: Apache-2.0
// Fuzzes the HTTP API from raw bytes: Beast's request_parser with the server's limits, the
// decoding of path, query and headers (api::parse_request), then the routes themselves over
// an in-memory store (query checks, JSON body validation, ids). Hostile bytes must give a
// 4xx, never a crash, a sanitizer report or a 500.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "alerts/book.hpp"
#include "api/http_server.hpp"
#include "api/routes.hpp"
#include "app/pipeline.hpp"

namespace {
using namespace hearth;

struct rig {
  manual_clock clock{time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}}};
  telemetry tel;
  store::store st{":memory:"};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{}; }};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto* r = new rig;  // one daemon's worth of state, as a long-running process has
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = api::parse_request(bytes);
  if (parsed.status != 0 && parsed.status != 400 && parsed.status != 413) __builtin_trap();
  if (parsed.complete) {
    const auto res = r->routes.handle(parsed.req);
    if (res.status >= 500 && res.status != 503) __builtin_trap();
    (void)api::parse_json_body(parsed.req.body, {"note", "text", "outcome"}, {"text"});
  }
  (void)api::parse_json_body(bytes, {"until", "reason"}, {"until", "reason"});
  return 0;
}
