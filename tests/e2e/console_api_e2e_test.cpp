// SPDX-License-Identifier: Apache-2.0
// Issue 6 end to end: a real mosquitto and the real hearthd. Each role's limits over HTTP,
// login, logout and its rate limit, what the SQLite file holds instead of passwords, and
// the WebSocket stream filtered by caseload. Every wait is a poll with a deadline.
#include <sqlite3.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/stream_client.hpp"

using namespace hearth::test;
namespace json = boost::json;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;

namespace {

const std::string k_sos_topic = "zigbee2mqtt/0x00158d0008a1b2c3";  // sos-3-502: R-1001, sw-lu
const std::string k_button_topic =
    "hearth/v1/devices/button-demo-1/up";  // H-3-503: R-1002, sw-song

json::object body_of(const http_response& r) {
  return json::parse(r.body).as_object();
}

/// Adds op-li, an operator with a console password, and logs in: the session's token.
std::string log_in_op_li(daemon_process& hearthd) {
  REQUIRE(!add_user(hearthd.config(), "op-li", "operator", "the operator's password").empty());
  auto login =
      http(hearthd.http_port(), "POST", "/api/v1/login",
           R"({"user":"op-li","password":"the operator's password"})", {{"Authorization", ""}});
  REQUIRE(login.status == 200);
  return std::string(body_of(login).at("token").as_string());
}

/// Whether the server closes `live` within `limit`: the next read ends with the close, not
/// a message.
bool closed_by_server(stream_client& live, std::chrono::seconds limit) {
  beast::error_code closed;
  live.buf.clear();
  live.ws.async_read(live.buf, [&](beast::error_code ec, std::size_t) { closed = ec; });
  live.io.restart();
  live.io.run_for(limit);
  return closed == websocket::error::closed;
}

/// A community with op-li logged in and its live stream open (past the hello).
struct op_li_streaming {
  temp_dir dir;
  broker mosquitto{dir};
  daemon_process hearthd{dir, mosquitto};
  std::string session = log_in_op_li(hearthd);
  stream_client live{hearthd.http_port(), session};
  op_li_streaming() { REQUIRE(live.next().value().at("hello").at("user") == "op-li"); }
};

std::vector<std::string> column(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// The ids of the alerts the holder of `token` sees in the queue.
std::vector<std::string> queue_ids(unsigned short port, const std::string& token) {
  auto r = http(port, "GET", "/api/v1/alerts", "", bearer(token));
  std::vector<std::string> ids;
  if (r.status != 200) return ids;
  const auto b = body_of(r);
  for (const auto& a : b.at("alerts").as_array())
    ids.emplace_back(a.at("id").as_string());
  return ids;
}

/// Both sample alerts open: the SOS of R-1001 (sw-lu) and the button of H-3-503 (sw-song).
std::pair<std::string, std::string> open_two_alerts(daemon_process& d, broker& b) {
  publish(b.uri(), k_sos_topic, R"({"action": "emergency", "battery": 92})");
  publish(b.uri(), k_button_topic,
          R"({"ts": "2026-11-20T07:31:00Z", "metrics": {"sos.pressed": true}})");
  std::string lu, song;
  REQUIRE(eventually([&] {
    auto r = http(d.http_port(), "GET", "/api/v1/alerts", "", bearer(d.admin_token()));
    if (r.status != 200) return false;
    const auto b = body_of(r);
    for (const auto& a : b.at("alerts").as_array()) {
      const auto dev = a.at("subject").at("device_id").as_string();
      if (dev == "sos-3-502") lu = a.at("id").as_string();
      if (dev == "button-demo-1") song = a.at("id").as_string();
    }
    return !lu.empty() && !song.empty();
  }));
  return {lu, song};
}

}  // namespace

TEST_CASE(
    "each role sees what it may: operator all, social worker own caseload, integrator no "
    "personal data",
    "[e2e][api][auth]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  const auto port = hearthd.http_port();
  const auto op = add_user(hearthd.config(), "op-wang", "operator");
  const auto lu = add_user(hearthd.config(), "sw-lu", "social_worker");
  const auto integrator = add_user(hearthd.config(), "int-chen", "integrator");
  REQUIRE((!op.empty() && !lu.empty() && !integrator.empty()));
  const auto [lu_alert, song_alert] = open_two_alerts(hearthd, mosquitto);

  // Without credentials: 401 as JSON.
  auto anon = http(port, "GET", "/api/v1/alerts", "", {{"Authorization", ""}});
  CHECK(anon.status == 401);
  CHECK(body_of(anon).at("error") == "unauthenticated");
  CHECK(http(port, "GET", "/api/v1/alerts", "", bearer("not-a-token")).status == 401);

  // The message catalogue needs no credentials: the login screen speaks the operator's
  // language before anyone has logged in. By path, or by Accept-Language.
  auto zh = http(port, "GET", "/api/v1/messages/zh-CN", "", {{"Authorization", ""}});
  REQUIRE(zh.status == 200);
  CHECK(zh.headers["Content-Language"] == "zh-CN");
  CHECK(body_of(zh).at("messages").at("device_type.z2m.smoke-detector.name") == "烟雾报警器");
  CHECK(body_of(zh).at("messages").at("age.days") == "{n}天前");
  auto en = http(port, "GET", "/api/v1/messages", "",
                 {{"Authorization", ""}, {"Accept-Language", "en-GB,en;q=0.9,zh;q=0.5"}});
  REQUIRE(en.status == 200);
  CHECK(body_of(en).at("locale") == "en");
  CHECK(body_of(en).at("messages").at("age.days").at("one") == "{n} day ago");
  CHECK(http(port, "GET", "/api/v1/messages/fr", "", {{"Authorization", ""}}).status == 404);

  // The operator: the whole queue and the call sheet of either resident.
  CHECK(queue_ids(port, op).size() == 2);
  auto detail = http(port, "GET", "/api/v1/alerts/" + lu_alert, "", bearer(op));
  REQUIRE(detail.status == 200);
  const auto detail_body = body_of(detail);
  const auto& resident = detail_body.at("residents").as_array().at(0);
  CHECK(resident.at("name") == "Example Resident A");
  CHECK(resident.at("emergency_contacts").as_array().at(0).at("phone") == "+86-000-0000-0002");
  CHECK(http(port, "GET", "/api/v1/residents/R-1002", "", bearer(op)).status == 200);
  CHECK(http(port, "GET", "/api/v1/households/H-3-503", "", bearer(op)).status == 200);

  // The social worker sw-lu: only R-1001's alert; the other caseload does not exist for her.
  CHECK(queue_ids(port, lu) == std::vector<std::string>{lu_alert});
  CHECK(http(port, "GET", "/api/v1/alerts/" + lu_alert, "", bearer(lu)).status == 200);
  CHECK(http(port, "GET", "/api/v1/alerts/" + song_alert, "", bearer(lu)).status == 404);
  CHECK(http(port, "POST", "/api/v1/alerts/" + song_alert + "/claim", "{}", bearer(lu)).status ==
        404);
  CHECK(http(port, "GET", "/api/v1/residents/R-1002", "", bearer(lu)).status == 404);
  CHECK(http(port, "GET", "/api/v1/households/H-3-503", "", bearer(lu)).status == 404);
  CHECK(http(port, "POST", "/api/v1/residents/R-1002/away",
             R"({"until":"2026-12-01T00:00:00Z","reason":"hospital"})", bearer(lu))
            .status == 404);
  auto own = http(port, "GET", "/api/v1/residents/R-1001", "", bearer(lu));
  REQUIRE(own.status == 200);
  CHECK(body_of(own).at("recent_alerts").as_array().at(0).at("id").as_string() == lu_alert);
  auto caseload = http(port, "GET", "/api/v1/residents", "", bearer(lu));
  REQUIRE(caseload.status == 200);
  CHECK(body_of(caseload).at("residents").as_array().size() == 1);

  // The integrator: devices yes; residents, households and contact details no.
  CHECK(http(port, "GET", "/api/v1/devices", "", bearer(integrator)).status == 200);
  CHECK(http(port, "GET", "/api/v1/devices/unknown", "", bearer(integrator)).status == 200);
  CHECK(http(port, "GET", "/api/v1/residents/R-1001", "", bearer(integrator)).status == 403);
  CHECK(http(port, "GET", "/api/v1/households/H-3-502", "", bearer(integrator)).status == 403);
  auto seen = http(port, "GET", "/api/v1/alerts/" + lu_alert, "", bearer(integrator));
  REQUIRE(seen.status == 200);
  CHECK(!body_of(seen).contains("residents"));
  CHECK(seen.body.find("Example Resident") == std::string::npos);
  CHECK(seen.body.find("+86") == std::string::npos);
  CHECK(http(port, "POST", "/api/v1/alerts/" + lu_alert + "/claim", "{}", bearer(integrator))
            .status == 403);
  // Silences are the supervisor's: an operator is refused.
  CHECK(http(port, "POST", "/api/v1/silences",
             R"({"scope":{"building":"B3"},"until":"2026-12-01T00:00:00Z","reason":"x"})",
             bearer(op))
            .status == 403);

  // Every read of personal data left an audit row with its actor and channel.
  const auto reads = column(hearthd.database(),
                            "SELECT actor || ' ' || subject || ' ' || channel FROM audit WHERE "
                            "action = 'read-personal-data'");
  CHECK(std::count(reads.begin(), reads.end(), "sw-lu resident:R-1001 api") >= 3);
  CHECK(std::count(reads.begin(), reads.end(), "op-wang resident:R-1002 api") >= 2);
  CHECK(std::count_if(reads.begin(), reads.end(),
                      [](const auto& r) { return r.starts_with("int-chen"); }) == 0);
}

TEST_CASE("login gives a session cookie and token, logout ends it, and only hashes are stored",
          "[e2e][api][auth]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  const auto port = hearthd.http_port();
  const std::string password = "correct horse battery staple";
  const auto api_token = add_user(hearthd.config(), "op-li", "operator", password);
  REQUIRE(!api_token.empty());

  auto login = http(port, "POST", "/api/v1/login",
                    R"({"user":"op-li","password":"correct horse battery staple"})",
                    {{"Authorization", ""}});
  REQUIRE(login.status == 200);
  const auto b = body_of(login);
  CHECK(b.at("role") == "operator");
  CHECK(b.contains("expires_at"));
  const std::string token(b.at("token").as_string());
  const auto cookie = login.headers["Set-Cookie"];
  CHECK(cookie.find("hearth_session=" + token) == 0);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);

  CHECK(http(port, "GET", "/api/v1/me", "", bearer(token)).status == 200);
  auto by_cookie = http(port, "GET", "/api/v1/me", "",
                        {{"Authorization", ""}, {"Cookie", "hearth_session=" + token}});
  REQUIRE(by_cookie.status == 200);
  CHECK(body_of(by_cookie).at("user") == "op-li");
  CHECK(http(port, "GET", "/api/v1/me", "", bearer(api_token)).status == 200);

  // Strict bodies: unknown keys, wrong types and oversize bodies are refused.
  CHECK(http(port, "POST", "/api/v1/login", R"({"user":"op-li","password":"x","remember":true})",
             {{"Authorization", ""}})
            .status == 400);
  CHECK(http(port, "POST", "/api/v1/login", R"({"user":"op-li","password":1})",
             {{"Authorization", ""}})
            .status == 400);
  CHECK(http(port, "POST", "/api/v1/login", std::string(70 * 1024, ' '), {{"Authorization", ""}})
            .status == 413);

  CHECK(http(port, "POST", "/api/v1/logout", "", bearer(token)).status == 204);
  auto after = http(port, "GET", "/api/v1/me", "", bearer(token));
  CHECK(after.status == 401);
  CHECK(body_of(after).at("error") == "unauthenticated");
  CHECK(http(port, "GET", "/api/v1/me", "", bearer(api_token)).status == 200);  // not ended

  // The SQLite file holds a slow salted hash, and token hashes only.
  const auto hashes =
      column(hearthd.database(), "SELECT password_hash FROM users WHERE name='op-li'");
  REQUIRE(hashes.size() == 1);
  CHECK(hashes[0].starts_with("pbkdf2-sha256$600000$"));
  CHECK(hashes[0].find(password) == std::string::npos);
  const auto tokens = column(hearthd.database(), "SELECT hash FROM tokens");
  CHECK(std::find(tokens.begin(), tokens.end(), api_token) == tokens.end());
  for (const auto& file :
       {hearthd.database(), std::filesystem::path(hearthd.database().string() + "-wal")}) {
    if (!std::filesystem::exists(file)) continue;
    const auto bytes = read_file(file);
    CHECK(bytes.find(password) == std::string::npos);
    CHECK(bytes.find(api_token) == std::string::npos);
    CHECK(bytes.find(token) == std::string::npos);
  }
}

TEST_CASE("five failed logins lock the name for a minute, even with the right password",
          "[e2e][api][auth]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  const auto port = hearthd.http_port();
  REQUIRE(!add_user(hearthd.config(), "op-zhou", "operator", "the right password").empty());
  const std::map<std::string, std::string> none{{"Authorization", ""}};
  for (int i = 0; i < 5; ++i)
    CHECK(http(port, "POST", "/api/v1/login", R"({"user":"op-zhou","password":"guess"})", none)
              .status == 401);
  auto locked = http(port, "POST", "/api/v1/login",
                     R"({"user":"op-zhou","password":"the right password"})", none);
  CHECK(locked.status == 429);
  CHECK(body_of(locked).at("error") == "too-many-attempts");
  CHECK(!locked.headers["Retry-After"].empty());
  const auto failed =
      column(hearthd.database(), "SELECT actor FROM audit WHERE action = 'login-failed'");
  CHECK(failed.size() == 5);
}

TEST_CASE("the stream pushes each transition to those who may see it, within a second",
          "[e2e][api][stream]") {
  temp_dir dir;
  broker mosquitto(dir);
  daemon_process hearthd(dir, mosquitto);
  hearthd.wait_connected();
  const auto port = hearthd.http_port();
  const auto op = add_user(hearthd.config(), "op-wang", "operator");
  const auto song = add_user(hearthd.config(), "sw-song", "social_worker");
  CHECK(http(port, "GET", "/api/v1/stream", "", bearer(op)).status == 426);  // not a WebSocket

  stream_client op_stream(port, op), song_stream(port, song);
  REQUIRE(op_stream.next().value().at("hello").at("role") == "operator");
  REQUIRE(song_stream.next().value().at("hello").at("user") == "sw-song");

  // R-1001's SOS is sw-lu's: the operator is told, sw-song is not.
  publish(mosquitto.uri(), k_sos_topic, R"({"action": "emergency", "battery": 92})");
  const auto t0 = std::chrono::steady_clock::now();
  auto pushed = op_stream.next();
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(pushed);
  CHECK(pushed->at("transition") == "opened");
  CHECK(pushed->at("rule") == "sos-pressed");
  CHECK(pushed->at("priority") == 1);
  CHECK(took < 1500ms);  // publish, ingest, rules, store and push

  // The next thing sw-song hears is her own resident's alert, not the SOS above.
  publish(mosquitto.uri(), k_button_topic,
          R"({"ts": "2026-11-20T07:31:00Z", "metrics": {"sos.pressed": true}})");
  auto own = song_stream.next();
  REQUIRE(own);
  CHECK(own->at("subject").at("device_id") == "button-demo-1");

  // A claim over HTTP reaches the operator's stream as an update.
  const std::string id(pushed->at("id").as_string());
  REQUIRE(http(port, "POST", "/api/v1/alerts/" + id + "/claim", "{}", bearer(op)).status == 200);
  std::optional<json::object> claimed;
  REQUIRE(eventually([&] {
    claimed = op_stream.next(2s);
    return claimed && claimed->at("id").as_string() == id && claimed->at("state") == "acknowledged";
  }));
  CHECK(claimed->at("assignee") == "op-wang");
}

TEST_CASE(
    "revoking a user's tokens from the command line closes its live stream within seconds, "
    "with no transition to carry it",
    "[e2e][api][stream][auth]") {
  op_li_streaming t;
  auto& [dir, mosquitto, hearthd, session, live] = t;
  const auto port = hearthd.http_port();

  // Another process writes the database: the daemon hears of it from its once-a-second
  // check of each stream, not from a transition (nothing happens in this community).
  process revoke({HEARTHD_BINARY, "users", "token", "op-li", "--revoke", "--config",
                  hearthd.config().string()},
                 dir.path() / "revoke.log");
  REQUIRE(revoke.wait(60s) == std::optional<int>(0));
  CHECK(closed_by_server(live, 10s));
  CHECK(http(port, "GET", "/api/v1/me", "", bearer(session)).status == 401);
}

TEST_CASE("disabling a user closes its live stream at once and refuses its session",
          "[e2e][api][stream][auth]") {
  op_li_streaming t;
  auto& [dir, mosquitto, hearthd, session, live] = t;
  const auto port = hearthd.http_port();

  REQUIRE(
      http(port, "POST", "/api/v1/users/op-li/disable", "", bearer(hearthd.admin_token())).status ==
      200);
  CHECK(closed_by_server(live, 5s));
  CHECK(http(port, "GET", "/api/v1/me", "", bearer(session)).status == 401);
  const auto audit =
      column(hearthd.database(), "SELECT action FROM audit WHERE subject = 'user:op-li'");
  CHECK(std::count(audit.begin(), audit.end(), "user-disabled") == 1);
}
