// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test harness for integration and end-to-end tests: real processes (mosquitto, hearthd)
/// on free loopback ports, temporary folders, HTTP calls and MQTT publishing.
/// Nothing here sleeps to wait for something: `eventually` polls with a deadline.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hearth::test {

/// A fresh folder under /tmp, removed at destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& text);
std::string read_file(const std::filesystem::path& p);

/// A loopback TCP port that was free a moment ago (bind to 0, read it back).
unsigned short free_port();

/// A child process with stdout and stderr sent to `log`.
class process {
 public:
  process(std::vector<std::string> argv, std::filesystem::path log);
  ~process();  ///< SIGKILL if still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  /// Waits for exit up to `limit`; returns the exit code (or 128+signal), or nullopt.
  std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::seconds(10));
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_;
};

/// Polls `ok` until it returns true or `limit` passes. Returns the last answer.
bool eventually(const std::function<bool()>& ok,
                std::chrono::milliseconds limit = std::chrono::seconds(15));

/// A private mosquitto on a free loopback port, with Nagle off.
class broker {
 public:
  explicit broker(const temp_dir& dir, const std::string& extra_config = {});
  unsigned short port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  process& proc() { return *proc_; }
  void stop();
  void restart();

 private:
  std::filesystem::path conf_, log_;
  unsigned short port_;
  std::unique_ptr<process> proc_;
};

struct http_response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

/// One HTTP/1.1 request to 127.0.0.1:port. status 0 when the connection failed.
/// The API needs credentials (issue 6): when `headers` has no "Authorization" and a
/// `daemon_process` listens on `port`, its admin token is sent. An "Authorization" header
/// with an empty value sends the request without credentials.
http_response http(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body = {},
                   const std::map<std::string, std::string>& headers = {});
inline http_response http_get(unsigned short port, const std::string& target) {
  return http(port, "GET", target);
}

/// Runs `hearthd users add NAME --role ROLE --config CONFIG` (with a password file when
/// `password` is not empty) and returns the API token it prints once; empty on failure.
std::string add_user(const std::filesystem::path& config, const std::string& name,
                     const std::string& role, const std::string& password = {});
/// {"Authorization": "Bearer <token>"}
std::map<std::string, std::string> bearer(const std::string& token);

/// Publishes one message with a synchronous Paho client (QoS 1 by default).
void publish(const std::string& uri, const std::string& topic, const std::string& payload,
             int qos = 1);

/// A running hearthd with a config written into `dir`: the shipped devices/ and rules/,
/// the given registry folder, a SQLite file in `dir`, and HTTP on a free port.
class daemon_process {
 public:
  struct options {
    std::string registry_dir;  ///< default: tests/data/registry
    std::string devices_dir;   ///< default: the shipped devices/
    std::string rules_dir;     ///< default: the shipped rules/
    std::string extra_config;  ///< appended YAML
  };
  daemon_process(const temp_dir& dir, const broker& b, options o);
  daemon_process(const temp_dir& dir, const broker& b) : daemon_process(dir, b, options{}) {}
  unsigned short http_port() const { return http_port_; }
  /// The API token of the user "test-admin" (role admin), made before the first start.
  const std::string& admin_token() const { return admin_token_; }
  const std::filesystem::path& config() const { return config_; }
  const std::filesystem::path& database() const { return database_; }
  process& proc() { return *proc_; }
  /// Waits until /healthz answers; fails the test otherwise.
  void wait_ready();
  /// Waits until MQTT is connected and subscribed (mqtt_connected 1 in /metrics).
  void wait_connected();
  void start();
  void kill9();

 private:
  std::filesystem::path config_, database_, log_;
  unsigned short http_port_;
  std::string admin_token_;
  std::unique_ptr<process> proc_;
};

/// The value of one sample line of /metrics ("name{labels}"), or 0 when absent.
double metric_value(const std::string& metrics_text, const std::string& series);

}  // namespace hearth::test
