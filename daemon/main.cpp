// SPDX-License-Identifier: Apache-2.0
// hearthd: the command line (DESIGN.md, "Command line").
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>

#include "app/config.hpp"
#include "app/daemon.hpp"
#include "app/definitions.hpp"
#include "app/replay.hpp"
#include "auth/credentials.hpp"
#include "auth/lifetime.hpp"
#include "auth/users.hpp"
#include "base/time.hpp"
#include "ha/step_down.hpp"
#include "normalize/examples.hpp"
#include "registry/registry.hpp"
#include "store/audit.hpp"
#include "store/audit_head.hpp"
#include "store/copy.hpp"
#include "store/postgres.hpp"
#include "store/privacy.hpp"
#include "store/sqlite_file.hpp"
#include "store/store.hpp"

namespace {
using namespace hearth;

void print(const diagnostics& d) {
  for (const auto& x : d)
    fmt::print(stderr, "{}\n", x.text());
}

std::string default_devices_dir() {
  for (const auto* p : {"devices", "/usr/share/hearth/devices"})
    if (std::filesystem::is_directory(p)) return p;
  return HEARTH_SOURCE_DIR "/devices";
}

/// `hearthd run` without `--config`: how to start, and EX_USAGE.
int run_usage() {
  fmt::print(stderr,
             "hearthd run needs a config file:\n"
             "  hearthd run --config /etc/hearth/hearth.yaml\n"
             "Installed from the package, the service runs it: systemctl start hearthd (the "
             "config is /etc/hearth/hearth.yaml).\n"
             "To try hearth from a clone: scripts/demo (a broker, hearthd and a simulated "
             "community).\n"
             "A config to start from: config/hearth.yaml in the source, or the installed "
             "/etc/hearth/hearth.yaml; check it with hearthd check --config F.\n");
  return k_exit_usage;
}

int cmd_check(const std::string& config_file) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (cfg) {
    auto defs = app::load_definitions(*cfg, d);
    for (const auto& t : defs.types->types()) {
      auto ex = normalize::run_examples(*t);
      d.insert(d.end(), ex.begin(), ex.end());
    }
    if (!cfg->registry_dir.empty()) {
      registry::tables parsed;
      (void)app::check_registry_import(app::registry_files(cfg->registry_dir), registry::registry{},
                                       defs.types.get(), parsed, d);
    }
    if (d.empty())
      fmt::print("{}: ok ({} device types, {} rules, {} texts in the message catalogue)\n",
                 config_file, defs.types->types().size(), defs.rules.size(), defs.messages->size());
  }
  print(d);
  return d.empty() ? 0 : k_exit_config;
}

/// Exit status: 0 when every example matches, 1 when an example does not match (a diff is
/// printed for each), 78 (EX_CONFIG) when a definition does not even load.
int cmd_devices_test(std::vector<std::string> files) {
  diagnostics d;
  catalog::catalog types = files.empty() ? catalog::catalog::load_dir(default_devices_dir(), d)
                                         : catalog::catalog::load_files(files, d);
  const bool broken = !d.empty();
  std::size_t examples = 0, failed = 0;
  for (const auto& t : types.types()) {
    auto ex = normalize::run_examples(*t);
    examples += t->examples.size();
    failed += ex.size();
    fmt::print("{} {} ({} examples)\n", ex.empty() ? "ok  " : "FAIL", t->name, t->examples.size());
    d.insert(d.end(), ex.begin(), ex.end());
  }
  print(d);
  fmt::print("{} passed, {} failed\n", examples - failed, failed);
  if (broken) {
    std::set<std::string> files_with_errors;
    for (const auto& x : d)
      if (x.message.find("does not match") == std::string::npos) files_with_errors.insert(x.file);
    fmt::print("{} definition file(s) did not load\n", files_with_errors.size());
    return k_exit_config;
  }
  return d.empty() ? 0 : 1;
}

int cmd_import(const std::string& config_file, const std::vector<std::string>& files) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (!cfg) {
    print(d);
    return k_exit_config;
  }
  auto defs = app::load_definitions(*cfg, d);
  if (!d.empty()) {
    print(d);
    return k_exit_config;
  }
  try {
    store::store st(cfg->database);
    const auto current = st.load_registry();
    registry::tables parsed;
    if (!app::check_registry_import(files, current, defs.types.get(), parsed, d)) {
      print(d);
      fmt::print(stderr, "nothing was imported\n");
      return k_exit_config;
    }
    st.save_registry(parsed);
    fmt::print("imported {} households, {} residents, {} devices, {} buildings\n",
               parsed.households.size(), parsed.residents.size(), parsed.devices.size(),
               parsed.buildings.size());
    fmt::print("a running hearthd picks this up on SIGHUP (systemctl reload hearthd)\n");
    return 0;
  } catch (const store::store_error& e) {
    fmt::print(stderr, "{}: {}\n", cfg->database, e.what());
    return 1;
  }
}

/// The shape of every subcommand that works on the database: load the config (exit 78 with
/// its diagnostics), open the store, run `body`; a store error is one line and exit 1.
int with_store(const std::string& config_file,
               const std::function<int(const app::config&, store::store&)>& body) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (!cfg) {
    print(d);
    return k_exit_config;
  }
  try {
    store::store st(cfg->database);
    return body(*cfg, st);
  } catch (const store::store_error& e) {
    fmt::print(stderr, "{}: {}\n", cfg->database, e.what());
    return 1;
  }
}

/// Where hearthd keeps the last audit head beside a SQLite database; empty for others.
std::string head_file_of(const app::config& cfg) {
  if (cfg.database == ":memory:" || store::is_postgresql(cfg.database)) return {};
  return cfg.database + ".head";
}

/// The head to check the chain against: `given` (a file holding one, or the head's JSON
/// itself), else the database's own head file when it exists. Sets `why` when `given`
/// is not a head; nullopt without `why` when there is none to check against.
std::optional<store::audit_head> load_head(const app::config& cfg, const std::string& given,
                                           std::string& source, std::string& why) {
  std::string text;
  source = given;
  if (given.empty()) {
    source = head_file_of(cfg);
    std::error_code ec;
    if (source.empty() || !std::filesystem::exists(source, ec)) return std::nullopt;
  }
  if (!given.empty() && given.front() == '{') {
    text = given;
    source = "--head";
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) {
      why = fmt::format("cannot read the audit head {}", source);
      return std::nullopt;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto h = store::parse_head(text, why);
  if (!h) why = fmt::format("{}: {}", source, why);
  return h;
}

/// `hearthd audit verify [--head H]`: walks the hash chain and checks the alerts table
/// against it, and the chain against a signed head (issue 18); exit 0 when intact, 1
/// naming the first bad row.
int cmd_audit_verify(const std::string& config_file, const std::string& head_arg) {
  return with_store(config_file, [&](const app::config& cfg, store::store& st) {
    std::string why, source;
    const auto key = app::read_audit_key(cfg, why);
    if (!key) {
      fmt::print(stderr, "{}: {}\n", cfg.file, why);
      return k_exit_config;
    }
    const auto head = load_head(cfg, head_arg, source, why);
    if (!why.empty()) {
      fmt::print(stderr, "{}\n", why);
      return k_exit_usage;
    }
    if (head && !head->hmac.empty() && !key->empty() &&
        store::head_hmac(*head, *key) != head->hmac) {
      fmt::print(
          "audit head BROKEN: the head in {} is not signed with audit.key_file's key: it "
          "was made elsewhere or edited\n",
          source);
      return 1;
    }
    if (head && head->hmac.empty() && !key->empty()) {
      fmt::print(
          "audit head BROKEN: the head in {} is unsigned, and hearthd signs every head it "
          "makes with audit.key_file's key\n",
          source);
      return 1;
    }
    if (head && !head->hmac.empty() && key->empty())
      fmt::print(stderr,
                 "warning: the signature of the head in {} is not checked: audit.key_file is not "
                 "set\n",
                 source);
    const auto v = st.verify_audit(head ? &*head : nullptr);
    if (!v.ok()) {
      fmt::print("audit trail BROKEN at row {}: {}\n", *v.bad, v.problem);
      return 1;
    }
    fmt::print("audit trail intact: {} rows verified; {} alert rows match it{}\n", v.rows, v.alerts,
               v.unrecorded_alerts
                   ? fmt::format(" ({} older ones predate their records)", v.unrecorded_alerts)
                   : std::string());
    if (head)
      fmt::print("it reaches the head in {} ({} rows at {}{})\n", source, head->rows,
                 format_rfc3339(head->at), head->hmac.empty() ? ", unsigned" : ", signed");
    else
      fmt::print(
          "no head to check its end against: give --head (from MQTT hearth/audit/head or "
          "a backup's .head file)\n");
    return 0;
  });
}

/// `hearthd audit export --alert ID`: the alert's timeline as JSON on stdout.
int cmd_audit_export(const std::string& config_file, const std::string& alert_id) {
  return with_store(config_file, [&](const app::config&, store::store& st) {
    auto a = st.load_alert(alert_id);
    if (!a) {
      fmt::print(stderr, "no alert {}\n", alert_id);
      return 1;
    }
    auto o = alerts::to_json(*a).as_object();
    o["timeline"] = store::timeline_json(st.audit_for_alert(a->id));
    fmt::print("{}\n", boost::json::serialize(o));
    return 0;
  });
}

/// Reads a password: the first line of `file`, or from the terminal without echo (twice).
std::optional<std::string> read_password(const std::string& file, std::string& problem) {
  std::string pw;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      problem = fmt::format("cannot read the password file {}", file);
      return std::nullopt;
    }
    std::getline(in, pw);
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  } else {
    if (!::isatty(STDIN_FILENO)) return std::string();  // no console password: API token only
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string again;
    fmt::print(stderr, "console password: ");
    std::getline(std::cin, pw);
    fmt::print(stderr, "\nagain: ");
    std::getline(std::cin, again);
    fmt::print(stderr, "\n");
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (pw != again) {
      problem = "the two passwords differ";
      return std::nullopt;
    }
  }
  if (pw.size() < 8 || pw.size() > 1024) {
    problem = "a console password must have 8 to 1024 characters";
    return std::nullopt;
  }
  return pw;
}

/// True when some resident names `user` as their social worker: in the database's registry,
/// or in the config's registry folder (imported when hearthd next starts or reloads).
bool names_social_worker(const app::config& cfg, store::store& st, const std::string& user) {
  if (st.names_social_worker(user)) return true;
  if (cfg.registry_dir.empty()) return false;
  diagnostics ignored;  // `hearthd check` reports a broken registry; here it only counts
  const auto folder = registry::parse_csv_files(app::registry_files(cfg.registry_dir), ignored);
  return std::any_of(folder.residents.begin(), folder.residents.end(),
                     [&](const registry::resident_row& r) { return r.social_worker == user; });
}

/// `hearthd users add NAME --role R`: prints the API token once.
int cmd_users_add(const std::string& config_file, const std::string& name,
                  const std::string& role_text, const std::string& password_file,
                  const std::string& token_expires) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (!cfg) {
    print(d);
    return k_exit_config;
  }
  const auto r = auth::role_from_name(role_text);
  if (!r) {
    fmt::print(stderr,
               "unknown role '{}': use operator, supervisor, social_worker, integrator or admin\n",
               role_text);
    return 2;
  }
  if (!auth::valid_user_name(name)) {
    fmt::print(stderr, "a user name is 1-64 letters, digits, '-', '_', '.', '@'\n");
    return 2;
  }
  const auto ttl = auth::token_lifetime(token_expires);
  if (!ttl) {
    fmt::print(stderr, "--token-expires: {}\n", ttl.err().message);
    return 2;
  }
  std::string problem;
  auto pw = read_password(password_file, problem);
  if (!pw) {
    fmt::print(stderr, "{}\n", problem);
    return 2;
  }
  try {
    store::store st(cfg->database);
    const auto now = wall_clock{}.now();
    std::optional<time_point> until;
    if (*ttl) until = now + **ttl;
    const auto token = auth::new_token();
    store::transaction tx(st);
    if (auto added = auth::add_user(
            st, {name, *r, pw->empty() ? std::string() : auth::hash_password(*pw), now});
        !added) {
      fmt::print(stderr, "user {} already exists\n", name);
      return 1;
    }
    auth::add_token(st, {auth::token_hash(token), name, "api", now, until});
    st.append_audit(
        {{now, "cli", "user-added", "", "user:" + name, std::string(auth::role_name(*r)), "cli"}});
    tx.commit();
    fmt::print("user {} ({}) added; {}\n", name, auth::role_name(*r),
               pw->empty() ? "no console password (API token only)" : "console password set");
    if (*r == auth::role::social_worker && !names_social_worker(*cfg, st, name))
      fmt::print(stderr,
                 "warning: no resident in the registry has social_worker '{}' (residents.csv): "
                 "until one does, {} sees no residents and no alerts. A social worker's user "
                 "name must be the name in that column.\n",
                 name, name);
    fmt::print("API token (shown once; send it as 'Authorization: Bearer <token>'):\n{}\n", token);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", cfg->database, e.what());
    return 1;
  }
}

int cmd_users_list(const std::string& config_file) {
  return with_store(config_file, [](const app::config&, store::store& st) {
    for (const auto& u : auth::list_users(st))
      fmt::print("{}\t{}\n", u.name, auth::role_name(u.role));
    return 0;
  });
}

/// Who runs a CLI command, for the audit trail: --actor, else the login name.
std::string cli_actor(const std::string& given);

/// One user change from the command line, with its audit row, in one transaction.
int change_user(const std::string& config_file, const std::string& name,
                const std::function<int(store::store&, const auth::user&, std::string& note)>& f,
                const std::string& action) {
  return with_store(config_file, [&](const app::config&, store::store& st) {
    auto& db = st;
    store::transaction tx(db);
    const auto u = auth::find_user(db, name);
    if (!u) {
      fmt::print(stderr, "no user {}\n", name);
      return 1;
    }
    std::string note;
    if (const int rc = f(db, *u, note); rc != 0) return rc;
    db.append_audit({{wall_clock{}.now(), cli_actor({}), action, "", "user:" + name, note, "cli"}});
    tx.commit();
    return 0;
  });
}

/// `hearthd users remove NAME`: the user and its tokens go (their sessions end).
int cmd_users_remove(const std::string& config_file, const std::string& name) {
  return change_user(
      config_file, name,
      [&](store::store& db, const auth::user& u, std::string& note) {
        (void)auth::remove_user(db, u.name);
        note = std::string(auth::role_name(u.role));
        fmt::print("user {} removed\n", u.name);
        return 0;
      },
      "user-removed");
}

/// `hearthd users passwd NAME`: a new console password; the user's sessions end.
int cmd_users_passwd(const std::string& config_file, const std::string& name,
                     const std::string& password_file) {
  std::string problem;
  auto pw = read_password(password_file, problem);
  if (!pw) {
    fmt::print(stderr, "{}\n", problem);
    return 2;
  }
  if (pw->empty()) {
    fmt::print(stderr, "give the new password with --password-file, or run on a terminal\n");
    return 2;
  }
  const auto hash = auth::hash_password(*pw);
  return change_user(
      config_file, name,
      [&](store::store& db, const auth::user& u, std::string&) {
        (void)auth::set_password_hash(db, u.name, hash);
        const int ended = auth::delete_tokens(db, u.name, "session");
        fmt::print("password of {} changed; {} console sessions ended\n", u.name, ended);
        return 0;
      },
      "password-reset");
}

/// `hearthd users token NAME [--expires D] [--revoke]`: a new API token in place of the old
/// ones (printed once), or with --revoke every token and session of the user ended.
int cmd_users_token(const std::string& config_file, const std::string& name,
                    const std::string& expires, bool revoke) {
  const auto ttl = auth::token_lifetime(expires);
  if (!ttl) {
    fmt::print(stderr, "--expires: {}\n", ttl.err().message);
    return 2;
  }
  return change_user(
      config_file, name,
      [&](store::store& db, const auth::user& u, std::string& note) {
        if (revoke) {
          const int n = auth::delete_tokens(db, u.name);
          note = fmt::format("{} tokens and sessions", n);
          fmt::print("{} tokens and sessions of {} revoked\n", n, u.name);
          return 0;
        }
        const auto now = wall_clock{}.now();
        auth::delete_tokens(db, u.name, "api");
        const auto token = auth::new_token();
        std::optional<time_point> until;
        if (*ttl) until = now + **ttl;
        auth::add_token(db, {auth::token_hash(token), u.name, "api", now, until});
        note = until ? "expires " + format_rfc3339(*until) : "no expiry";
        fmt::print("new API token for {} ({}; the old ones no longer work), shown once:\n{}\n",
                   u.name, note, token);
        return 0;
      },
      revoke ? "tokens-revoked" : "token-rotated");
}

/// `hearthd backup --config F FILE`: an online copy through the SQLite backup API. The
/// backup is an audit row (in the copy too), and the copy's signed audit head is written
/// beside it as FILE.head.
int cmd_backup(const std::string& config_file, const std::string& dest) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (!cfg) {
    print(d);
    return k_exit_config;
  }
  if (cfg->database == ":memory:") {
    fmt::print(stderr, "the configured database is :memory:; there is nothing to back up\n");
    return 1;
  }
  if (store::is_postgresql(cfg->database)) {
    fmt::print(stderr,
               "the database is PostgreSQL: back it up with PostgreSQL's own tools (pg_dump, "
               "pg_basebackup, or a streaming replica); hearthd backup copies a SQLite file\n");
    return 1;
  }
  std::string why;
  const auto key = app::read_audit_key(*cfg, why);
  if (!key) {
    fmt::print(stderr, "{}: {}\n", cfg->file, why);
    return k_exit_config;
  }
  try {
    std::error_code ec;
    if (std::filesystem::exists(dest, ec)) {
      fmt::print(stderr, "hearthd backup: {} exists; a backup never overwrites a file\n", dest);
      return 1;
    }
    const auto now = wall_clock{}.now();
    {
      store::store live(cfg->database);
      live.append_audit({{now, cli_actor(""), "backup", "", "file:" + dest, "", "cli"}});
    }
    store::backup(cfg->database, dest);
    store::store copy(dest);
    const auto v = copy.verify_audit();
    const auto head = store::signed_head(copy.audit_head_now(now), *key);
    store::replace_file_synced(dest + ".head", store::head_json(head) + "\n");
    fmt::print("backed up {} to {} ({} readings; audit trail {}: {} rows; head {}.head{})\n",
               cfg->database, dest, copy.count_readings(), v.ok() ? "intact" : "BROKEN", v.rows,
               dest, head.hmac.empty() ? ", unsigned" : ", signed");
    return v.ok() ? 0 : 1;
  } catch (const store::store_error& e) {
    fmt::print(stderr, "hearthd backup: {}\n", e.what());
    return 1;
  }
}

/// `hearthd migrate --from FILE.db --to postgresql://...`.
int cmd_migrate(const std::string& from, const std::string& to) {
  if (!std::filesystem::is_regular_file(from)) {
    fmt::print(stderr, "hearthd migrate: {} is not a SQLite file\n", from);
    return 1;
  }
  try {
    const auto report = store::copy_sqlite_to_postgresql(from, to);
    std::int64_t total = 0;
    for (const auto& [table, n] : report.rows) {
      fmt::print("{:<16} {:>10}\n", table, n);
      total += n;
    }
    fmt::print("copied {} rows from {} to {}; audit trail {}: {} rows\n", total, from,
               store::redact_uri(to), report.audit.ok() ? "intact" : "BROKEN", report.audit.rows);
    if (!report.audit.ok())
      fmt::print(stderr, "audit row {}: {}\n", *report.audit.bad, report.audit.problem);
    return report.audit.ok() ? 0 : 1;
  } catch (const store::store_error& e) {
    fmt::print(stderr, "hearthd migrate: {}\n", e.what());
    return 1;
  }
}

/// Who runs a CLI command, for the audit trail: --actor, else the login name.
std::string cli_actor(const std::string& given) {
  if (!given.empty()) return given;
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v && *v) return std::string("cli:") + v;
  return "cli";
}

/// `hearthd residents export ID`: the person's data as JSON on stdout; audited.
int cmd_residents_export(const std::string& config_file, const std::string& id, bool full,
                         const std::string& actor) {
  return with_store(config_file, [&](const app::config&, store::store& st) {
    auto out = store::export_resident(st, id, cli_actor(actor), wall_clock{}.now(), full);
    if (!out) {
      fmt::print(stderr, "no resident {}\n", id);
      return 1;
    }
    fmt::print("{}\n", boost::json::serialize(*out));
    return 0;
  });
}

/// `hearthd residents erase ID`: removes the person's personal data; the audit chain stays
/// verifiable. Refuses while the registry folder would bring them back on the next import.
int cmd_residents_erase(const std::string& config_file, const std::string& id,
                        const std::string& actor) {
  diagnostics d;
  auto cfg = app::load_config(config_file, d);
  if (!cfg) {
    print(d);
    return k_exit_config;
  }
  if (!cfg->registry_dir.empty()) {
    const auto csv = std::filesystem::path(cfg->registry_dir) / "residents.csv";
    std::ifstream in(csv);
    for (std::string line; std::getline(in, line);)
      if (line.starts_with(id + ",")) {
        fmt::print(stderr,
                   "{} still lists {}: remove that line first, or the next import (start or "
                   "SIGHUP) brings the person back. Nothing was erased.\n",
                   csv.string(), id);
        return 1;
      }
  }
  try {
    store::store st(cfg->database);
    auto out = store::erase_resident(st, id, cli_actor(actor), wall_clock{}.now());
    if (!out) {
      fmt::print(stderr, "no resident {}\n", id);
      return 1;
    }
    fmt::print(
        "erased {}: registry row, {} away record(s), {} rule-state row(s){}; {} alert(s) now "
        "name {}; audit row appended\n"
        "a running hearthd forgets the person on reload (systemctl reload hearthd)\n",
        id, out->aways, out->state_rows,
        out->household_readings_erased
            ? fmt::format(", {} reading(s) of their household", out->readings)
            : std::string(),
        out->alerts, out->pseudonym);
    return 0;
  } catch (const store::store_error& e) {
    fmt::print(stderr, "hearthd residents erase: {}\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ha::remember_command_line(argc, argv);
  CLI::App app{"hearthd: safety alerts for older people living alone"};
  app.require_subcommand(1);
  std::string config_file = "/etc/hearth/hearth.yaml";

  auto* run = app.add_subcommand("run", "run the daemon");
  // Not required(): without it, `run` explains how to start instead of CLI11's one line.
  auto* run_config = run->add_option("--config,-c", config_file, "config file (YAML)");
  bool run_init = false;
  run->add_flag("--init", run_init,
                "make a new database where the file is 0 bytes or cut short (it is moved "
                "aside first)");

  auto* check = app.add_subcommand("check", "validate config, device types, rules and registry");
  check->add_option("--config,-c", config_file, "config file (YAML)")->required();

  auto* devices = app.add_subcommand("devices", "device-type tools");
  devices->require_subcommand(1);
  auto* dtest = devices->add_subcommand("test", "run the golden examples of device types");
  std::vector<std::string> type_files;
  dtest->add_option("files", type_files, "device-type files (default: the shipped devices/)");
  dtest->add_option("--config,-c", config_file, "config file (unused; accepted for symmetry)");

  auto* import = app.add_subcommand("import", "upsert registry CSVs in one transaction");
  import->add_option("--config,-c", config_file, "config file (YAML)");
  std::vector<std::string> csv_files;
  import->add_option("files", csv_files, "households/residents/devices/buildings CSVs")->required();

  auto* replay =
      app.add_subcommand("replay", "replay a capture through the rules; print alert transitions");
  replay->add_option("--config,-c", config_file, "config file (YAML)")->required();
  std::string capture_file;
  replay->add_option("capture", capture_file, "capture file (JSON lines: ts, topic, payload)")
      ->required();
  std::string compare_rules;
  replay->add_option("--compare", compare_rules,
                     "a second rules folder: print the alerts that one opens and the other not");
  auto* audit = app.add_subcommand("audit", "the hash-chained audit trail");
  audit->require_subcommand(1);
  auto* averify = audit->add_subcommand("verify", "check the hash chain; names the first bad row");
  averify->add_option("--config,-c", config_file, "config file (YAML)")->required();
  std::string verify_head;
  averify->add_option("--head", verify_head,
                      "an audit head to check the chain against: a file holding one (a backup's "
                      ".head) or its JSON (from MQTT hearth/audit/head); default <database>.head");
  auto* aexport = audit->add_subcommand("export", "print one alert and its timeline as JSON");
  aexport->add_option("--config,-c", config_file, "config file (YAML)")->required();
  std::string export_alert;
  aexport->add_option("--alert", export_alert, "alert id")->required();

  auto* users = app.add_subcommand("users", "console and API users");
  users->require_subcommand(1);
  auto* uadd = users->add_subcommand("add", "add a user; prints an API token once");
  uadd->add_option("--config,-c", config_file, "config file (YAML)")->required();
  std::string user_name, user_role, password_file;
  uadd->add_option("name", user_name, "user name (a social worker's as in the registry)")
      ->required();
  uadd->add_option("--role,-r", user_role,
                   "operator, supervisor, social_worker, integrator or admin")
      ->required();
  uadd->add_option("--password-file", password_file,
                   "console password: first line of this file (default: prompt on a TTY)");
  std::string token_expires;
  uadd->add_option("--token-expires", token_expires, "the API token expires after this (e.g. 90d)");
  auto* ulist = users->add_subcommand("list", "list users and their roles");
  ulist->add_option("--config,-c", config_file, "config file (YAML)")->required();
  auto* uremove = users->add_subcommand("remove", "remove a user; its tokens and sessions end");
  uremove->add_option("--config,-c", config_file, "config file (YAML)")->required();
  uremove->add_option("name", user_name, "user name")->required();
  auto* upasswd =
      users->add_subcommand("passwd", "set a user's console password; its sessions end");
  upasswd->add_option("--config,-c", config_file, "config file (YAML)")->required();
  upasswd->add_option("name", user_name, "user name")->required();
  upasswd->add_option("--password-file", password_file,
                      "the new password: first line of this file (default: prompt on a TTY)");
  auto* utoken = users->add_subcommand(
      "token", "a new API token in place of the user's old ones (printed once), or --revoke");
  utoken->add_option("--config,-c", config_file, "config file (YAML)")->required();
  utoken->add_option("name", user_name, "user name")->required();
  utoken->add_option("--expires", token_expires, "the token expires after this (e.g. 90d)");
  bool token_revoke = false;
  utoken->add_flag("--revoke", token_revoke, "revoke every token and session, issue none");

  auto* backup = app.add_subcommand(
      "backup", "copy the database while hearthd runs (SQLite online backup); FILE must not exist");
  backup->add_option("--config,-c", config_file, "config file (YAML)")->required();
  std::string backup_file;
  backup->add_option("file", backup_file, "the copy to write")->required();

  auto* residents = app.add_subcommand("residents", "a resident's rights: a copy, erasure");
  residents->require_subcommand(1);
  std::string resident_id, cli_actor_name;
  bool export_full = false;
  auto* rexport = residents->add_subcommand("export", "print a resident's data as JSON (audited)");
  rexport->add_option("--config,-c", config_file, "config file (YAML)")->required();
  rexport->add_option("id", resident_id, "resident id")->required();
  rexport->add_flag("--full", export_full, "every reading instead of a summary per metric");
  rexport->add_option("--actor", cli_actor_name, "who asks (audit trail); default: login name");
  auto* rerase = residents->add_subcommand(
      "erase", "remove a resident's personal data; the audit chain stays verifiable");
  rerase->add_option("--config,-c", config_file, "config file (YAML)")->required();
  rerase->add_option("id", resident_id, "resident id")->required();
  rerase->add_option("--actor", cli_actor_name, "who asks (audit trail); default: login name");

  auto* migrate = app.add_subcommand(
      "migrate", "move a SQLite database into an empty PostgreSQL database (audit chain kept)");
  std::string migrate_from, migrate_to;
  migrate->add_option("--from", migrate_from, "the SQLite file (hearthd stopped)")->required();
  migrate->add_option("--to", migrate_to, "postgresql://user@host/db, empty")->required();
  migrate->add_option("--config,-c", config_file, "config file (unused; accepted for symmetry)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help answers 0; any other command-line mistake is a usage error (EX_USAGE).
    return app.exit(e) == 0 ? 0 : k_exit_usage;
  }
  if (*run && run_config->count() == 0) return run_usage();
  try {
    if (*migrate) return cmd_migrate(migrate_from, migrate_to);
    if (*backup) return cmd_backup(config_file, backup_file);
    if (*rexport)
      return cmd_residents_export(config_file, resident_id, export_full, cli_actor_name);
    if (*rerase) return cmd_residents_erase(config_file, resident_id, cli_actor_name);
    if (*run) return app::run_daemon(config_file, run_init);
    if (*check) return cmd_check(config_file);
    if (*dtest) return cmd_devices_test(type_files);
    if (*import) return cmd_import(config_file, csv_files);
    if (*replay)
      return compare_rules.empty()
                 ? app::run_replay(config_file, capture_file, std::cout, std::cerr)
                 : app::run_replay_compare(config_file, compare_rules, capture_file, std::cout,
                                           std::cerr);
    if (*averify) return cmd_audit_verify(config_file, verify_head);
    if (*aexport) return cmd_audit_export(config_file, export_alert);
    if (*uadd)
      return cmd_users_add(config_file, user_name, user_role, password_file, token_expires);
    if (*uremove) return cmd_users_remove(config_file, user_name);
    if (*upasswd) return cmd_users_passwd(config_file, user_name, password_file);
    if (*utoken) return cmd_users_token(config_file, user_name, token_expires, token_revoke);
    if (*ulist) return cmd_users_list(config_file);
  } catch (const std::exception& e) {
    fmt::print(stderr, "hearthd: {}\n", e.what());
    return 1;
  }
  return 0;
}
