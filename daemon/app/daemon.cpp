// SPDX-License-Identifier: Apache-2.0
#include "app/daemon.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <csignal>
#include <filesystem>

#include "api/query_thread.hpp"
#include "api/routes.hpp"
#include "app/alert_ids.hpp"
#include "app/config.hpp"
#include "app/definitions.hpp"
#include "app/pipeline.hpp"
#include "app/standby.hpp"
#include "app/ticker.hpp"
#include "app/watchdog.hpp"
#include "base/log.hpp"
#include "ha/lease.hpp"
#include "ha/step_down.hpp"
#include "ingest/mqtt_ingest.hpp"
#include "ingest/witness.hpp"
#include "notify/outputs.hpp"
#include "notify/systemd.hpp"
#include "reports/sla_meter.hpp"
#include "store/sqlite_file.hpp"

namespace hearth::app {
namespace asio = boost::asio;

namespace {

/// How much longer than the lease a standby keeps its witnessed messages, and twice the
/// slack after the old holder's last renewal seen up to which it hands them over.
constexpr std::chrono::seconds k_witness_margin{3};

/// Hands a witness's messages to the pipeline once the new session has brought what the
/// broker kept for it (connected, and the lanes empty twice in a row, 100 ms apart; or
/// after 10 s whatever the session does): a witnessed copy of a message the session brought
/// is then recognised in memory, instead of the session's copy being taken for a
/// duplicate; and an SOS in that backlog does not wait for the look-ups. Then a few at a
/// time on the io_context, so that new traffic takes its turn in between.
struct witnessed_replay : std::enable_shared_from_this<witnessed_replay> {
  witnessed_replay(asio::io_context& i, pipeline& p, telemetry& t, std::vector<ingest::inbound> m,
                   std::function<bool()> s)
      : io(i), pipe(p), tel(t), msgs(std::move(m)), settled(std::move(s)), timer(i) {}
  asio::io_context& io;
  pipeline& pipe;
  telemetry& tel;
  std::vector<ingest::inbound> msgs;
  std::function<bool()> settled;
  asio::steady_timer timer;
  int waits = 0, calm = 0;
  std::size_t next = 0;

  void wait() {
    timer.expires_after(std::chrono::milliseconds(100));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->calm = self->settled() ? self->calm + 1 : 0;
      if (self->calm >= 2 || ++self->waits >= 100) return self->step();
      self->wait();
    });
  }

  void step() {
    for (const auto end = std::min(msgs.size(), next + 16); next < end; ++next) {
      const auto& m = msgs[next];
      try {
        pipe.on_witnessed(m.topic, m.payload, m.received_at);
      } catch (const std::exception& e) {
        log::error("ha", "a message on {} from the standby's subscription failed: {}",
                   m.topic.substr(0, 200), e.what());
      }
    }
    if (next < msgs.size()) {
      asio::post(io, [self = shared_from_this()] { self->step(); });
      return;
    }
    log::info("ha", "{} message(s) the old active node had not stored were recovered",
              tel.value("hearth_ha_witness_messages_total", "outcome=\"recovered\""));
  }
};

void print(const diagnostics& d) {
  for (const auto& x : d)
    fmt::print(stderr, "{}\n", x.text());
}

/// Imports the registry folder into the store. On any error, nothing is imported and the
/// current registry stays in force.
bool import_registry_dir(const config& c, store::store& st, const catalog::catalog& types,
                         diagnostics& out) {
  if (c.registry_dir.empty()) return true;
  const auto current = st.load_registry();
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
  if (auto note = store::wal_note(path); !note.empty()) log::warn("app", "{}", note);
  auto problem = store::check_database_file(path, full);
  if (problem.empty() && !full)
    log::info("app", "{} is {} MiB: header and schema checked, quick_check skipped", path,
              size >> 20);
  return problem;
}

/// Raises the soft limit on open files to the hard one (systemd's LimitNOFILE= sets both;
/// a shell usually gives 1,024 soft) and returns it.
std::size_t raise_descriptor_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                      : static_cast<std::size_t>(rl.rlim_cur);
}

/// The HTTP server's bounds from the config. Connections may use the descriptors left
/// after a reserve for the database, the broker, webhooks and the password worker; a
/// configured limit above that is lowered, and the log says so.
api::server_options http_options(const config& c, telemetry& tel) {
  api::server_options o;
  o.max_connections = c.http.max_connections;
  o.max_connections_per_address = c.http.max_connections_per_address;
  o.header_timeout = c.http.header_timeout;
  o.body_timeout = c.http.body_timeout;
  o.write_timeout = c.http.write_timeout;
  o.max_response_bytes = c.http.max_response_bytes;
  o.trusted_proxies = *api::address_set::parse(c.http.trusted_proxies);  // checked at load
  o.tel = &tel;
  const std::size_t fds = raise_descriptor_limit();
  const std::size_t reserve = 64 + 8 * c.webhooks.size();
  const std::size_t room = fds > reserve + 16 ? fds - reserve : 16;
  if (o.max_connections > room) {
    log::warn("app",
              "http.max_connections {} lowered to {}: the open-file limit is {} "
              "(raise LimitNOFILE= in the unit to allow more)",
              o.max_connections, room, fds);
    o.max_connections = room;
  }
  return o;
}

/// This node's name among the nodes sharing a database: `ha.node`, else the host name.
std::string node_name(const config& c) {
  if (c.ha) return c.ha->node;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) return "hearthd";
  return host;
}

}  // namespace

int run_daemon(const std::string& config_file, bool init) {
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

  // An empty or cut-short file is not a first start: SQLite would take it for an empty new
  // database (or read the missing pages as never written) and hearthd would start with no
  // alerts and no users. Only --init says that a new database is wanted there.
  if (auto cut = store::empty_or_truncated(cfg->database); !cut.empty()) {
    if (!init) {
      log::error("store", "{}", cut);
      log::error("store",
                 "refusing to start; the file has not been changed. Copy the last `hearthd "
                 "backup` file to {} and start hearthd, or start it with `hearthd run --init` "
                 "to move this file aside and begin with an empty database.",
                 cfg->database);
      return k_exit_damaged_database;
    }
    try {
      const auto aside = store::move_aside(
          cfg->database,
          "cut-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()));
      log::warn("store", "{}; --init: moved it to {} and making a new database", cut, aside);
    } catch (const store::store_error& e) {
      log::error("store", "{}", e.what());
      return 1;
    }
  }
  if (!store::is_postgresql(cfg->database))
    if (auto ro = store::not_writable(cfg->database); !ro.empty()) {
      log::error("store", "cannot use database {}: {}", cfg->database, ro);
      return 1;
    }
  // A damaged file is refused before anything writes to it: no migration, no WAL
  // recovery written back, no new file in its place.
  if (auto problem = check_database_at_start(cfg->database); !problem.empty()) {
    log::error("store", "the database is damaged or unreadable: {}", problem);
    log::error("store",
               "refusing to start; the file has not been changed. To recover: stop hearthd, move "
               "{} (and any -wal/-shm beside it) aside, copy the last `hearthd backup` file to "
               "that path, and start hearthd (README, \"Storage and privacy\").",
               cfg->database);
    return k_exit_damaged_database;
  }
  // The broker connection, TLS and credentials, shared by ingest, the alert publisher
  // and a standby's witness.
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

  telemetry tel;
  wall_clock clk;
  // On a shared PostgreSQL database one node is active at a time: until this one holds the
  // lease it stands by (HTTP up, no MQTT, no writes). Once active, every write carries the
  // lease epoch, and losing the lease re-executes the process as a standby.
  const bool shared = store::is_postgresql(cfg->database);
  std::unique_ptr<ha::lease> lease;
  std::unique_ptr<ha::keeper> keeper;
  std::optional<std::int64_t> epoch;
  // A standby's copy of the traffic, for what the old holder acknowledged and never stored.
  std::vector<ingest::inbound> witnessed;
  if (shared) {
    lease = std::make_unique<ha::lease>(cfg->database, node_name(*cfg),
                                        cfg->ha ? cfg->ha->lease : ha_config{}.lease);
    auto witness_conn = conn;
    witness_conn.client_id += "-w-" + lease->node();
    auto witness = std::make_unique<ingest::witness>(
        std::move(witness_conn), defs.types->subscriptions(),
        ingest::witness_limits{lease->ttl() + k_witness_margin}, clk, tel);
    auto won = stand_by(*cfg, *lease, tel, clk, witness.get());
    if (!won) {
      log::info("app", "stopped (standby)");
      return 0;
    }
    epoch = won->epoch;
    // The old holder stopped within about a renewal of when it was last seen renewing: what
    // it may have acknowledged and not stored was received before that. What comes after
    // the takeover waits in the shared session. The witness goes at once: while a Paho
    // socket of this process sits in poll(), a new one's connect is noticed only when that
    // poll returns, up to a second later (eclipse-paho/paho.mqtt.c#1430).
    if (won->holder_renewed_at)
      witnessed = witness->take_until(*won->holder_renewed_at + k_witness_margin / 2);
    keeper = std::make_unique<ha::keeper>(*lease, *epoch,
                                          [](const std::string& why) { ha::step_down(why); });
    witness.reset();  // about 100 ms: Paho's threads stop at their next cycle
    log::info("app", "node {} is active (lease epoch {})", lease->node(), *epoch);
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
    log::error("app", "cannot use database {}: {}", cfg->database, e.what());
    return e.code == store::errc::corrupt || e.code == store::errc::notadb ? k_exit_damaged_database
                                                                           : 1;
  }
  if (!import_registry_dir(*cfg, *st, *defs.types, diags)) {
    print(diags);
    return k_exit_config;
  }

  asio::io_context io(1);
  store::health store_health(tel);
  st->set_health(&store_health);
  store::writer_options wopts;
  wopts.health_board = &store_health;
  wopts.retention = cfg->retention;
  wopts.max_unknown_devices = cfg->ingest.unknown_devices_max;
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
  alerts::book book(clk, st->alert_id_floor(), cfg->escalation);
  // Shared database: ids from its sequence, so that none is reused across a failover.
  std::unique_ptr<alert_ids> ids;
  if (shared) {
    ids = std::make_unique<alert_ids>(*st, st->alert_id_floor());
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
  pipe.persist_all_engine_state();

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
  // The audit head, signed, on MQTT (retained) and beside the database (audit_anchor.hpp).
  std::string key_problem;
  const auto audit_key = read_audit_key(*cfg, key_problem);
  if (!audit_key) {
    fmt::print(stderr, "{}: {}\n", cfg->file, key_problem);
    return k_exit_config;
  }
  if (audit_key->empty())
    log::warn("store",
              "audit.key_file is not set: the audit head on {} is unsigned, so whoever holds the "
              "database could cut its trail and publish a matching head",
              k_audit_head_topic);
  const bool sqlite_file = cfg->database != ":memory:" && !store::is_postgresql(cfg->database);
  audit_anchor anchor(
      *st, *audit_key, sqlite_file ? cfg->database + ".head" : std::string(),
      [&](const std::string& head) { publisher.publish(k_audit_head_topic, head, 1, true); });
  escalations.set_anchor(&anchor);

  std::unique_ptr<ingest::mqtt_ingest> mqtt;
  // Heavy list queries on a thread and connection of their own (api/query_thread.hpp);
  // a second connection would not see a ":memory:" database.
  std::unique_ptr<api::query_thread> queries;
  if (cfg->database != ":memory:")
    queries = std::make_unique<api::query_thread>(cfg->database, io.get_executor());
  api::routes::options api_options;
  api_options.console_dir = cfg->console_dir;
  api_options.timezone = cfg->timezone;
  api_options.secure_cookie = cfg->http.secure_cookie;
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
  routes.set_queries(queries.get());
  routes.set_messages(defs.messages, cfg->locale, cfg->timezone);
  pipe.on_transition([&](const alerts::transition& t) { routes.on_transition(t); });
  auto listen = split_listen(cfg->http.listen);
  std::unique_ptr<api::http_server> http;
  try {
    http = std::make_unique<api::http_server>(
        io, listen->first, listen->second, [&](const api::request& r) { return routes.handle(r); },
        http_options(*cfg, tel));
  } catch (const boost::system::system_error& e) {
    // code().message(), not what(): that would end in a Boost source path.
    log::error("app", "cannot listen on {}: {}", cfg->http.listen, e.code().message());
    return 1;
  } catch (const std::exception& e) {
    log::error("app", "cannot listen on {}: {}", cfg->http.listen, e.what());
    return 1;
  }
  log::info("app", "http listening on {}:{}", listen->first, http->port());

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
  if (!witnessed.empty()) {
    // Life-safety messages first: an SOS the old node never stored must not wait behind
    // meter readings.
    const auto c = mqtt->classifier_snapshot();
    std::stable_partition(witnessed.begin(), witnessed.end(), [&](const ingest::inbound& m) {
      return c->is_priority(m.topic, m.payload);
    });
    log::info("ha", "checking {} message(s) the old active node may not have stored",
              witnessed.size());
    auto replay = std::make_shared<witnessed_replay>(io, pipe, tel, std::move(witnessed), [&] {
      return mqtt->connected() && mqtt->queued() == 0;
    });
    replay->wait();
  }
  // Loading the registry made and freed hundreds of MB of short strings (the rows read from
  // the database); hand the free pages back rather than keeping them as resident memory.
  malloc_trim(0);
  log::info("app", "{} device types, {} rules, {} devices; broker {}{}", defs.types->types().size(),
            defs.rules.size(), pipe.devices().all().devices.size(), cfg->mqtt.uri,
            conn.username.empty() ? std::string() : fmt::format(" as {}", conn.username));

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("app", "signal {}, shutting down", sig);
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
        log::info("app", "reloaded: {} device types, {} rules, {} devices",
                  pipe.types().types().size(), eng.rules().size(),
                  pipe.devices().all().devices.size());
      } else {
        print(d);
        log::warn("app", "reload rejected; the previous definitions stay in force");
      }
      notify::reloaded();
      wait_hup();
    });
  };
  wait_hup();

  watchdog_pings watchdog(io);

  // Time-driven rules (no-data, `for:` windows) are judged once a second; the changed rule
  // state is handed to the store writer at the same pace, so a kill -9 loses about a second
  // of it. Under load that is thousands of rows a second: taken 256 at a time (each made
  // into JSON on this thread), each slice its own turn, so the drain of the priority lane
  // runs in between.
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
      routes.revalidate_streams();
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
  pipe.persist_all_engine_state();
  if (!writer.flush(std::chrono::seconds(10)))
    log::warn("app", "the store did not take every queued row within 10 s");
  // Everything is written: hand the lease over at once rather than let it expire.
  if (keeper) keeper->release();
  log::info("app", "stopped");
  return 0;
}

}  // namespace hearth::app
