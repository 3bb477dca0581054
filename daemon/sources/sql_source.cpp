// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/sql_source.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>

#include "daemon/config/section.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/util/bounded_file.hpp"
#include "daemon/util/utf8.hpp"
#include "model/time.hpp"

namespace complyd {

namespace fs = std::filesystem;

const SqlColumns& sql_data_sets_columns() {
  static const SqlColumns c{{"customer_id", "name", "data_class", "record_count", "oldest_record_at"},
                            {"location", "newest_record_at", "anonymised"}};
  return c;
}
const SqlColumns& sql_sync_activity_columns() {
  static const SqlColumns c{{"customer_id", "last_sync_at"}, {}};
  return c;
}
const SqlColumns& sql_audit_events_columns() {
  static const SqlColumns c{{"customer_id", "actor", "action", "at"}, {"resource"}};
  return c;
}

std::string check_sql_columns(std::string_view query_key, const SqlColumns& want, const std::vector<std::string>& got) {
  auto listed = [](const auto& v) { return fmt::format("{}", fmt::join(v, ", ")); };
  std::vector<std::string> missing, unexpected, seen;
  for (auto r : want.required) {
    if (std::find(got.begin(), got.end(), r) == got.end()) missing.emplace_back(r);
  }
  for (const auto& g : got) {
    const bool known = std::find(want.required.begin(), want.required.end(), g) != want.required.end() ||
                       std::find(want.optional.begin(), want.optional.end(), g) != want.optional.end();
    if (!known || std::find(seen.begin(), seen.end(), g) != seen.end()) unexpected.push_back(g);
    seen.push_back(g);
  }
  if (missing.empty() && unexpected.empty()) return {};
  std::string msg = fmt::format("{} returns columns ({}) but must return {}", query_key, listed(got),
                                listed(want.required));
  if (!want.optional.empty()) msg += fmt::format(" (optional: {})", listed(want.optional));
  if (!missing.empty()) msg += fmt::format("; missing: {}", listed(missing));
  if (!unexpected.empty()) msg += fmt::format("; unexpected or repeated: {}", listed(unexpected));
  return msg + " (name them with AS)";
}

std::optional<Time> parse_sql_time(std::string_view text) {
  std::string t(text);
  // Fractional seconds after "YYYY-MM-DD HH:MM:SS" are dropped.
  if (t.size() > 20 && t[19] == '.') {
    std::size_t end = 20;
    while (end < t.size() && t[end] >= '0' && t[end] <= '9') ++end;
    t.erase(19, end - 19);
  }
  // PostgreSQL prints whole-hour offsets as "+00": RFC 3339 wants "+00:00".
  if (t.size() == 22 && (t[19] == '+' || t[19] == '-')) t += ":00";
  if (auto r = parse_time(t)) return r;
  return std::nullopt;
}

bool pg_hosts_are_local(std::string_view hosts) {
  if (hosts.empty()) return true;
  std::size_t pos = 0;
  while (pos <= hosts.size()) {
    const std::size_t comma = std::min(hosts.find(',', pos), hosts.size());
    const std::string_view h = hosts.substr(pos, comma - pos);
    const bool local = h.empty() || h.starts_with('/') || h.starts_with('@') || h == "localhost" ||
                       h.starts_with("127.") || h == "::1";
    if (!local) return false;
    pos = comma + 1;
  }
  return true;
}

namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// Rejected values are named only when short: a long one might be a secret.
// Invalid UTF-8 is shown replaced (a problem becomes a finding and JSON).
std::string show(std::string_view v) {
  if (v.size() <= 24) return fmt::format("'{}'", to_valid_utf8(v));
  return fmt::format("a {}-character value", v.size());
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  return out;
}

// --- One result cell, whatever the driver ------------------------------------

struct Cell {
  enum Kind { null, integer, real, text } kind = null;
  std::int64_t i = 0;
  double r = 0;
  std::string_view s;  // the text form (also of numbers)
  bool blob = false;   // text from SQLite bytes: never a time, a number or a boolean
};

// A cell for a message: BLOBs are never shown.
std::string show(const Cell& c) {
  if (c.kind == Cell::null) return "NULL";
  if (c.blob) return fmt::format("a {}-byte BLOB", c.s.size());
  return show(c.s);
}

class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual const std::vector<std::string>& columns() const = 0;
  virtual bool next() = 0;
  virtual Cell cell(int col) const = 0;
};

// --- SQLite ------------------------------------------------------------------

std::string sqlite_uri(const fs::path& p) {
  std::string out = "file:";
  for (unsigned char ch : p.string()) {
    if (ch == '?' || ch == '#' || ch == '%' || ch < 0x20) {
      out += fmt::format("%{:02X}", ch);
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  return out + "?mode=ro";
}

class SqliteConn {
 public:
  SqliteConn(const fs::path& path, Duration timeout) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw SourceError(fmt::format("database {} does not exist", path.string()));
    // SQLite would block on a FIFO and read a device without end.
    if (auto why = not_a_regular_file(path); !why.empty()) throw SourceError("database " + why);
    const int rc = sqlite3_open_v2(sqlite_uri(path).c_str(), &db_,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw SourceError(fmt::format("cannot open {} read-only: {}", path.string(), msg));
    }
    sqlite3_busy_timeout(db_, static_cast<int>(std::min<std::int64_t>(timeout.count(), 3600) * 1000));
    sqlite3_exec(db_, "PRAGMA query_only = ON", nullptr, nullptr, nullptr);
    sqlite3_progress_handler(db_, 10000, &SqliteConn::progress, this);
  }
  ~SqliteConn() { sqlite3_close_v2(db_); }
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  sqlite3* handle() const { return db_; }
  void set_deadline(std::chrono::steady_clock::time_point d) { deadline_ = d; }

 private:
  static int progress(void* self) {
    return std::chrono::steady_clock::now() > static_cast<SqliteConn*>(self)->deadline_ ? 1 : 0;
  }
  sqlite3* db_ = nullptr;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(SqliteConn& conn, std::string_view key, const std::string& sql, Duration timeout)
      : conn_(conn), key_(key), timeout_(timeout) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(conn.handle(), sql.c_str(), static_cast<int>(sql.size()), &s_, &tail);
    auto fail = [&](const std::string& msg) {
      sqlite3_finalize(s_);  // the destructor does not run for a throwing constructor
      throw SourceError(fmt::format("{}: {}", key_, msg));
    };
    if (rc != SQLITE_OK || s_ == nullptr) fail(rc == SQLITE_OK ? "the query is empty" : sqlite3_errmsg(conn.handle()));
    if (tail != nullptr && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      fail("one statement only (the text after the first ';' is refused)");
    }
    if (!sqlite3_stmt_readonly(s_)) fail("the statement would write to the database; the sql source only reads");
    for (int i = 0; i < sqlite3_column_count(s_); ++i) columns_.emplace_back(sqlite3_column_name(s_, i));
    conn_.set_deadline(std::chrono::steady_clock::now() + timeout_);
  }
  ~SqliteCursor() override {
    sqlite3_finalize(s_);
    conn_.set_deadline(std::chrono::steady_clock::time_point::max());
  }

  const std::vector<std::string>& columns() const override { return columns_; }

  bool next() override {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_INTERRUPT) {
      throw SourceError(fmt::format("{}: the query timed out after {} (the source's timeout)", key_,
                                    format_duration(timeout_)));
    }
    throw SourceError(fmt::format("{}: {}", key_, sqlite3_errmsg(conn_.handle())));
  }

  Cell cell(int col) const override {
    Cell c;
    switch (sqlite3_column_type(s_, col)) {
      case SQLITE_NULL: return c;
      case SQLITE_INTEGER: c.kind = Cell::integer; c.i = sqlite3_column_int64(s_, col); break;
      case SQLITE_FLOAT: c.kind = Cell::real; c.r = sqlite3_column_double(s_, col); break;
      case SQLITE_BLOB: c.kind = Cell::text; c.blob = true; break;
      default: c.kind = Cell::text; break;
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    c.s = p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string_view();
    return c;
  }

 private:
  SqliteConn& conn_;
  std::string key_;
  Duration timeout_;
  sqlite3_stmt* s_ = nullptr;
  std::vector<std::string> columns_;
};

// --- PostgreSQL ----------------------------------------------------------------

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

std::string sqlstate(const PGresult* r) {
  const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

class PgConn {
 public:
  PgConn(const SqlSettings& s, const SourceCommon& common, std::string_view source_name) {
    // The operator's conninfo, then what complyd insists on.
    std::vector<std::pair<std::string, std::string>> kv;
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(s.conninfo.c_str(), &err);
    if (opts == nullptr) {
      const std::string msg = err ? one_line(err) : "out of memory";
      PQfreemem(err);
      throw SourceError("conninfo: " + redact(msg));
    }
    std::string user_options;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr || *o->val == '\0') continue;
      const std::string_view k(o->keyword);
      if (k == "password") continue;  // refused by the config loader; never from here
      if (k == "options") {
        user_options = o->val;
        continue;
      }
      if (k == "sslmode" || k == "connect_timeout" || k == "sslrootcert") continue;
      kv.emplace_back(o->keyword, o->val);
    }
    PQconninfoFree(opts);
    std::string password;
    if (!s.password_file.empty()) password = read_secret_file(s.password_file, "password_file");
    const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(common.timeout).count();
    kv.emplace_back("options", fmt::format("{}{}-c default_transaction_read_only=on -c statement_timeout={}",
                                           user_options, user_options.empty() ? "" : " ", timeout_ms));
    kv.emplace_back("sslmode", s.sslmode);
    if (!common.ca_file.empty()) {
      kv.emplace_back("sslrootcert", common.ca_file.string());
    } else if (s.sslmode == "verify-full" || s.sslmode == "verify-ca") {
      kv.emplace_back("sslrootcert", kSystemCaBundle);
    }
    // libpq's minimum is 2 seconds.
    kv.emplace_back("connect_timeout", std::to_string(std::max<std::int64_t>(2, common.connect_timeout.count())));
    if (std::none_of(kv.begin(), kv.end(), [](const auto& p) { return p.first == "application_name"; })) {
      kv.emplace_back("application_name", fmt::format("complyd/{}", source_name));
    }
    if (!password.empty()) kv.emplace_back("password", password);
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : kv) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    // Scrub our copy; libpq keeps its own for the connection's life.
    std::fill(password.begin(), password.end(), '\0');
    if (conn_ == nullptr) throw SourceError("cannot connect to PostgreSQL: out of memory");
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // no stray stderr
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string msg = one_line(PQerrorMessage(conn_));
      const bool auth = msg.find("authentication failed") != std::string::npos ||
                        msg.find("no password supplied") != std::string::npos ||
                        msg.find("pg_hba.conf") != std::string::npos;
      PQfinish(conn_);  // the destructor does not run for a constructor that throws (LeakSanitizer)
      conn_ = nullptr;
      throw SourceError(fmt::format("cannot connect to PostgreSQL: {}{}", redact(msg),
                                    auth ? " (authentication refused: check the conninfo user, password_file or "
                                           ".pgpass, and pg_hba.conf)"
                                         : ""));
    }
  }
  ~PgConn() { PQfinish(conn_); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  PgResult exec(std::string_view key, const std::string& sql, Duration timeout) {
    // Extended protocol: exactly one statement.
    PgResult r(PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    const std::string state = sqlstate(r.get());
    if (state == "57014") {
      throw SourceError(fmt::format("{}: the query timed out after {} (statement_timeout, the source's timeout)", key,
                                    format_duration(timeout)));
    }
    if (state == "25006") {
      throw SourceError(fmt::format("{}: refused by the server: the query tries to write, and the sql source's "
                                    "session is read-only",
                                    key));
    }
    const std::string msg = one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_));
    throw SourceError(fmt::format("{}: {}{}", key, redact(msg), state.empty() ? "" : " (SQLSTATE " + state + ")"));
  }

 private:
  PGconn* conn_ = nullptr;
};

// PostgreSQL type OIDs (pg_type.h) the reader distinguishes.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

class PgCursor final : public Cursor {
 public:
  explicit PgCursor(PgResult r) : r_(std::move(r)), rows_(PQntuples(r_.get())) {
    for (int i = 0; i < PQnfields(r_.get()); ++i) {
      columns_.emplace_back(PQfname(r_.get(), i));
      types_.push_back(PQftype(r_.get(), i));
    }
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  bool next() override { return ++row_ < rows_; }
  Cell cell(int col) const override {
    Cell c;
    if (PQgetisnull(r_.get(), row_, col)) return c;
    c.s = std::string_view(PQgetvalue(r_.get(), row_, col), static_cast<std::size_t>(PQgetlength(r_.get(), row_, col)));
    const Oid t = types_[static_cast<std::size_t>(col)];
    c.kind = Cell::text;
    if (t == kInt8 || t == kInt2 || t == kInt4) {
      c.kind = Cell::integer;
      c.i = std::strtoll(std::string(c.s).c_str(), nullptr, 10);
    } else if (t == kFloat4 || t == kFloat8 || t == kNumeric) {
      char* end = nullptr;
      const std::string s(c.s);
      c.r = std::strtod(s.c_str(), &end);
      if (end != nullptr && *end == '\0') c.kind = Cell::real;
    } else if (t == kBool) {
      c.kind = Cell::integer;
      c.i = c.s == "t" ? 1 : 0;
    }
    return c;
  }

 private:
  PgResult r_;
  int rows_;
  int row_ = -1;
  std::vector<std::string> columns_;
  std::vector<Oid> types_;
};

// --- Rows to facts -------------------------------------------------------------

class Rows {
 public:
  Rows(Cursor& cur, std::string_view key, const SqlColumns& want, std::vector<std::string>& problems)
      : cur_(cur), key_(key), problems_(problems) {
    if (auto msg = check_sql_columns(key, want, cur.columns()); !msg.empty()) throw SourceError(msg);
    for (std::size_t i = 0; i < cur.columns().size(); ++i) index_[cur.columns()[i]] = static_cast<int>(i);
  }

  bool next() {
    ++row_;
    return cur_.next();
  }
  bool has(std::string_view col) const { return index_.contains(std::string(col)); }
  Cell cell(std::string_view col) const {
    auto it = index_.find(std::string(col));
    return it == index_.end() ? Cell{} : cur_.cell(it->second);
  }
  void problem(std::string msg) { problems_.push_back(fmt::format("{} row {}: {}", key_, row_, msg)); }

  // Text; NULL is "" unless required (then a problem and nullopt). A BLOB
  // or invalid UTF-8 is a problem, and the row keeps the text with each bad
  // sequence replaced by U+FFFD.
  std::optional<std::string> text(std::string_view col, bool required) {
    const Cell c = cell(col);
    if (c.kind == Cell::null) {
      if (required) {
        problem(fmt::format("{} is NULL; row skipped", col));
        return std::nullopt;
      }
      return std::string();
    }
    if (required && c.s.empty()) {
      problem(fmt::format("{} is empty; row skipped", col));
      return std::nullopt;
    }
    std::string v(c.s);
    if (make_valid_utf8(v) || c.blob) {
      problem(c.blob ? fmt::format("{} is a BLOB, not text; read as text, invalid UTF-8 replaced with U+FFFD", col)
                     : fmt::format("{} is not valid UTF-8; invalid bytes replaced with U+FFFD", col));
    }
    return v;
  }

  // Unix seconds (integer or real) or time text; NULL is nullopt without a
  // problem, a bad value a problem (and nullopt).
  std::optional<Time> time(std::string_view col, bool* bad = nullptr) {
    const Cell c = cell(col);
    switch (c.kind) {
      case Cell::null: return std::nullopt;
      case Cell::integer: return from_unix(c.i);
      case Cell::real:
        if (std::isfinite(c.r)) return from_unix(static_cast<std::int64_t>(std::floor(c.r)));
        break;
      case Cell::text:
        if (c.blob) break;
        if (auto t = parse_sql_time(c.s)) return t;
        break;
    }
    problem(fmt::format("{} {} is not a time (RFC 3339 text or unix seconds)", col, show(c)));
    if (bad != nullptr) *bad = true;
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(std::string_view col) {
    const Cell c = cell(col);
    if (c.kind == Cell::integer) return c.i;
    if (c.kind == Cell::real && std::isfinite(c.r) && c.r == std::floor(c.r)) return static_cast<std::int64_t>(c.r);
    if (c.kind == Cell::text && !c.blob && !c.s.empty() &&
        c.s.find_first_not_of("0123456789") == std::string_view::npos && c.s.size() < 19) {
      return std::stoll(std::string(c.s));
    }
    problem(fmt::format("{} {} is not an integer; row skipped", col, show(c)));
    return std::nullopt;
  }

  // 0 or 1 (or true/false as text); 2 is not "anonymised", it is a bad row.
  std::optional<bool> boolean(std::string_view col) {
    const Cell c = cell(col);
    if (c.kind == Cell::null) return false;
    if (c.kind == Cell::integer && (c.i == 0 || c.i == 1)) return c.i == 1;
    if (c.kind == Cell::real && (c.r == 0 || c.r == 1)) return c.r == 1;
    if (c.kind == Cell::text && !c.blob) {
      for (std::string_view t : {"t", "true", "yes", "1"}) {
        if (c.s == t) return true;
      }
      for (std::string_view f : {"f", "false", "no", "0", ""}) {
        if (c.s == f) return false;
      }
    }
    problem(fmt::format("{} {} is not a boolean (0 or 1); row skipped", col, show(c)));
    return std::nullopt;
  }

 private:
  Cursor& cur_;
  std::string key_;
  std::vector<std::string>& problems_;
  std::map<std::string, int, std::less<>> index_;
  std::int64_t row_ = 0;
};

void read_data_sets(Cursor& cur, Facts& into, std::vector<std::string>& problems) {
  Rows r(cur, "data_sets_query", sql_data_sets_columns(), problems);
  while (r.next()) {
    DataSet d;
    auto cust = r.text("customer_id", false);
    auto name = r.text("name", true);
    if (!name) continue;
    auto cls = r.text("data_class", true);
    if (!cls) continue;
    auto count = r.integer("record_count");
    if (!count) continue;
    if (*count < 0) {
      r.problem("record_count is negative; row skipped");
      continue;
    }
    auto anon = r.boolean("anonymised");
    if (!anon) continue;
    d.customer_id = *cust;
    d.name = std::move(*name);
    d.data_class = std::move(*cls);
    d.location = r.text("location", false).value_or("");
    d.record_count = *count;
    d.anonymised = *anon;
    // A bad time is an unknown one: retention-window reports "unknown age".
    d.oldest_record_at = r.time("oldest_record_at");
    d.newest_record_at = r.time("newest_record_at");
    into.data_sets.push_back(std::move(d));
  }
}

void read_sync_activity(Cursor& cur, Facts& into, std::vector<std::string>& problems) {
  Rows r(cur, "sync_activity_query", sql_sync_activity_columns(), problems);
  while (r.next()) {
    auto cust = r.text("customer_id", true);
    if (!cust) continue;
    bool bad = false;
    auto at = r.time("last_sync_at", &bad);
    if (bad) continue;
    into.customer_activity.push_back({std::move(*cust), at});
  }
}

void read_audit_events(Cursor& cur, Facts& into, std::vector<std::string>& problems) {
  Rows r(cur, "audit_events_query", sql_audit_events_columns(), problems);
  while (r.next()) {
    AuditEvent e;
    auto actor = r.text("actor", true);
    if (!actor) continue;
    auto action = r.text("action", true);
    if (!action) continue;
    bool bad = false;
    auto at = r.time("at", &bad);
    if (!at) {
      if (!bad) r.problem("at is NULL; row skipped");
      continue;
    }
    e.customer_id = r.text("customer_id", false).value_or("");
    e.actor = std::move(*actor);
    e.action = std::move(*action);
    e.resource = r.text("resource", false).value_or("");
    e.at = *at;
    into.audit_events.push_back(std::move(e));
  }
}

struct Query {
  std::string_view key;
  const std::string* sql;
  void (*read)(Cursor&, Facts&, std::vector<std::string>&);
};

class SqlSource final : public ConfiguredSource {
 public:
  explicit SqlSource(const SourceConfig& c) : ConfiguredSource(c), s_(c.as<SqlSettings>()) {}

  std::vector<FactKind> provides() const override {
    std::vector<FactKind> out;
    if (!s_.data_sets_query.empty()) out.push_back(FactKind::data_sets);
    if (!s_.sync_activity_query.empty()) out.push_back(FactKind::customer_activity);
    if (!s_.audit_events_query.empty()) out.push_back(FactKind::audit_events);
    return out;
  }

  bool checks_text() const override { return true; }

  void collect(Facts& into, Time, std::vector<std::string>& problems) override {
    const auto deadline = std::chrono::steady_clock::now() + common().deadline;
    const std::vector<Query> queries{{"data_sets_query", &s_.data_sets_query, read_data_sets},
                                     {"sync_activity_query", &s_.sync_activity_query, read_sync_activity},
                                     {"audit_events_query", &s_.audit_events_query, read_audit_events}};
    auto check_deadline = [&] {
      if (std::chrono::steady_clock::now() > deadline) {
        throw SourceError(fmt::format("the source's deadline ({}) passed", format_duration(common().deadline)));
      }
    };
    if (s_.driver == "sqlite") {
      SqliteConn conn(s_.path, common().timeout);
      // One read transaction: every query sees the same snapshot.
      sqlite3_exec(conn.handle(), "BEGIN", nullptr, nullptr, nullptr);
      for (const auto& q : queries) {
        if (q.sql->empty()) continue;
        check_deadline();
        SqliteCursor cur(conn, q.key, *q.sql, common().timeout);
        q.read(cur, into, problems);
      }
      sqlite3_exec(conn.handle(), "COMMIT", nullptr, nullptr, nullptr);
      return;
    }
    PgConn conn(s_, common(), name());
    conn.exec("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", common().timeout);
    for (const auto& q : queries) {
      if (q.sql->empty()) continue;
      check_deadline();
      PgCursor cur(conn.exec(q.key, *q.sql, common().timeout));
      q.read(cur, into, problems);
    }
    conn.exec("COMMIT", "COMMIT", common().timeout);
  }

 private:
  SqlSettings s_;
};

std::shared_ptr<const SourceSettings> parse_sql(cfg::Section& s, const fs::path& base) {
  auto out = std::make_shared<SqlSettings>();
  auto& d = s.diagnostics();
  auto driver = s.string("driver", {"sqlite", "postgresql"});
  if (!driver && !s.raw().contains("driver")) {
    d.add(s.where(), fmt::format("{}: 'driver' is required (\"sqlite\" or \"postgresql\")", s.name()));
  }
  if (driver) out->driver = *driver;
  if (auto p = s.path_value("path", base)) out->path = *p;
  if (auto v = s.string("conninfo")) out->conninfo = *v;
  if (auto p = s.secret_file_value("password_file", base)) {
    out->password_file = *p;
    cfg::read_secret_file_for_redaction(s, "password_file", *p);
  }
  for (auto [key, field] : {std::pair{"data_sets_query", &out->data_sets_query},
                            std::pair{"sync_activity_query", &out->sync_activity_query},
                            std::pair{"audit_events_query", &out->audit_events_query}}) {
    if (auto v = s.string(key)) {
      if (v->find_first_not_of(" \t\r\n") == std::string::npos) {
        d.add(s.raw().get(key)->source(), fmt::format("{}: the query is empty", s.path(key)));
      }
      *field = *v;
    }
  }
  if (out->data_sets_query.empty() && out->sync_activity_query.empty() && out->audit_events_query.empty()) {
    d.add(s.where(), fmt::format("{}: set at least one of data_sets_query, sync_activity_query, "
                                 "audit_events_query",
                                 s.name()));
  }
  if (out->driver == "sqlite") {
    if (out->path.empty() && !s.raw().contains("path")) {
      d.add(s.where(), fmt::format("{}: driver \"sqlite\" needs 'path' (the database file)", s.name()));
    }
    for (const char* k : {"conninfo", "password_file"}) {
      if (s.raw().contains(k)) {
        d.add(s.raw().get(k)->source(), fmt::format("{}: only for driver \"postgresql\"", s.path(k)));
      }
    }
  } else if (out->driver == "postgresql") {
    if (s.raw().contains("path")) {
      d.add(s.raw().get("path")->source(), fmt::format("{}: only for driver \"sqlite\"", s.path("path")));
    }
    if (!s.raw().contains("conninfo")) {
      d.add(s.where(), fmt::format("{}: driver \"postgresql\" needs 'conninfo' (e.g. \"host=db.internal "
                                   "dbname=sync user=complyd\")",
                                   s.name()));
      return out;
    }
    const auto& where = s.raw().get("conninfo")->source();
    // Never echo the conninfo: it may hold a password someone pasted.
    const std::string inline_password =
        fmt::format("{}: passwords are not accepted inline; put it in a file readable only by complyd and set "
                    "'password_file' (or use ~/.pgpass or peer authentication)",
                    s.path("conninfo"));
    if (out->conninfo.find("password") != std::string::npos) {
      d.add(where, inline_password);
      return out;
    }
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(out->conninfo.c_str(), &err);
    if (opts == nullptr) {
      d.add(where, fmt::format("{}: {}", s.path("conninfo"), err ? redact(one_line(err)) : "cannot be parsed"));
      PQfreemem(err);
      return out;
    }
    std::string host, hostaddr, sslmode;
    bool has_password = false;  // a URI's user:password@
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      const std::string_view k(o->keyword);
      if (k == "host") host = o->val;
      if (k == "hostaddr") hostaddr = o->val;
      if (k == "sslmode") sslmode = o->val;
      if (k == "password" && *o->val != '\0') has_password = true;
    }
    PQconninfoFree(opts);
    if (has_password) {
      d.add(where, inline_password);
      return out;
    }
    const bool local = pg_hosts_are_local(host) && (hostaddr.empty() || pg_hosts_are_local(hostaddr));
    if (sslmode.empty()) {
      out->sslmode = local ? "prefer" : "verify-full";
    } else if (!local && sslmode != "verify-full" && sslmode != "verify-ca") {
      d.add(where, fmt::format("{}: sslmode={} does not verify the server; a non-loopback host needs "
                               "verify-full (the default) or verify-ca, with ca_file for a private CA",
                               s.path("conninfo"), sslmode));
    } else {
      out->sslmode = sslmode;
    }
  }
  return out;
}

std::unique_ptr<Source> make_sql(const SourceConfig& c, const SourceContext&) {
  return std::make_unique<SqlSource>(c);
}

}  // namespace

extern const SourceType kSqlSourceType{
    "sql",
    "the integration's own database (SQLite or PostgreSQL): data sets, sync activity, audit events by query",
    parse_sql,
    make_sql,
};

}  // namespace complyd
