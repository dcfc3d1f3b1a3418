// SPDX-License-Identifier: Apache-2.0
// The `mqtt:` transport-security keys and the `ingest:` queue bounds of the config file.
#include <catch2/catch.hpp>

#include "app/config.hpp"
#include "support/config_support.hpp"
#include "support/harness.hpp"

namespace {
using namespace hearth;

std::optional<app::config> parse(const test::temp_dir& dir, const std::string& extra,
                                 diagnostics& d) {
  return test::parse_config_with(extra, d, (dir / "hearth.yaml").string());
}

std::string texts(const diagnostics& d) {
  std::string s;
  for (const auto& x : d)
    s += x.text() + "\n";
  return s;
}
}  // namespace

TEST_CASE("TLS files and the password file resolve against the config's folder", "[config]") {
  test::temp_dir dir;
  for (const char* f : {"ca.crt", "client.crt", "client.key", "mqtt.password"})
    test::write_file(dir / f, "x\n");
  diagnostics d;
  auto c = parse(dir,
                 "mqtt:\n  uri: ssl://broker.example:8883\n  username: hearthd\n"
                 "  password_file: mqtt.password\n  ca_file: ca.crt\n  cert_file: client.crt\n"
                 "  key_file: client.key\n",
                 d);
  INFO(texts(d));
  REQUIRE(c);
  CHECK(c->mqtt.username == "hearthd");
  CHECK(c->mqtt.password_file == (dir / "mqtt.password").string());
  CHECK(c->mqtt.ca_file == (dir / "ca.crt").string());
  CHECK(c->mqtt.cert_file == (dir / "client.crt").string());
  CHECK(c->mqtt.key_file == (dir / "client.key").string());
}

TEST_CASE("a secret file is read without its line ending", "[config]") {
  test::temp_dir dir;
  test::write_file(dir / "pw", "s3cret\r\n");
  CHECK(app::read_secret_file((dir / "pw").string()) == "s3cret");
  CHECK_FALSE(app::read_secret_file((dir / "absent").string()));
}

TEST_CASE("transport-security mistakes are reported with file:line", "[config]") {
  test::temp_dir dir;
  test::write_file(dir / "ca.crt", "x\n");
  const auto file = (dir / "hearth.yaml").string();
  struct bad_case {
    std::string yaml;
    std::string message;
  };
  const std::vector<bad_case> cases = {
      {"mqtt:\n  uri: ssl://b:8883\n  username: u\n  password: hunter2\n",
       "hearth.yaml:7: a password is never written in the config"},
      {"mqtt:\n  uri: ssl://b:8883\n  ca_file: missing.crt\n",
       "hearth.yaml:6: 'ca_file' cannot be read"},
      {"mqtt:\n  uri: tcp://b:1883\n  ca_file: ca.crt\n",
       "hearth.yaml:6: 'ca_file' needs an ssl:// or mqtts:// 'uri'"},
      {"mqtt:\n  uri: ssl://b:8883\n  cert_file: ca.crt\n",
       "hearth.yaml:6: 'cert_file' and 'key_file' go together"},
      {"mqtt:\n  uri: ssl://b:8883\n  password_file: ca.crt\n",
       "hearth.yaml:6: 'password_file' needs 'username'"},
      {"mqtt:\n  uri: ssl://b:8883\n  ca_fiel: ca.crt\n", "hearth.yaml:6:"},
      {"ingest:\n  bulk_queue_messages: 0\n", "hearth.yaml:5: 'bulk_queue_messages' must be"},
      {"ingest:\n  queue: 10\n", "hearth.yaml:5:"},
  };
  for (const auto& bc : cases) {
    diagnostics d;
    INFO(bc.yaml);
    CHECK_FALSE(test::parse_config_with(bc.yaml, d, file));
    const auto t = texts(d);
    INFO(t);
    CHECK(t.find(bc.message) != std::string::npos);
    CHECK(t.find("hunter2") == std::string::npos);  // a secret is never echoed
  }
}

TEST_CASE("ingest queue bounds default sensibly and are configurable", "[config]") {
  test::temp_dir dir;
  diagnostics d;
  auto c = parse(dir, "", d);
  REQUIRE(c);
  CHECK(c->ingest.bulk_queue_messages == 50'000);
  CHECK(c->ingest.priority_queue_messages == 100'000);
  CHECK(c->ingest.priority_session);
  CHECK(c->ingest.priority_session_topics == 50'000);
  c = parse(dir,
            "ingest: { bulk_queue_messages: 10, bulk_queue_bytes: 4096, "
            "priority_queue_messages: 20, store_backlog: 5, priority_session: false, "
            "priority_session_topics: 7 }\n",
            d);
  INFO(texts(d));
  REQUIRE(c);
  CHECK(c->ingest.bulk_queue_messages == 10);
  CHECK(c->ingest.bulk_queue_bytes == 4096);
  CHECK(c->ingest.priority_queue_messages == 20);
  CHECK(c->ingest.store_backlog == 5);
  CHECK_FALSE(c->ingest.priority_session);
  CHECK(c->ingest.priority_session_topics == 7);
}
