// SPDX-License-Identifier: Apache-2.0
// The audit head (issue 18, defect 4): what it signs, and that the signature changes with
// every field and with the key; its JSON reads back as it was written.
#include "store/audit_head.hpp"

#include <catch2/catch.hpp>

#include "base/time.hpp"
#include "store/audit.hpp"

using namespace hearth;

namespace {

store::audit_head sample() {
  store::audit_head h;
  h.rows = 42;
  h.hash = std::string(64, 'a');
  h.last_alert_id = 17;
  h.at = *parse_rfc3339("2026-11-20T07:00:00Z");
  return h;
}

constexpr std::string_view k_key = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("an audit head is signed over every field, under its key", "[store][audit]") {
  const auto h = store::signed_head(sample(), k_key);
  REQUIRE(h.hmac.size() == 64);
  CHECK(store::head_hmac(h, k_key) == h.hmac);
  CHECK(store::head_hmac(h, "another key of sixteen+ bytes") != h.hmac);
  auto fewer = h;
  fewer.rows = 41;  // rows cut off the end
  CHECK(store::head_hmac(fewer, k_key) != h.hmac);
  auto other = h;
  other.hash = std::string(64, 'b');  // a rewritten chain
  CHECK(store::head_hmac(other, k_key) != h.hmac);
  auto older = h;
  older.last_alert_id = 16;
  CHECK(store::head_hmac(older, k_key) != h.hmac);
  auto later = h;
  later.at += std::chrono::seconds(1);
  CHECK(store::head_hmac(later, k_key) != h.hmac);
  CHECK(store::canonical_head(h) == R"({"rows":42,"hash":")" + std::string(64, 'a') +
                                        R"(","last_alert_id":17,"at":"2026-11-20T07:00:00Z"})");
  CHECK(store::signed_head(sample(), "").hmac.empty());
}

TEST_CASE("an audit head's JSON reads back as it was, and a wrong one says why", "[store][audit]") {
  const auto h = store::signed_head(sample(), k_key);
  std::string why;
  const auto back = store::parse_head(store::head_json(h), why);
  REQUIRE(back);
  CHECK(*back == h);
  const auto unsigned_head = store::signed_head(sample(), "");
  CHECK(store::head_json(unsigned_head).find(R"("hmac":null)") != std::string::npos);
  CHECK(store::parse_head(store::head_json(unsigned_head), why)->hmac.empty());

  CHECK_FALSE(store::parse_head("42", why));
  CHECK(why.find("JSON object") != std::string::npos);
  CHECK_FALSE(store::parse_head(R"({"rows":-1,"hash":"x","last_alert_id":0,"at":"x"})", why));
  CHECK(why.find("\"rows\"") != std::string::npos);
  CHECK_FALSE(store::parse_head(
      R"({"rows":1,"hash":"abc","last_alert_id":0,"at":"2026-11-20T07:00:00Z"})", why));
  CHECK(why.find("\"hash\"") != std::string::npos);
  CHECK_FALSE(store::parse_head(
      R"({"rows":1,"hash":")" + std::string(64, 'a') + R"(","last_alert_id":0,"at":"yesterday"})",
      why));
  CHECK(why.find("\"at\"") != std::string::npos);
}
