// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test harness for integration and end-to-end tests: real processes (mosquitto, hearthd)
/// on free loopback ports, temporary folders, HTTP calls and MQTT publishing.
/// Nothing here sleeps to wait for something: `eventually` polls with a deadline.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

/// A loopback TCP port that was free a moment ago: picked at random below the kernel's
/// ephemeral range, where other tests' outgoing connections cannot take it meanwhile.
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

/// How a test client reaches a broker that wants TLS and a password.
struct client_options {
  std::string uri;
  std::string username, password;
  std::string ca_file, cert_file, key_file;
};
/// Same as `publish`, with TLS and credentials. Throws mqtt::exception when refused.
void publish(const client_options& o, const std::string& topic, const std::string& payload,
             int qos = 1);

/// Publishes a numbered stream at a steady rate on its own thread (load, not waiting):
/// message n (0, 1, ...) is `make(n)` on `topic_of(n)`, sent at start + n / rate: between
/// messages the thread waits for `stop()` with that deadline, so stopping is immediate. QoS 1 with
/// an async client that reconnects and buffers while the broker is away, so that a broker restart
/// loses nothing on its side. `sent()` counts messages handed to the client.
class paced_publisher {
 public:
  paced_publisher(std::string uri, double per_second, std::function<std::string(long)> topic_of,
                  std::function<std::string(long)> make, long limit, int qos = 1);
  ~paced_publisher();  ///< stops the thread
  long sent() const { return sent_; }
  /// Stops sending; returns the number sent. Waits (bounded) until the broker has
  /// acknowledged them all.
  long stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::atomic<long> sent_{0};
  void request_stop();
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  ///< guarded by stop_mutex_
  std::thread thread_;
};

/// Runs a command to completion (bounded); returns its exit code and output.
struct command_result {
  int status = -1;
  std::string output;
};
command_result run_command(std::vector<std::string> argv, const temp_dir& dir,
                           std::chrono::milliseconds limit = std::chrono::seconds(30));

/// Resident set size of a process in KiB (/proc/<pid>/status VmRSS), 0 when unknown.
long rss_kib(pid_t pid);

/// A running hearthd with a config written into `dir`: the shipped devices/ and rules/,
/// the given registry folder, a SQLite file in `dir`, and HTTP on a free port.
class daemon_process {
 public:
  struct options {
    std::string registry_dir;  ///< default: tests/data/registry
    std::string devices_dir;   ///< default: the shipped devices/
    std::string rules_dir;     ///< default: the shipped rules/
    std::string extra_config;  ///< appended YAML
    std::string mqtt_config;   ///< replaces the `mqtt:` line (TLS tests); default: the broker
    std::string http_extra;    ///< more keys of the `http:` mapping ("max_connections: 50")
    /// Put before hearthd's argv: {"prlimit", "--nofile=256:256", "--"} runs it with fewer
    /// file descriptors.
    std::vector<std::string> launcher;
    std::string database;  ///< default: hearth.db in the folder; or a postgresql:// URI
    /// An admin token made earlier (a second node on the same database): no user is added.
    std::string admin_token;
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
  /// `hearthd audit verify --config F`: its exit code (0: the chain is intact).
  int audit_verify();
  /// GET /healthz's "role" ("active", "standby"; empty without a shared database or when
  /// the node does not answer).
  std::string role();

 private:
  std::filesystem::path config_, database_, log_;
  unsigned short http_port_;
  std::string admin_token_;
  std::vector<std::string> launcher_;
  std::unique_ptr<process> proc_;
};

/// The value of one sample line of /metrics ("name{labels}"), or 0 when absent.
double metric_value(const std::string& metrics_text, const std::string& series);

}  // namespace hearth::test
