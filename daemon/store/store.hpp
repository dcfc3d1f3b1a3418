// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The store: every table hearth keeps, behind one interface that works on both backends
/// (`database:` a SQLite file path, or a `postgresql://` URI; see sql.hpp).
///
/// Two kinds of writes:
///  - `store` (this class) is used on the domain thread for what must be durable before
///    anyone is told (alerts and their audit rows, registry imports, users) and for queries;
///  - `writer` (writer.hpp) owns a thread that batches the high-volume rows (readings,
///    quarantine, unknown-device sightings) off the hot path, on its own connection.
///
/// Each group of methods below is one table or concern, implemented in its own file
/// (registry_table.cpp, alerts_table.cpp, audit.cpp, engine_state.cpp, users_table.cpp,
/// silences.cpp, readings.cpp). Every write runs in a transaction: its own, or the caller's
/// when one is open (`transaction tx(st)`), so that rows that belong together commit
/// together.
///
/// Threading: one thread at a time (the domain thread, or a CLI command).
/// Errors: `store_error`; faults are reported to `health` by the callers that retry.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/book.hpp"
#include "engine/engine.hpp"
#include "registry/registry.hpp"
#include "store/audit.hpp"
#include "store/audit_head.hpp"
#include "store/health.hpp"
#include "store/id_floor.hpp"
#include "store/rows.hpp"
#include "store/sql.hpp"

namespace hearth::store {

/// True when `database` names a PostgreSQL database (`postgresql://` or `postgres://`).
bool is_postgresql(std::string_view database);

/// Opens a connection to `database` (a SQLite path or ":memory:", or a PostgreSQL URI),
/// without migrating. Throws store_error with a clear message on failure.
std::unique_ptr<connection> open_connection(const std::string& database,
                                            const connection_options& o = {});

struct store_options {
  /// How long the domain thread waits for a lock held elsewhere (SQLite). A write that
  /// fails is retried by the 1-second tick, and alerts are published meanwhile.
  duration busy_timeout{5'000};
  /// SQLite: leave checkpoints to the writer (writer_options::checkpoint_pages), so that
  /// an alert commit never runs one and pays its fsync.
  bool writer_checkpoints = false;
  /// PostgreSQL: how the connection is opened (the lease epoch that fences it).
  connection_options connection;
};

class file_watch;

class store {
 public:
  /// Opens and migrates. Throws store_error with a clear message on failure.
  explicit store(const std::string& database, store_options o = {});
  ~store();

  hearth::store::dialect dialect() const { return db_->dialect(); }
  /// The connection itself: for the table modules in store/ and for tests, not for callers.
  connection& db() { return *db_; }

  /// Where failures of writes on this (domain) connection are reported; may be null.
  void set_health(health* h) { health_ = h; }
  health* health_board() const { return health_; }

  /// Whether the database file or its -wal was removed or replaced under this process
  /// (device and inode, looked at on each call: the daemon's 1-second tick). Once it was,
  /// writes of alerts and audit rows throw store_error (they would go to a file nobody will
  /// read again), so the pipeline keeps them in memory and /healthz says why. Empty when
  /// all is well, and always on PostgreSQL. Issue 18, defect 1.
  std::string check_files();

  /// Inside a transaction: its commit need not wait for the disk. PostgreSQL `SET LOCAL
  /// synchronous_commit = off`: the commit is visible to every node at once (a failover
  /// loses nothing), and only a crash of the database server itself can lose it, within
  /// about 0.6 s. SQLite (synchronous=NORMAL in WAL mode) never waits for the disk at commit
  /// anyway: nothing to do. For writes that are made again if lost: rule state, and alert
  /// transitions below P2 (the engine raises a condition that still holds again).
  void commit_lazily();

  // --- registry (registry_table.cpp): upserted in one transaction, loaded whole.
  void save_registry(const registry::tables& t);
  /// The registry as one indexed snapshot.
  registry::registry load_registry();
  /// True when some resident names `user` as their social worker.
  bool names_social_worker(std::string_view user);

  // --- alerts (alerts_table.cpp): written before the transition is published.
  void save_alert(const alerts::alert& a);
  /// In one transaction (the caller's when one is open): the alerts' latest states, each
  /// transition of `numbered` (see append_transition) and then `journal` in the audit
  /// trail. Returns the transitions' numbers in order. Whatever their count, on PostgreSQL
  /// this is two round trips: every read sent ahead of the first, then the audit rows.
  std::vector<std::uint64_t> save_alerts(std::span<const alerts::alert* const> alerts,
                                         std::span<const alerts::transition* const> numbered,
                                         const std::vector<alerts::audit_entry>& journal,
                                         time_point at);
  std::vector<alerts::alert> load_alerts(std::optional<alerts::state> st, std::size_t limit = 500);
  /// One alert by id, in any state (with its lifecycle fields), or nullopt.
  std::optional<alerts::alert> load_alert(const std::string& id);
  /// The newest alert's id in the table (0: none).
  std::uint64_t max_alert_id();
  /// The highest alert id ever handed out or reserved: the table's, or higher when the
  /// database has lost rows (a deleted WAL, a restored backup) or ids are reserved in
  /// blocks, as `<file>.ids` remembers. The next alert takes the one after it, so an id is
  /// never given twice.
  std::uint64_t alert_id_floor();
  /// The newest alerts (any state) naming the resident or about the household, newest
  /// first; an empty id matches nothing.
  std::vector<alerts::alert> alerts_about(const std::string& resident_id,
                                          const std::string& household_id, std::size_t limit);

  /// High availability: `n` fresh ids from the database's sequence (PostgreSQL; never
  /// handed out twice, whichever node asks). SQLite has one node: store_error.
  std::vector<std::uint64_t> reserve_alert_ids(std::size_t n);

  // --- transitions (transitions_table.cpp): every alert transition, numbered, so that a
  // console whose stream dropped (a failover, a network blip) fetches what it missed.
  /// Appends `t` (in the caller's transaction when one is open); returns its number.
  std::uint64_t append_transition(const alerts::transition& t, time_point at);
  /// Transitions numbered after `after_seq`, oldest first, at most `limit` (with `seq` set).
  std::vector<alerts::transition> transitions_after(std::uint64_t after_seq, std::size_t limit);
  /// The highest number stored, and the lowest still kept (0 when none).
  std::uint64_t last_transition_seq();
  std::uint64_t first_transition_seq();
  /// Deletes transitions older than `before`; returns how many.
  std::int64_t prune_transitions(time_point before);

  // --- the audit trail (audit.cpp): append-only and hash-chained; see audit.hpp.
  /// Appends rows in order, chaining each to the last, in the caller's transaction when one
  /// is open, so that rows and the state they describe commit together.
  void append_audit(const std::vector<alerts::audit_entry>& rows);
  /// Rows about one alert, oldest first, without the `recorded` rows (its timeline).
  std::vector<audit_row> audit_for_alert(const std::string& alert_id);
  /// Appends a `recorded` row per alert id with the digest of its row as it now is (see
  /// audit.hpp); save_alert does this itself, other writers of alert rows call it.
  void record_alert_rows(const std::vector<std::int64_t>& ids, time_point at);
  /// Where the chain ends now (unsigned): its row count and last hash, and the highest
  /// alert id in the alerts table. Two indexed reads.
  audit_head audit_head_now(time_point at);
  /// Rows after `after_seq`, oldest first (export, tests).
  std::vector<audit_row> audit_rows(std::int64_t after_seq = 0, std::size_t limit = 100'000);
  /// Walks the whole chain, a page at a time, then the alerts table against the chain's
  /// records of its rows (memory: one digest per alert). With `anchor`, also that the chain
  /// still reaches the anchor's row count with its hash there, and that the alerts table
  /// still holds its last alert id. The anchor's signature is the caller's to check.
  audit_verdict verify_audit(const audit_head* anchor = nullptr);

  // --- rule-engine state (engine_state.cpp): pending windows, deadlines, baselines, one
  // JSON row per key; a row with empty json deletes its key. Written in one transaction.
  void save_engine_state(const std::vector<engine::state_row>& rows);
  std::vector<engine::state_row> load_engine_state();

  // --- users and tokens (users_table.cpp); auth/users.hpp gives them meaning.
  /// False when a user with this name exists (nothing is written).
  bool add_user(const user_row& u);
  std::optional<user_row> find_user(std::string_view name);
  /// By name, without password hashes: `password_hash` is "set" when the user has one.
  std::vector<user_row> list_users();
  void add_token(const token_row& t);
  /// The token with this hash, if it exists and has not expired at `now`.
  std::optional<token_row> find_token(std::string_view hash, time_point now);
  void delete_token(std::string_view hash);
  /// Removes sessions that expired before `now`; returns how many.
  std::int64_t delete_expired_tokens(time_point now);
  /// The language the user picked in the console ("zh-CN", "en"), or nullopt (none picked:
  /// the browser's language applies). user_settings.cpp.
  std::optional<std::string> user_locale(std::string_view name);
  /// Remembers the user's language; nullopt forgets it. False when there is no such user.
  bool set_user_locale(std::string_view name, const std::optional<std::string>& locale);
  /// The user's tokens of both kinds, expired ones too, oldest first.
  std::vector<token_row> tokens_of(std::string_view user);
  /// Deletes the user's tokens of `kind` ("api", "session"), or all; returns how many.
  std::int64_t delete_tokens(std::string_view user,
                             std::optional<std::string_view> kind = std::nullopt);
  // Changes to one user; false when there is no such user.
  bool remove_user(std::string_view name);  ///< with its tokens
  bool set_password_hash(std::string_view name, std::string_view hash);
  bool set_role(std::string_view name, std::string_view role);
  bool set_caseload(std::string_view name, const std::vector<std::string>& entries);
  /// Disables (at `at`) or enables (nullopt); disabling deletes the user's sessions.
  bool set_disabled(std::string_view name, std::optional<time_point> at);

  // --- the supervisor's reports (reports_table.cpp): alerts by period, notes, handovers.
  /// Alerts opened in [from, to), oldest first; at most `limit` + 1, so that a caller can
  /// tell there were more.
  std::vector<alerts::alert> alerts_opened(time_point from, time_point to, std::size_t limit);
  /// Resolved alerts last changed at or after `since` (oldest change first), at most `limit`.
  std::vector<alerts::alert> alerts_resolved_since(time_point since, std::size_t limit);
  /// Per alert id, the latest note a person wrote on it: a claim's or a note's, and with
  /// `resolutions` also a resolution's ("outcome: note"). hearthd's rows are skipped; ids
  /// without one are absent.
  std::map<std::string, std::string> latest_notes(const std::vector<std::string>& ids,
                                                  bool resolutions);
  handover_row save_handover(handover_row h);  ///< returns it with its id
  /// Handovers whose summary ends in [from, to], newest acknowledgement first.
  std::vector<handover_row> handovers(time_point from, time_point to, std::size_t limit = 50);

  // --- silences and away (silences.cpp), which the alert book keeps in memory.
  void save_silence(const alerts::silence& s);
  /// Marks a silence deleted (it stays in the table for the record).
  void delete_silence(const std::string& id, const std::string& actor, time_point at);
  /// Silences not deleted and not yet expired at `now`.
  std::vector<alerts::silence> load_silences(time_point now);
  std::uint64_t max_silence_id();
  void save_away(const alerts::away& a);
  std::vector<alerts::away> load_aways(time_point now);

  // --- readings, quarantine and unknown devices (readings.cpp), written by `writer`.
  /// Unregistered devices, most recently seen first (then by external id), after the
  /// key (`after_ms`, `after_id`; 0 and "" for the first page), `limit` at most.
  std::vector<unknown_device> unknown_devices(std::int64_t after_ms = 0,
                                              const std::string& after_id = {},
                                              std::size_t limit = 100'000);
  std::vector<quarantine_row> quarantine(std::size_t limit = 100);
  std::vector<stored_reading> readings(const std::string& device_id, time_point since,
                                       time_point until, std::size_t limit = 10'000);
  /// Every reading of the device, oldest first.
  std::vector<stored_reading> all_readings(const std::string& device_id);
  /// Per metric: count, first and last time, least and greatest value.
  std::vector<reading_summary> readings_summary(const std::string& device_id);
  /// Deletes every reading of the device (erasure); returns how many.
  std::int64_t erase_readings(const std::string& device_id);
  std::int64_t count_readings();
  /// True when a reading of `device_id` at exactly `ts` is stored (redelivery check).
  bool has_reading_at(std::string_view device_id, time_point ts);

 private:
  std::unique_ptr<connection> db_;
  health* health_ = nullptr;
  /// SQLite files: the highest alert id handed out, beside the database (id_floor.hpp).
  std::unique_ptr<id_floor> ids_;
  /// SQLite files: whether the file or its -wal was removed or replaced (file_watch.hpp).
  std::unique_ptr<file_watch> files_;
  /// Throws store_error once `check_files()` found the files replaced.
  void refuse_if_files_lost() const;
  /// The alert's upsert (RETURNING the row as stored), sent (statement::send).
  statement send_alert_upsert(const alerts::alert& a);
  /// The transition's insert (RETURNING its number), sent.
  statement send_transition(const alerts::transition& t, time_point at);
  /// The audit chain's last row, read under the chain's lock, sent; nullopt when this
  /// transaction already knows it (audit_tail_).
  std::optional<statement> send_audit_tail();
  /// Appends `rows` (at least one) after the chain's last row: `tail` as send_audit_tail
  /// sent it.
  void append_audit_after(std::optional<statement>& tail,
                          const std::vector<alerts::audit_entry>& rows);

  /// Where the audit chain ends, as the open transaction last read or wrote it. Its
  /// appends hold the chain's lock (or SQLite's write lock) until the transaction ends, so
  /// the next append of the same transaction chains on from here without reading it again.
  struct audit_tail {
    std::uint64_t transaction = 0;  ///< connection::transaction_serial
    std::int64_t seq = 0;
    std::string hash;
  };
  std::optional<audit_tail> audit_tail_;
};

}  // namespace hearth::store
