// SPDX-License-Identifier: Apache-2.0
#include "app/daemon.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <csignal>
#include <filesystem>

#include "api/routes.hpp"
#include "app/alert_ids.hpp"
#include "app/config.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "app/standby.hpp"
#include "app/ticker.hpp"
#include "ha/lease.hpp"
#include "ha/step_down.hpp"
#include "ingest/mqtt_ingest.hpp"
#include "notify/outputs.hpp"
#include "notify/systemd.hpp"
#include "reports/sla_meter.hpp"
#include "store/sqlite_file.hpp"

namespace hearth::app {
namespace asio = boost::asio;

namespace {

void print(const diagnostics& d) {
  for (const auto& x : d)
    fmt::print(stderr, "{}\n", x.text());
}

/// Imports the registry folder into the store. On any error, nothing is imported and the
/// current registry stays in force.
bool import_registry_dir(const config& c, store::store& st, const catalog::catalog& types,
                         diagnostics& out) {
  if (c.registry_dir.empty()) return true;
  registry::registry current(st.load_registry());
  registry::tables parsed;
  if (!check_registry_import(registry_files(c.registry_dir), current, &types, parsed, out))
    return false;
  st.save_registry(parsed);
  return true;
}

/// Start-up check of the database file: header and schema always; a full quick_check when
/// the file is small enough to read in a few seconds (512 MiB). A WAL whose size is not a
/// whole number of frames was truncated: SQLite ignores the torn tail (the transactions in
/// it are gone), which is worth a log line but not a refusal.
std::string check_database_at_start(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path == ":memory:" || !fs::exists(path, ec)) return {};
  const auto size = fs::file_size(path, ec);
  const bool full = !ec && size <= (512u << 20);
  if (auto note = store::wal_note(path); !note.empty()) fmt::print(stderr, "hearthd: {}\n", note);
  auto problem = store::check_database_file(path, full);
  if (problem.empty() && !full)
    fmt::print(stderr, "hearthd: {} is {} MiB: header and schema checked, quick_check skipped\n",
               path, size >> 20);
  return problem;
}

/// This node's name among the nodes sharing a database: `ha.node`, else the host name.
std::string node_name(const config& c) {
  if (c.ha) return c.ha->node;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) return "hearthd";
  return host;
}

}  // namespace

int run_daemon(const std::string& config_file) {
  diagnostics diags;
  auto cfg = load_config(config_file, diags);
  if (!cfg) {
    print(diags);
    return k_exit_config;
  }
  auto defs = load_definitions(*cfg, diags);
  if (!diags.empty()) {
    print(diags);
    return k_exit_config;
  }

  // A damaged file is refused before anything writes to it: no migration, no WAL
  // recovery written back, no new file in its place.
  if (auto problem = check_database_at_start(cfg->database); !problem.empty()) {
    fmt::print(stderr,
               "hearthd: the database is damaged: {}\n"
               "hearthd: refusing to start; the file has not been changed. To recover: stop "
               "hearthd, move {} (and any -wal/-shm beside it) aside, copy the last `hearthd "
               "backup` file to that path, and start hearthd (README, \"Storage and privacy\").\n",
               problem, cfg->database);
    return k_exit_damaged_database;
  }
  telemetry tel;
  // On a shared PostgreSQL database one node is active at a time: until this one holds the
  // lease it stands by (HTTP up, no MQTT, no writes). Once active, every write carries the
  // lease epoch, and losing the lease re-executes the process as a standby.
  const bool shared = store::is_postgresql(cfg->database);
  std::unique_ptr<ha::lease> lease;
  std::unique_ptr<ha::keeper> keeper;
  std::optional<std::int64_t> epoch;
  if (shared) {
    lease = std::make_unique<ha::lease>(cfg->database, node_name(*cfg),
                                        cfg->ha ? cfg->ha->lease : ha_config{}.lease);
    epoch = stand_by(*cfg, *lease, tel);
    if (!epoch) {
      fmt::print(stderr, "hearthd: stopped (standby)\n");
      return 0;
    }
    keeper = std::make_unique<ha::keeper>(*lease, *epoch,
                                          [](const std::string& why) { ha::step_down(why); });
    fmt::print(stderr, "hearthd: node {} is active (lease epoch {})\n", lease->node(), *epoch);
    tel.set("hearth_ha_active", {}, 1);
    tel.set("hearth_ha_epoch", {}, static_cast<double>(*epoch));
  }
  std::unique_ptr<store::store> st;
  try {
    // The domain thread never waits long for a lock held elsewhere: a write that fails is
    // retried by the 1-second tick, and alerts are published meanwhile. The storage writer
    // checkpoints between its own transactions (writer_options): an alert commit must never
    // be the one that runs a checkpoint and its fsync.
    store::store_options so;
    so.busy_timeout = std::chrono::milliseconds(250);
    so.writer_checkpoints = true;
    so.connection.fence_epoch = epoch;
    so.connection.application_name = "hearthd-domain";
    st = std::make_unique<store::store>(cfg->database, so);
  } catch (const store::store_error& e) {
    if (shared) ha::step_down(fmt::format("cannot use the database: {}", e.what()));
    fmt::print(stderr, "hearthd: cannot use database {}: {}\n", cfg->database, e.what());
    return e.code == store::errc::corrupt || e.code == store::errc::notadb ? k_exit_damaged_database
                                                                           : 1;
  }
  if (!import_registry_dir(*cfg, *st, *defs.types, diags)) {
    print(diags);
    return k_exit_config;
  }

  asio::io_context io(1);
  wall_clock clk;
  store::health store_health(tel);
  st->set_health(&store_health);
  store::writer_options wopts;
  wopts.health_board = &store_health;
  wopts.retention = cfg->retention;
  wopts.clock = &clk;
  wopts.connection.fence_epoch = epoch;
  wopts.connection.application_name = "hearthd-writer";
  std::unique_ptr<store::writer> writer_owner;
  try {
    writer_owner = std::make_unique<store::writer>(cfg->database, tel, wopts);
  } catch (const store::store_error& e) {
    if (shared) ha::step_down(fmt::format("cannot use the database: {}", e.what()));
    throw;
  }
  auto& writer = *writer_owner;
  engine::engine eng(defs.rules, clk, cfg->timezone);
  eng.set_messages(defs.messages, cfg->locale);
  alerts::book book(clk, st->max_alert_id(), cfg->escalation);
  // Shared database: ids from its sequence, so that none is reused across a failover.
  std::unique_ptr<alert_ids> ids;
  if (shared) {
    ids = std::make_unique<alert_ids>(*st, st->max_alert_id());
    ids->refill();
    book.set_id_source([&ids] { return ids->next(); });
  }
  book.set_rule_policies(rule_policies(defs.rules));
  book.restore(st->load_alerts(alerts::state::open, 1'000'000));
  book.restore(st->load_alerts(alerts::state::acknowledged, 1'000'000));
  book.restore_silences(st->load_silences(clk.now()), st->max_silence_id());
  book.restore_aways(st->load_aways(clk.now()));
  pipeline pipe(clk, tel, st.get(), &writer, eng, book);
  pipe.set_catalog(defs.types);
  pipe.set_registry(std::make_shared<registry::registry>(st->load_registry()));
  // Rule state from before a restart; a deadline that passed while we were down fires now.
  eng.restore(st->load_engine_state());
  for (const auto& a : st->load_aways(clk.now()))
    pipe.set_away(a);  // the book's away table is the source of truth
  pipe.tick(clk.now());
  pipe.persist_engine_state();

  // The broker connection, TLS and credentials, shared by ingest and the alert publisher.
  // The password is read from its file here and goes nowhere but Paho.
  ingest::mqtt_connection conn{cfg->mqtt.uri,     cfg->mqtt.client_id, cfg->mqtt.username, {},
                               cfg->mqtt.ca_file, cfg->mqtt.cert_file, cfg->mqtt.key_file};
  if (!cfg->mqtt.password_file.empty()) {
    auto pw = read_secret_file(cfg->mqtt.password_file);
    if (!pw) {
      fmt::print(stderr, "{}: cannot read mqtt.password_file {}\n", cfg->file,
                 cfg->mqtt.password_file);
      return k_exit_config;
    }
    conn.password = std::move(*pw);
  }

  // Outputs: every transition to MQTT hearth/alerts/<id> and to the webhooks, off the hot path.
  auto out_conn = conn;
  out_conn.client_id += "-out";
  notify::mqtt_publisher publisher(out_conn, tel);
  std::vector<notify::webhook_target> hook_targets;
  for (const auto& w : cfg->webhooks)
    hook_targets.push_back({w.url, w.timeout, w.max_attempts, w.backoff});
  notify::webhooks hooks(std::move(hook_targets), tel, [&](const notify::delivery_report& r) {
    if (r.delivered) return;
    asio::post(io, [&, r] {
      const auto host = notify::parse_http_url(r.url);
      book.journal({clk.now(), "hearthd", "notification-failed", r.alert_id,
                    host ? "webhook:" + host->host : "webhook",
                    fmt::format("gave up after {} attempts: {}", r.attempts, r.detail), "webhook"});
      pipe.record({});
    });
  });
  notify::alert_outputs outputs(&publisher, &hooks, clk,
                                [&](alerts::audit_entry e) { book.journal(std::move(e)); });
  pipe.on_transition([&](const alerts::transition& t) { outputs.publish(t, pipe.devices()); });
  reports::sla_meter sla(tel, cfg->desk.figures, book.policy(), [&](const alerts::alert& a) {
    const auto* d = pipe.devices().find_device(a.subject.device_id);
    return d ? std::string(d->type) : std::string();
  });
  pipe.on_transition([&](const alerts::transition& t) { sla.on_transition(t); });
  publisher.start();
  ticker escalations(io, clk, book, pipe);

  std::unique_ptr<ingest::mqtt_ingest> mqtt;
  api::routes::options api_options;
  api_options.console_dir = cfg->console_dir;
  api_options.timezone = cfg->timezone;
  api_options.desk = cfg->desk;
  api::routes routes(
      book, *st, tel, pipe,
      [&] {
        api::health h;
        h.mqtt_connected = mqtt && mqtt->connected();
        h.store_ok = store_health.ok();
        h.detail = store_health.detail();
        if (shared) h.role = "active";
        return h;
      },
      api_options);
  routes.set_executor(io.get_executor());  // password checks run off the domain thread
  routes.set_messages(defs.messages, cfg->locale, cfg->timezone);
  pipe.on_transition([&](const alerts::transition& t) { routes.on_transition(t); });
  auto listen = split_listen(cfg->http.listen);
  std::unique_ptr<api::http_server> http;
  try {
    http = std::make_unique<api::http_server>(
        io, listen->first, listen->second, [&](const api::request& r) { return routes.handle(r); });
  } catch (const std::exception& e) {
    fmt::print(stderr, "hearthd: cannot listen on {}: {}\n", cfg->http.listen, e.what());
    return 1;
  }
  fmt::print(stderr, "hearthd: http listening on {}:{}\n", listen->first, http->port());

  const ingest::lane_limits limits{cfg->ingest.bulk_queue_messages, cfg->ingest.bulk_queue_bytes,
                                   cfg->ingest.priority_queue_messages};
  ingest::mqtt_settings ms{conn, defs.types->subscriptions(), 1, limits};
  ms.priority_session = cfg->ingest.priority_session;
  ms.priority_session_topics = cfg->ingest.priority_session_topics;
  mqtt = std::make_unique<ingest::mqtt_ingest>(
      io, std::move(ms), clk, tel, [&](const ingest::inbound& m) {
        pipe.on_message(m.topic, m.payload, m.received_at, m.redelivered);
      });
  // Backpressure: while the store writer is behind, the bulk lane waits (and sheds when
  // full); the priority lane never waits for storage.
  mqtt->set_bulk_ready([&] { return writer.queued() < cfg->ingest.store_backlog; });
  // A sample of what is shed is kept in quarantine (reason "overload"), one row a second.
  mqtt->set_on_shed([&](const ingest::inbound& m, std::uint64_t n) {
    writer.push(store::quarantine_row{
        m.received_at, m.topic, "overload",
        fmt::format("{} message(s) shed in the last second because the {} queue was full; this "
                    "is one of them",
                    n, m.priority ? "priority" : "bulk"),
        m.payload.substr(0, normalize::k_max_payload)});
  });
  auto classify = [&] {
    auto c = std::make_shared<ingest::classifier>(pipe.types(), pipe.devices_snapshot());
    for (const auto& t : mqtt->classifier_snapshot()->learned())
      c->learn(t);
    mqtt->set_classifier(std::move(c));
  };
  classify();
  // Life-safety types that carry their id in the payload (tilt sensors on The Things
  // Stack) are told apart by topic once the pipeline has seen one of their messages.
  pipe.on_life_safety_topic([&](std::string_view topic) {
    auto c = mqtt->classifier_snapshot();
    if (!c->is_priority(topic)) mqtt->set_classifier(c->with_learned(std::string(topic)));
  });
  mqtt->start();
  // Loading the registry made and freed hundreds of MB of short strings (the rows read from
  // the database); hand the free pages back rather than keeping them as resident memory.
  malloc_trim(0);
  fmt::print(stderr, "hearthd: {} device types, {} rules, {} devices; broker {}{}\n",
             defs.types->types().size(), defs.rules.size(), pipe.devices().all().devices.size(),
             cfg->mqtt.uri,
             conn.username.empty() ? std::string() : fmt::format(" as {}", conn.username));

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    fmt::print(stderr, "hearthd: signal {}, shutting down\n", sig);
    notify::stopping();
    mqtt->stop();
    escalations.stop();
    http->stop();
    publisher.stop();
    io.stop();
  });

  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      notify::reloading();
      diagnostics d;
      auto fresh = load_definitions(*cfg, d);
      if (d.empty() && import_registry_dir(*cfg, *st, *fresh.types, d)) {
        pipe.set_catalog(fresh.types);
        routes.set_messages(fresh.messages, cfg->locale, cfg->timezone);
        eng.set_messages(fresh.messages, cfg->locale);
        book.set_rule_policies(rule_policies(fresh.rules));
        eng.set_rules(std::move(fresh.rules));
        pipe.set_registry(std::make_shared<registry::registry>(st->load_registry()));
        mqtt->set_topics(fresh.types->subscriptions());
        classify();
        malloc_trim(0);  // as at start: the rows read for the new snapshot are gone
        fmt::print(stderr, "hearthd: reloaded: {} device types, {} rules, {} devices\n",
                   pipe.types().types().size(), eng.rules().size(),
                   pipe.devices().all().devices.size());
      } else {
        print(d);
        fmt::print(stderr, "hearthd: reload rejected; the previous definitions stay in force\n");
      }
      notify::reloaded();
      wait_hup();
    });
  };
  wait_hup();

  // Watchdog pings come from the event loop itself, so a stuck loop is noticed.
  asio::steady_timer watchdog(io);
  const auto wd = notify::watchdog_usec();
  std::function<void()> ping = [&] {
    notify::watchdog();
    watchdog.expires_after(std::chrono::microseconds(wd / 2));
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) ping();
    });
  };
  if (wd > 0) ping();

  // Time-driven rules (no-data, `for:` windows) are judged once a second; the changed rule
  // state is written at the same pace, so a kill -9 loses at most a second of it. Under
  // load that is thousands of rows a second: written 256 at a time, each slice its own
  // turn, so the drain of the priority lane runs in between.
  bool persisting = false;
  std::function<void()> persist_slice = [&] {
    persisting = pipe.persist_engine_state(256);
    if (persisting) asio::post(io, persist_slice);
  };
  asio::steady_timer rule_timer(io);
  time_point next_transition_prune = clk.now();
  std::function<void()> rule_tick = [&] {
    rule_timer.expires_after(std::chrono::seconds(1));
    rule_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      pipe.tick(clk.now());
      if (!persisting) persist_slice();
      // While the store fails, retry the audit rows held back (and so find out when the
      // domain connection can write again) once a second.
      if (!store_health.ok()) pipe.record({});
      if (ids) ids->refill();
      // Consoles resume their stream from the transitions of the last day at most.
      if (clk.now() >= next_transition_prune) {
        try {
          st->prune_transitions(clk.now() - std::chrono::hours(24));
        } catch (const store::store_error&) {
        }
        next_transition_prune = clk.now() + std::chrono::hours(1);
      }
      rule_tick();
    });
  };
  rule_tick();

  escalations.start();  // deadlines missed while hearthd was down fire now
  notify::ready();
  io.run();
  pipe.persist_engine_state();
  if (!writer.flush(std::chrono::seconds(10)))
    fmt::print(stderr, "hearthd: the store did not take every queued row within 10 s\n");
  // Everything is written: hand the lease over at once rather than let it expire.
  if (keeper) keeper->release();
  fmt::print(stderr, "hearthd: stopped\n");
  return 0;
}

}  // namespace hearth::app
