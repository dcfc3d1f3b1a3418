// SPDX-License-Identifier: Apache-2.0
#include "store/postgres.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <regex>
#include <type_traits>
#include <vector>

namespace hearth::store {
namespace {

using steady = std::chrono::steady_clock;

constexpr unsigned k_int8_oid = 20, k_float8_oid = 701, k_bytea_oid = 17;

/// What a PostgreSQL error is, by its SQLSTATE (Appendix A of the PostgreSQL manual).
errc errc_of(const PGresult* r, PGconn* c) {
  if (!c || PQstatus(c) == CONNECTION_BAD) return errc::unavailable;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (!state) return errc::error;
  const std::string_view s(state);
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "25P03")
    return errc::unavailable;  // connection lost, server shutting down or starting, timed out
  if (s == "53100") return errc::full;
  if (s.starts_with("23") || s == "P0001") return errc::constraint;  // P0001: our triggers
  if (s == "40001" || s == "40P01" || s == "55P03") return errc::busy;
  return errc::error;
}

std::string trimmed(const char* msg) {
  std::string m = msg ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return m;
}

/// Waits until the socket is ready or `deadline` passes.
bool wait_socket(PGconn* c, short events, steady::time_point deadline) {
  pollfd p{PQsocket(c), events, 0};
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    if (left <= 0) return false;
    const int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

/// Valid UTF-8 without NUL bytes, as PostgreSQL's text types require: each byte that does
/// not belong to a well-formed sequence, and each NUL, becomes U+FFFD.
std::string utf8_text(std::string_view v) {
  auto cont = [&](std::size_t i) {
    return i < v.size() && (static_cast<unsigned char>(v[i]) & 0xC0) == 0x80;
  };
  std::size_t i = 0;
  std::string out;
  bool changed = false;
  while (i < v.size()) {
    const auto b = static_cast<unsigned char>(v[i]);
    std::size_t n = 0;
    if (b >= 0x01 && b < 0x80)
      n = 1;
    else if (b >= 0xC2 && b <= 0xDF && cont(i + 1))
      n = 2;
    else if (b >= 0xE0 && b <= 0xEF && cont(i + 1) && cont(i + 2)) {
      const auto b1 = static_cast<unsigned char>(v[i + 1]);
      if (!(b == 0xE0 && b1 < 0xA0) && !(b == 0xED && b1 >= 0xA0)) n = 3;  // overlong, surrogate
    } else if (b >= 0xF0 && b <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      const auto b1 = static_cast<unsigned char>(v[i + 1]);
      if (!(b == 0xF0 && b1 < 0x90) && !(b == 0xF4 && b1 >= 0x90)) n = 4;
    }
    if (n == 0) {
      if (!changed) out.assign(v.substr(0, i));
      changed = true;
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (changed) out.append(v.substr(i, n));
    i += n;
  }
  return changed ? out : std::string(v);
}

std::string unhex_bytea(const char* p, int len) {
  // bytea's text output: "\x" then two hex digits a byte.
  if (len < 2 || p[0] != '\\' || p[1] != 'x') return std::string(p, static_cast<std::size_t>(len));
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve(static_cast<std::size_t>(len - 2) / 2);
  for (int i = 2; i + 1 < len; i += 2)
    out.push_back(static_cast<char>(nib(p[i]) << 4 | nib(p[i + 1])));
  return out;
}

class pg_statement final : public statement_impl, pg_connection::result_slot {
 public:
  pg_statement(pg_connection& c, std::string sql) : c_(c), sql_(std::move(sql)) {}
  ~pg_statement() override {
    if (waiting_) c_.forget(*this);
    PQclear(res_);
  }
  pg_statement(const pg_statement&) = delete;
  pg_statement& operator=(const pg_statement&) = delete;

  void bind_int64(int i, std::int64_t v) override { set(i, std::to_string(v), k_int8_oid, 0); }
  void bind_double(int i, double v) override {
    set(i,
        std::isnan(v)   ? std::string("NaN")
        : std::isinf(v) ? std::string(v > 0 ? "Infinity" : "-Infinity")
                        : fmt::format("{:.17g}", v),
        k_float8_oid, 0);
  }
  void bind_text(int i, std::string_view v) override { set(i, utf8_text(v), 0, 0); }
  void bind_blob(int i, std::string_view v) override { set(i, std::string(v), k_bytea_oid, 1); }
  void bind_null(int i) override {
    slot(i);
    null_[static_cast<std::size_t>(i - 1)] = true;
    types_[static_cast<std::size_t>(i - 1)] = 0;
  }

  bool step() override {
    if (waiting_) {
      c_.read_sent(*this);  // the sync gives every statement sent ahead its result (take)
    } else if (!res_) {
      res_ = with_params([&](int n, const char* const* values, const int* lengths) {
        return c_.run(sql_, n, values, lengths, formats_.data(), types_.data());
      });
      rows_ = res_ ? PQntuples(res_) : 0;
      row_ = -1;
    }
    return ++row_ < rows_;
  }
  void run() override {
    if (res_) return statement_impl::run();  // already stepped: read to the end
    with_params([&](int n, const char* const* values, const int* lengths) {
      c_.run_unread(sql_, n, values, lengths, formats_.data(), types_.data());
      return 0;
    });
    reset();
  }
  void send() override {
    if (waiting_ || res_) return;  // sent already, or run
    waiting_ = true;               // take() clears it
    with_params([&](int n, const char* const* values, const int* lengths) {
      c_.run_for(*this, sql_, n, values, lengths, formats_.data(), types_.data());
      return 0;
    });
  }
  void take(PGresult* r) override {
    waiting_ = false;
    PQclear(res_);
    res_ = r;
    rows_ = res_ ? PQntuples(res_) : 0;
    row_ = -1;
  }
  void reset() override {
    if (waiting_) c_.forget(*this);
    waiting_ = false;
    PQclear(res_);
    res_ = nullptr;
    values_.clear();
    null_.clear();
    types_.clear();
    formats_.clear();
  }

  std::int64_t int64(int col) const override {
    return std::strtoll(PQgetvalue(res_, row_, col), nullptr, 10);
  }
  double real(int col) const override { return std::strtod(PQgetvalue(res_, row_, col), nullptr); }
  std::string text(int col) const override {
    const auto v = text_view(col);
    if (PQftype(res_, col) == k_bytea_oid) return unhex_bytea(v.data(), static_cast<int>(v.size()));
    return std::string(v);
  }
  std::string_view text_view(int col) const override {
    return {PQgetvalue(res_, row_, col), static_cast<std::size_t>(PQgetlength(res_, row_, col))};
  }
  bool is_null(int col) const override { return PQgetisnull(res_, row_, col) != 0; }
  int columns() const override { return res_ ? PQnfields(res_) : 0; }

 private:
  /// Calls f(n, values, lengths) with the bound parameters (NULL as a null pointer).
  template <class F>
  std::invoke_result_t<F, int, const char* const*, const int*> with_params(F&& f) {
    const auto n = values_.size();
    std::vector<const char*> ptrs(n);
    std::vector<int> lengths(n);
    for (std::size_t i = 0; i < n; ++i) {
      ptrs[i] = null_[i] ? nullptr : values_[i].data();
      lengths[i] = static_cast<int>(values_[i].size());
    }
    return f(static_cast<int>(n), ptrs.data(), lengths.data());
  }
  void slot(int i) {
    const auto n = static_cast<std::size_t>(i);
    if (values_.size() < n) {
      values_.resize(n);
      null_.resize(n, true);
      types_.resize(n, 0);
      formats_.resize(n, 0);
    }
  }
  void set(int i, std::string v, unsigned type, int format) {
    slot(i);
    const auto k = static_cast<std::size_t>(i - 1);
    values_[k] = std::move(v);
    null_[k] = false;
    types_[k] = type;
    formats_[k] = format;
  }

  pg_connection& c_;
  std::string sql_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<unsigned> types_;
  std::vector<int> formats_;
  PGresult* res_ = nullptr;
  int row_ = -1, rows_ = 0;
  bool waiting_ = false;  ///< sent ahead (send), its result not yet taken
};

}  // namespace

std::string redact_uri(const std::string& uri) {
  static const std::regex password(R"(^(postgres(?:ql)?://[^:/@]*):[^@]*@)");
  auto out = std::regex_replace(uri, password, "$1@");
  static const std::regex param(R"(([?&]password=)[^&]*)");
  return std::regex_replace(out, param, "$1***");
}

std::string pg_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: still right
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
      continue;
    }
    out += c;
  }
  return out;
}

pg_connection::pg_connection(const std::string& uri, connection_options o)
    : uri_(uri), name_(redact_uri(uri)), options_(std::move(o)) {
  connect();
}

pg_connection::~pg_connection() {
  drop();
}

void pg_connection::drop() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  piped_ = false;
  pending_.clear();
}

void pg_connection::connect() {
  drop();
  const auto timeout_ms = options_.query_timeout.count();
  const auto connect_s = std::to_string(std::max<long long>(1, (timeout_ms + 999) / 1000));
  const auto user_timeout = std::to_string(timeout_ms);
  // Later keywords override what the URI says; a lost peer is noticed by keepalives and by
  // the TCP user timeout instead of hanging.
  const char* keys[] = {"dbname",           "application_name", "connect_timeout",
                        "keepalives",       "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", nullptr};
  const char* values[] = {uri_.c_str(),
                          options_.application_name.c_str(),
                          connect_s.c_str(),
                          "1",
                          "2",
                          "1",
                          "3",
                          user_timeout.c_str(),
                          nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const auto msg = trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
    drop();
    throw store_error(errc::unavailable, fmt::format("cannot connect to {}: {}", name_, msg));
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  // A session that stops talking in the middle of a transaction (its node was cut off)
  // releases its locks soon, so that a standby's takeover never waits long for it.
  exec("SET idle_in_transaction_session_timeout = '3s'; SET TIME ZONE 'UTC'");
  if (!options_.session_sql.empty()) exec(options_.session_sql);
}

PGconn* pg_connection::live() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  if (transaction_depth() > 0) {
    drop();
    throw store_error(errc::unavailable,
                      fmt::format("lost the connection to {} in a transaction", name_));
  }
  connect();
  return conn_;
}

PGresult* pg_connection::finish(const char* what) {
  const auto deadline = steady::now() + options_.query_timeout;
  ++round_trips_;
  auto lost = [&](const std::string& why) {
    const auto msg = fmt::format("{}: {} ({})", what, why, name_);
    drop();
    throw store_error(errc::unavailable, msg);
  };
  while (true) {
    const int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) lost(trimmed(PQerrorMessage(conn_)));
    if (!wait_socket(conn_, POLLIN | POLLOUT, deadline))
      lost(fmt::format("no answer within {} ms", options_.query_timeout.count()));
    if (!PQconsumeInput(conn_)) lost(trimmed(PQerrorMessage(conn_)));
  }
  std::optional<store_error> failed;
  PGresult* keep = collect(deadline, what, true, failed);
  if (failed) {
    PQclear(keep);
    if (PQstatus(conn_) == CONNECTION_BAD) drop();
    throw *failed;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    PQclear(keep);
    lost(trimmed(PQerrorMessage(conn_)));
  }
  return keep;
}

PGresult* pg_connection::collect(steady::time_point deadline, const char* what, bool keep,
                                 std::optional<store_error>& first) {
  std::unique_ptr<PGresult, void (*)(PGresult*)> kept(nullptr, &PQclear);
  while (PGresult* r = next_result(deadline, what)) {
    const auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      changes_ = std::atoll(PQcmdTuples(r));
      if (keep) {
        kept.reset(r);
        continue;
      }
    } else if (st != PGRES_PIPELINE_ABORTED && !first) {
      // In a pipeline, what follows an error until the sync is skipped (ABORTED).
      first.emplace(errc_of(r, conn_),
                    fmt::format("{}: {}", what, trimmed(PQresultErrorMessage(r))));
    }
    PQclear(r);
  }
  return kept.release();
}

PGresult* pg_connection::run(const std::string& sql, int n, const char* const* values,
                             const int* lengths, const int* formats, const unsigned* types) {
  if (piped_) {
    send(sql, n, values, lengths, formats, types, {sql.substr(0, 60)});
    return sync(true);
  }
  auto* c = live();
  if (!PQsendQueryParams(c, sql.c_str(), n, types, values, lengths, formats, 0)) {
    const auto msg = trimmed(PQerrorMessage(c));
    const bool bad = PQstatus(c) == CONNECTION_BAD;
    if (bad) drop();
    throw store_error(bad ? errc::unavailable : errc::error, fmt::format("send: {}", msg));
  }
  return finish(sql.substr(0, 60).c_str());
}

void pg_connection::run_unread(const std::string& sql, int n, const char* const* values,
                               const int* lengths, const int* formats, const unsigned* types) {
  if (piped_)
    send(sql, n, values, lengths, formats, types, {sql.substr(0, 60)});
  else
    PQclear(run(sql, n, values, lengths, formats, types));
}

void pg_connection::run_for(result_slot& into, const std::string& sql, int n,
                            const char* const* values, const int* lengths, const int* formats,
                            const unsigned* types) {
  if (piped_)
    send(sql, n, values, lengths, formats, types, {sql.substr(0, 60), false, &into});
  else
    into.take(run(sql, n, values, lengths, formats, types));
}

void pg_connection::read_sent(const result_slot& s) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const pending& p) { return p.into == &s; });
  if (it == pending_.end())
    throw store_error(
        errc::unavailable,
        fmt::format("lost the connection to {} before a statement's rows were read", name_));
  PQclear(sync(false));
}

void pg_connection::forget(const result_slot& s) noexcept {
  for (auto& p : pending_)
    if (p.into == &s) p.into = nullptr;
}

std::int64_t pg_connection::changes() {
  if (!pending_.empty()) PQclear(sync(false));
  return changes_;
}

void pg_connection::enter_pipeline() {
  if (!PQenterPipelineMode(conn_))
    throw store_error(
        errc::error, fmt::format("cannot enter pipeline mode: {}", trimmed(PQerrorMessage(conn_))));
  piped_ = true;
}

void pg_connection::send(const std::string& sql, int n, const char* const* values,
                         const int* lengths, const int* formats, const unsigned* types, pending p) {
  // Flushed at once, so that the server works on it while this thread goes on.
  if (!PQsendQueryParams(conn_, sql.c_str(), n, types, values, lengths, formats, 0) ||
      PQflush(conn_) != 0) {
    const auto msg = trimmed(PQerrorMessage(conn_));
    drop();
    throw store_error(errc::unavailable, fmt::format("send: {} ({})", msg, name_));
  }
  pending_.push_back(std::move(p));
}

PGresult* pg_connection::next_result(steady::time_point deadline, const char* what) {
  while (PQisBusy(conn_)) {
    const bool ready = wait_socket(conn_, POLLIN, deadline);
    if (!ready || !PQconsumeInput(conn_)) {
      const auto why = ready
                           ? trimmed(PQerrorMessage(conn_))
                           : fmt::format("no answer within {} ms", options_.query_timeout.count());
      const auto msg = fmt::format("{}: {} ({})", what, why, name_);
      drop();
      throw store_error(errc::unavailable, msg);
    }
  }
  return PQgetResult(conn_);
}

PGresult* pg_connection::sync(bool keep_last) {
  const auto deadline = steady::now() + options_.query_timeout;
  ++round_trips_;
  if (PQpipelineSync(conn_) != 1) {
    const auto msg = trimmed(PQerrorMessage(conn_));
    drop();
    throw store_error(errc::unavailable, fmt::format("sync: {} ({})", msg, name_));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> keep(nullptr, &PQclear);
  std::optional<store_error> first;
  const auto n = pending_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = pending_[i];
    const bool last = keep_last && i + 1 == n;
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(
        collect(deadline, p.what.c_str(), p.fence || last || p.into, first), &PQclear);
    if (p.fence && r && PQntuples(r.get()) != 1 && !first)
      first.emplace(errc::fenced, fmt::format("lease epoch {} is no longer current: another node "
                                              "is active; the write is refused",
                                              options_.fence_epoch.value_or(0)));
    if (p.into)
      p.into->take(first ? nullptr : r.release());  // after an error the sync throws below
    else if (last)
      keep = std::move(r);
  }
  PGresult* end = next_result(deadline, "sync");
  const bool in_step = end && PQresultStatus(end) == PGRES_PIPELINE_SYNC;
  PQclear(end);
  pending_.clear();
  if (!in_step) {
    drop();
    throw store_error(errc::unavailable,
                      fmt::format("the pipeline to {} is out of step; reconnecting", name_));
  }
  if (first) {
    if (PQstatus(conn_) == CONNECTION_BAD) drop();
    throw *first;
  }
  return keep.release();
}

void pg_connection::leave_pipeline() {
  if (!pending_.empty()) PQclear(sync(false));
  PQexitPipelineMode(conn_);
  piped_ = false;
}

void pg_connection::exec(std::string_view sql) {
  // A plain query (several statements are allowed) cannot go down the pipeline: what is
  // pending is collected first, and the transaction goes on in pipeline mode after it.
  const bool piped = piped_;
  if (piped) leave_pipeline();
  auto* c = live();
  const std::string s(sql);
  if (!PQsendQuery(c, s.c_str())) {
    const auto msg = trimmed(PQerrorMessage(c));
    const bool bad = PQstatus(c) == CONNECTION_BAD;
    if (bad) drop();
    throw store_error(bad ? errc::unavailable : errc::error, fmt::format("send: {}", msg));
  }
  PQclear(finish(s.substr(0, 60).c_str()));
  if (piped) enter_pipeline();
}

statement pg_connection::prepare(std::string_view sql) {
  return statement(std::make_unique<pg_statement>(*this, pg_placeholders(sql)));
}

void pg_connection::begin_transaction() {
  // Sent, not waited for: the first statement that reads, or the commit, collects it.
  live();
  enter_pipeline();
  send("BEGIN", 0, nullptr, nullptr, nullptr, nullptr, {"BEGIN"});
  // The key-share lock on the lease row is held until commit; a takeover (which changes
  // the epoch, a unique key) waits for it. Nothing of the transaction commits unless this
  // found the epoch current: the COMMIT is sent only once its outcome is collected.
  if (options_.fence_epoch)
    send(fmt::format("SELECT 1 FROM ha_lease WHERE name = 'active' AND epoch = {} FOR KEY SHARE",
                     *options_.fence_epoch),
         0, nullptr, nullptr, nullptr, nullptr, {"BEGIN (fenced)", true});
}

void pg_connection::commit_transaction() {
  live();
  if (!piped_) enter_pipeline();
  // A fence not yet collected is, before the COMMIT goes (it finds no row rather than
  // failing, so a COMMIT behind it would run). Statements sent ahead need not be: the
  // first error among them makes the server skip the COMMIT.
  if (std::any_of(pending_.begin(), pending_.end(), [](const pending& p) { return p.fence; }))
    PQclear(sync(false));
  send("COMMIT", 0, nullptr, nullptr, nullptr, nullptr, {"COMMIT"});
  PGresult* r = sync(true);
  const std::string status = r ? PQcmdStatus(r) : "";
  PQclear(r);
  leave_pipeline();
  if (status == "ROLLBACK")
    throw store_error(errc::error, "the transaction had failed and was rolled back");
}

void pg_connection::rollback_transaction() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {  // the server rolled it back
    drop();
    return;
  }
  if (piped_) {
    try {
      leave_pipeline();
    } catch (const store_error&) {
      // The error that made the caller roll back, or a lost connection (dropped).
    }
    if (!conn_) return;
    if (piped_) {
      PQexitPipelineMode(conn_);
      piped_ = false;
    }
  }
  exec("ROLLBACK");
}

}  // namespace hearth::store
