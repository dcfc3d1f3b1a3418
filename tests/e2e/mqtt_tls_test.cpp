// SPDX-License-Identifier: Apache-2.0
// MQTT over TLS against a real mosquitto that requires a client certificate and a password.
// A throwaway CA, server and client certificates are made with the openssl CLI in the
// test's folder; the password file with mosquitto_passwd.
#include <fmt/format.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string k_password = "correct horse battery staple 7";

void run_ok(std::vector<std::string> argv, const temp_dir& dir) {
  const auto what = fmt::format("{}", fmt::join(argv, " "));
  const auto r = run_command(std::move(argv), dir);
  INFO(what << "\n" << r.output);
  REQUIRE(r.status == 0);
}

/// ca.crt, server.{crt,key} for 127.0.0.1, client.{crt,key}, and mosquitto's passwd file.
void make_pki(const temp_dir& dir) {
  const auto p = [&](const char* name) { return (dir / name).string(); };
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  auto req = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"openssl", "req"};
    argv.insert(argv.end(), ec.begin(), ec.end());
    argv.insert(argv.end(), args.begin(), args.end());
    run_ok(argv, dir);
  };
  req({"-x509", "-days", "2", "-subj", "/CN=hearth test CA", "-keyout", p("ca.key"), "-out",
       p("ca.crt")});
  write_file(dir / "server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const char* who : {"server", "client"}) {
    const std::string w = who;
    req({"-subj", "/CN=" + std::string(w == "server" ? "127.0.0.1" : "hearthd"), "-keyout",
         p((w + ".key").c_str()), "-out", p((w + ".csr").c_str())});
    std::vector<std::string> sign = {"openssl",
                                     "x509",
                                     "-req",
                                     "-days",
                                     "2",
                                     "-in",
                                     p((w + ".csr").c_str()),
                                     "-CA",
                                     p("ca.crt"),
                                     "-CAkey",
                                     p("ca.key"),
                                     "-CAcreateserial",
                                     "-out",
                                     p((w + ".crt").c_str())};
    if (w == "server") {
      sign.push_back("-extfile");
      sign.push_back(p("server.ext"));
    }
    run_ok(sign, dir);
  }
  run_ok({"mosquitto_passwd", "-b", "-c", p("passwd"), "hearthd", k_password}, dir);
  ::chmod(p("passwd").c_str(), 0600);
}

std::string tls_listener(const temp_dir& dir) {
  return fmt::format(
      "cafile {0}/ca.crt\ncertfile {0}/server.crt\nkeyfile {0}/server.key\n"
      "require_certificate true\npassword_file {0}/passwd\nallow_anonymous false\nuser root\n",
      dir.path().string());
}

std::string hearthd_mqtt(const temp_dir& pki, const broker& b, const std::string& password_file,
                         const std::string& client_id) {
  return fmt::format(
      "mqtt:\n  uri: \"ssl://127.0.0.1:{}\"\n  client_id: {}\n  username: hearthd\n"
      "  password_file: {}\n  ca_file: {}/ca.crt\n  cert_file: {}/client.crt\n"
      "  key_file: {}/client.key\n",
      b.port(), client_id, password_file, pki.path().string(), pki.path().string(),
      pki.path().string());
}

std::size_t alert_count(unsigned short port) {
  auto r = http_get(port, "/api/v1/alerts");
  if (r.status != 200) return 0;
  return json::parse(r.body).as_object().at("alerts").as_array().size();
}

}  // namespace

TEST_CASE(
    "over TLS with a client certificate and a password from a file, an SOS becomes an "
    "alert, and a wrong password is refused without crashing hearthd",
    "[e2e][tls]") {
  temp_dir pki;
  make_pki(pki);
  broker mosquitto(pki, tls_listener(pki));

  SECTION("the right password") {
    temp_dir dir;
    write_file(dir / "mqtt.password", k_password + "\n");
    daemon_process::options o;
    o.mqtt_config = hearthd_mqtt(pki, mosquitto, (dir / "mqtt.password").string(), "hearthd-tls");
    daemon_process hearthd(dir, mosquitto, o);
    hearthd.wait_connected();

    client_options c{"ssl://127.0.0.1:" + std::to_string(mosquitto.port()),
                     "hearthd",
                     k_password,
                     (pki / "ca.crt").string(),
                     (pki / "client.crt").string(),
                     (pki / "client.key").string()};
    publish(c, "zigbee2mqtt/0x00158d0008a1b2c3", R"({"action":"emergency"})");
    REQUIRE(eventually([&] { return alert_count(hearthd.http_port()) == 1; }));
    // The alert publisher uses the same TLS settings and credentials.
    REQUIRE(eventually([&] {
      return metric_value(http_get(hearthd.http_port(), "/metrics").body,
                          "hearth_mqtt_out_connected") == 1;
    }));
    CHECK(hearthd.proc().log().find(k_password) == std::string::npos);
  }

  SECTION("a wrong password") {
    temp_dir dir;
    write_file(dir / "mqtt.password", "not the password\n");
    daemon_process::options o;
    o.mqtt_config = hearthd_mqtt(pki, mosquitto, (dir / "mqtt.password").string(), "hearthd-bad");
    daemon_process hearthd(dir, mosquitto, o);
    // Refused (CONNACK "not authorized"), retried with backoff, and still serving.
    REQUIRE(eventually(
        [&] { return hearthd.proc().log().find("MQTT connect to ssl://") != std::string::npos; }));
    const auto m = http_get(hearthd.http_port(), "/metrics").body;
    CHECK(metric_value(m, "mqtt_connected") == 0);
    const auto h = json::parse(http_get(hearthd.http_port(), "/healthz").body).as_object();
    CHECK(h.at("status") == "degraded");
    CHECK(h.at("mqtt_connected") == false);
    CHECK(hearthd.proc().running());
    CHECK(hearthd.proc().log().find("not the password") == std::string::npos);
  }
}
