// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/inventory.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>

#include "daemon/log/log.hpp"
#include "daemon/util/sqlite.hpp"
#include "daemon/util/parallel.hpp"
#include "daemon/util/utf8.hpp"
#include "model/time.hpp"

namespace complyd {

namespace embedded {
extern const std::string_view inventory_schema;
}

namespace {

// Rejected values are named only when short: a long value in a wrong column
// might be a pasted secret. Invalid UTF-8 is shown replaced: a problem
// becomes a finding, JSON and a row of the state database.
std::string show(std::string_view v) {
  if (v.size() <= 24) return fmt::format("'{}'", to_valid_utf8(v));
  return fmt::format("a {}-character value", v.size());
}

// A cell's value for a message: BLOBs are never shown.
std::string show_cell(const sql::Stmt& s, int col) {
  switch (s.type(col)) {
    case SQLITE_NULL: return "NULL";
    case SQLITE_BLOB: return fmt::format("a {}-byte BLOB", s.text_view(col).size());
    default: return show(s.text_view(col));
  }
}

class RowReader {
 public:
  RowReader(const sql::Stmt& s, std::string table, std::vector<std::string>& problems)
      : s_(s), table_(std::move(table)), problems_(problems) {}

  // The row key is formatted only when the row has a problem: the
  // inventory holds millions of rows and almost all are fine.
  void at_row(std::int64_t id) {
    id_ = id;
    text_id_ = {};
  }
  void at_row(std::string_view id) { text_id_ = id; }  // must outlive the row

  // Integer unix seconds or RFC 3339 text; anything else (a BLOB, a real, a
  // bad text) is a problem and an unknown time.
  std::optional<Time> time(int col, const char* name) {
    switch (s_.type(col)) {
      case SQLITE_NULL: return std::nullopt;
      case SQLITE_INTEGER: return Time{Duration{s_.i64(col)}};
      case SQLITE_TEXT:
        if (auto t = parse_time(s_.text_view(col))) return t;
        break;
      default: break;
    }
    problem(fmt::format("{} {} is not an RFC 3339 time or integer unix seconds", name, show_cell(s_, col)));
    return std::nullopt;
  }

  // Text as UTF-8, whatever the cell holds: a BLOB or invalid UTF-8 is a
  // problem, and the row keeps the text with each bad sequence replaced by
  // U+FFFD (an http:// URL stays recognisably http://).
  std::string text(int col, const char* name) {
    std::string v = s_.text(col);
    repair(v, col, name);
    return v;
  }
  // The row's text key, read, repaired and set as the row's key; the
  // returned string is the key and must outlive the row.
  std::string key(int col, const char* name) {
    std::string v = s_.text(col);
    const bool bad = s_.type(col) == SQLITE_BLOB || !is_valid_utf8(v);
    make_valid_utf8(v);
    text_key_ = v;
    at_row(std::string_view(text_key_));
    if (bad) repair_problem(col, name);
    return v;
  }
  // `v` read from column `col`, made valid; true if it was not.
  bool repair(std::string& v, int col, const char* name) {
    const bool blob = s_.type(col) == SQLITE_BLOB;
    if (!make_valid_utf8(v) && !blob) return false;
    repair_problem(col, name);
    return true;
  }

  // An INTEGER cell, or a problem (nullopt). SQLite keeps what does not
  // convert ('many', 1.5) in an INTEGER column as it was given.
  std::optional<std::int64_t> integer(int col, const char* name) {
    if (s_.type(col) == SQLITE_INTEGER) return s_.i64(col);
    problem(fmt::format("{} {} is not an integer; row skipped", name, show_cell(s_, col)));
    return std::nullopt;
  }
  // 0 or 1, or a problem (nullopt).
  std::optional<bool> boolean(int col, const char* name) {
    if (s_.type(col) == SQLITE_INTEGER && (s_.i64(col) == 0 || s_.i64(col) == 1)) return s_.i64(col) == 1;
    problem(fmt::format("{} {} is not 0 or 1; row skipped", name, show_cell(s_, col)));
    return std::nullopt;
  }

  void problem(std::string msg) {
    if (text_id_.data() != nullptr) {
      problems_.push_back(fmt::format("{} id {}: {}", table_, text_id_, msg));
    } else {
      problems_.push_back(fmt::format("{} id {}: {}", table_, id_, msg));
    }
  }

 private:
  const sql::Stmt& s_;
  std::string table_;
  void repair_problem(int col, const char* name) {
    problem(s_.type(col) == SQLITE_BLOB
                ? fmt::format("{} is a BLOB, not text; read as text, invalid UTF-8 replaced with U+FFFD", name)
                : fmt::format("{} is not valid UTF-8; invalid bytes replaced with U+FFFD", name));
  }

  std::int64_t id_ = 0;
  std::string_view text_id_;
  std::string text_key_;
  std::vector<std::string>& problems_;
};

// Vectors sized exactly before reading: grown by doubling, 366k credentials
// or 650k audit events leave up to half their capacity unused (and need
// old + new buffers at once while growing).
std::size_t row_count(sql::Db& db, const char* table) {
  sql::Stmt s(db, fmt::format("SELECT count(*) FROM {}", table));
  return s.step() ? static_cast<std::size_t>(s.i64(0)) : 0;
}

void read_customers(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.customers.reserve(f.customers.size() + row_count(db, "customers"));
  sql::Stmt s(db,
              "SELECT id, name, status, coalesce(admin_email,''), coalesce(environment,''), "
              "coalesce(jurisdiction,''), onboarded_at, offboarded_at, last_sync_at FROM customers ORDER BY id");
  RowReader r(s, "customers", problems);
  while (s.step()) {
    Customer c;
    c.id = r.key(0, "id");
    auto st = customer_status_from(s.text_view(2));
    if (!st) {
      r.problem(fmt::format("status {} is not active, offboarding or offboarded; row skipped", show_cell(s, 2)));
      continue;
    }
    c.status = *st;
    c.name = r.text(1, "name");
    c.admin_email = r.text(3, "admin_email");
    c.environment = r.text(4, "environment");
    c.jurisdiction = r.text(5, "jurisdiction");
    c.onboarded_at = r.time(6, "onboarded_at");
    c.offboarded_at = r.time(7, "offboarded_at");
    c.last_sync_at = r.time(8, "last_sync_at");
    f.customers.push_back(std::move(c));
  }
}

void read_credentials(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.credentials.reserve(f.credentials.size() + row_count(db, "credentials"));
  // Named columns only: whatever else a table holds is never read.
  sql::Stmt s(db,
              "SELECT id, customer_id, kind, role, storage_path, coalesce(environment,''), created_at, rotated_at, "
              "last_used_at, activated_at, coalesce(fingerprint,''), entropy_bytes FROM credentials ORDER BY id");
  RowReader r(s, "credentials", problems);
  while (s.step()) {
    Credential c;
    r.at_row(s.i64(0));
    c.customer_id = r.text(1, "customer_id");
    c.kind = r.text(2, "kind");
    auto role = credential_role_from(s.text_view(3));
    if (!role) {
      r.problem(fmt::format("role {} is not current, previous, pending or revoked; row skipped", show_cell(s, 3)));
      continue;
    }
    if (c.kind.empty()) {
      r.problem("kind is empty; row skipped");
      continue;
    }
    c.role = *role;
    c.storage_path = r.text(4, "storage_path");
    c.environment = r.text(5, "environment");
    c.created_at = r.time(6, "created_at");
    c.rotated_at = r.time(7, "rotated_at");
    c.last_used_at = r.time(8, "last_used_at");
    c.activated_at = r.time(9, "activated_at");
    // A finding may show the fingerprint's prefix.
    c.fingerprint = Fingerprint(r.text(10, "fingerprint"));
    if (!s.is_null(11)) {
      const double e = s.f64(11);
      const int type = s.type(11);
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
        r.problem(fmt::format("entropy_bytes {} is not a number; ignored", show_cell(s, 11)));
      } else if (!std::isfinite(e) || e < 0) {
        r.problem("entropy_bytes is negative or not finite; ignored");
      } else {
        c.entropy_bytes = e;
      }
    }
    f.credentials.push_back(std::move(c));
  }
}

void read_webhooks(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.webhooks.reserve(f.webhooks.size() + row_count(db, "webhook_subscriptions"));
  sql::Stmt s(db,
              "SELECT id, customer_id, platform, notification_url, status, created_at FROM webhook_subscriptions "
              "ORDER BY id");
  RowReader r(s, "webhook_subscriptions", problems);
  while (s.step()) {
    WebhookSubscription w;
    w.id = r.key(0, "id");
    auto st = subscription_status_from(s.text_view(4));
    if (!st) {
      r.problem(fmt::format("status {} is not active, inactive or deleted; row skipped", show_cell(s, 4)));
      continue;
    }
    w.status = *st;
    w.customer_id = r.text(1, "customer_id");
    w.platform = r.text(2, "platform");
    w.notification_url = r.text(3, "notification_url");
    w.created_at = r.time(5, "created_at");
    f.webhooks.push_back(std::move(w));
  }
}

// One key range [from, to) of the counters (either end open when empty).
struct CounterRange {
  std::string from, to;
  std::vector<VerificationSeries> series;
  std::size_t bad = 0;
  std::vector<std::string> problems;  // the first few bad rows
};

void read_verifications(sql::Db& db, Time from, CounterRange& range) {
  std::string q =
      "SELECT customer_id, minute, ok, fail, unsigned FROM webhook_verifications WHERE minute >= ?1";
  if (!range.from.empty()) q += " AND customer_id >= ?2";
  if (!range.to.empty()) q += " AND customer_id < ?3";
  q += " ORDER BY customer_id, minute";
  sql::Stmt s(db, q);
  s.bind(1, from.time_since_epoch().count());
  if (!range.from.empty()) s.bind(2, range.from);
  if (!range.to.empty()) s.bind(3, range.to);
  // Rows of one customer gather in a reused buffer and are kept packed
  // (about 4 bytes a minute instead of 24).
  std::vector<VerificationMinute> buf;
  std::string cur;
  // A customer id that is not valid UTF-8 keeps its minutes, under the id
  // with U+FFFD, and is reported once.
  auto flush = [&] {
    if (!buf.empty()) range.series.push_back(VerificationSeries{to_valid_utf8(cur), PackedMinutes(buf)});
    buf.clear();
  };
  const auto is_int = [&](int col) { return s.type(col) == SQLITE_INTEGER; };
  while (s.step()) {
    const std::string_view cust = s.text_view(0);
    const std::int64_t ok = s.i64(2), fail = s.i64(3), uns = s.i64(4);
    if (!is_int(1) || !is_int(2) || !is_int(3) || !is_int(4) || ok < 0 || fail < 0 || uns < 0 || ok > UINT32_MAX ||
        fail > UINT32_MAX || uns > UINT32_MAX) {
      if (range.bad++ < 5) range.problems.push_back(fmt::format("webhook_verifications {}: minute and counters must "
                                                                "be integers, the counters non-negative; row skipped",
                                                                show(cust)));
      continue;
    }
    if (cust != cur) {
      flush();
      cur.assign(cust);
      if (s.type(0) == SQLITE_BLOB || !is_valid_utf8(cust)) {
        if (range.bad++ < 5) range.problems.push_back(fmt::format("webhook_verifications {}: customer_id is not valid "
                                                                  "UTF-8 text; invalid bytes replaced with U+FFFD",
                                                                  show(cust)));
      }
    }
    buf.push_back({s.i64(1) / 60, static_cast<std::uint32_t>(ok), static_cast<std::uint32_t>(fail),
                   static_cast<std::uint32_t>(uns)});
  }
  flush();
}

// Cuts the counters' key space at customer-id quantiles, so that several
// readers share the rows about evenly (counters of customers missing from
// the customers table still fall in some range: the ranges cover every key).
std::vector<CounterRange> counter_ranges(sql::Db& db, unsigned parts) {
  std::vector<CounterRange> out(1);
  if (parts > 1) {
    std::vector<std::string> ids;
    sql::Stmt s(db, "SELECT id FROM customers ORDER BY id");
    while (s.step()) ids.push_back(s.text(0));
    for (unsigned i = 1; i < parts && ids.size() >= parts; ++i) {
      const std::string& cut = ids[ids.size() * i / parts];
      if (cut.empty() || cut == out.back().from) continue;
      out.back().to = cut;
      out.emplace_back().from = cut;
    }
  }
  return out;
}

void read_data_sets(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.data_sets.reserve(f.data_sets.size() + row_count(db, "data_sets"));
  sql::Stmt s(db,
              "SELECT id, coalesce(customer_id,''), name, data_class, coalesce(location,''), record_count, "
              "oldest_record_at, newest_record_at, anonymised FROM data_sets ORDER BY id");
  RowReader r(s, "data_sets", problems);
  while (s.step()) {
    DataSet d;
    r.at_row(s.i64(0));
    d.customer_id = r.text(1, "customer_id");
    d.name = r.text(2, "name");
    d.data_class = r.text(3, "data_class");
    d.location = r.text(4, "location");
    // A count that is not an integer is not 0, and anonymised is 0 or 1:
    // either misread would pass a data set nobody could judge.
    const auto count = r.integer(5, "record_count");
    if (!count) continue;
    d.record_count = *count;
    if (d.record_count < 0) {
      r.problem("record_count is negative; row skipped");
      continue;
    }
    const auto anonymised = r.boolean(8, "anonymised");
    if (!anonymised) continue;
    d.anonymised = *anonymised;
    d.oldest_record_at = r.time(6, "oldest_record_at");
    d.newest_record_at = r.time(7, "newest_record_at");
    f.data_sets.push_back(std::move(d));
  }
}

void read_audit_events(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.audit_events.reserve(f.audit_events.size() + row_count(db, "audit_events"));
  sql::Stmt s(db,
              "SELECT id, coalesce(customer_id,''), actor, action, coalesce(resource,''), at FROM audit_events "
              "ORDER BY id");
  RowReader r(s, "audit_events", problems);
  // Consecutive rows mostly repeat these: compared before they are interned.
  struct Last {
    Symbol symbol;
    Symbol get(std::string_view v) { return v == symbol ? symbol : (symbol = Symbol(v)); }
  } customer, actor, action;
  // Symbols are interned as valid UTF-8 only.
  std::string repaired;
  const auto valid = [&](int col, const char* name) -> std::string_view {
    const std::string_view v = s.text_view(col);
    if (s.type(col) != SQLITE_BLOB && is_valid_utf8(v)) return v;
    repaired.assign(v);
    r.repair(repaired, col, name);
    return repaired;
  };
  while (s.step()) {
    AuditEvent e;
    r.at_row(s.i64(0));
    auto at = r.time(5, "at");
    if (!at) {
      r.problem("at is missing or invalid; row skipped");
      continue;
    }
    e.at = *at;
    e.customer_id = customer.get(valid(1, "customer_id"));
    e.actor = actor.get(valid(2, "actor"));
    e.action = action.get(valid(3, "action"));
    e.resource = r.text(4, "resource");
    f.audit_events.push_back(std::move(e));
  }
}

// Optional (inventories before it have none: then no reader is scoped). A
// row without its customer keeps its reader scoped, to no customer: a broken
// scope makes the reader's reads findings, never lets them pass.
void read_reader_scopes(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  {
    sql::Stmt t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reader_scopes'");
    if (!t.step()) return;
  }
  sql::Stmt s(db, "SELECT rowid, coalesce(reader,''), coalesce(customer_id,'') FROM reader_scopes ORDER BY rowid");
  RowReader r(s, "reader_scopes", problems);
  while (s.step()) {
    r.at_row(s.i64(0));
    ReaderScope rs{r.text(1, "reader"), r.text(2, "customer_id")};
    if (rs.reader.empty()) {
      r.problem("reader is missing; row skipped");
      continue;
    }
    if (rs.customer_id.empty()) r.problem(fmt::format("customer_id is missing; reader {} is scoped to no customer", rs.reader));
    f.reader_scopes.push_back(std::move(rs));
  }
}

void read_attestations(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  f.attestations.reserve(f.attestations.size() + row_count(db, "attestations"));
  sql::Stmt s(db,
              "SELECT id, control, coalesce(customer_id,''), attested_by, attested_at, coalesce(evidence_ref,'') "
              "FROM attestations ORDER BY id");
  RowReader r(s, "attestations", problems);
  while (s.step()) {
    Attestation a;
    r.at_row(s.i64(0));
    auto at = r.time(4, "attested_at");
    if (!at) {
      r.problem("attested_at is missing or invalid; row skipped");
      continue;
    }
    a.attested_at = *at;
    a.control = r.text(1, "control");
    a.customer_id = r.text(2, "customer_id");
    a.attested_by = r.text(3, "attested_by");
    a.evidence_ref = r.text(5, "evidence_ref");
    f.attestations.push_back(std::move(a));
  }
}

void read_api_endpoints(sql::Db& db, Facts& f, std::vector<std::string>& problems) {
  sql::Stmt s(db, "SELECT name, url, coalesce(origin,'') FROM api_endpoints ORDER BY name");
  RowReader r(s, "api_endpoints", problems);
  while (s.step()) {
    ApiEndpoint e;
    e.name = r.key(0, "name");
    e.url = r.text(1, "url");
    e.origin = r.text(2, "origin");
    f.api_endpoints.push_back(std::move(e));
  }
}

}  // namespace

InventorySource::InventorySource(InventoryConfig cfg, unsigned readers, std::optional<Time> counters_from)
    : cfg_(std::move(cfg)), readers_(std::max(1u, readers)), counters_from_(counters_from) {}

std::vector<FactKind> InventorySource::provides() const {
  // Listed explicitly: kinds of other sources (file_scans) are not the inventory's.
  return {FactKind::customers,    FactKind::credentials,  FactKind::webhooks,    FactKind::verifications,
          FactKind::data_sets,    FactKind::audit_events, FactKind::attestations, FactKind::api_endpoints};
}

void InventorySource::collect(Facts& into, Time now, std::vector<std::string>& problems) {
  if (!std::filesystem::exists(cfg_.path)) {
    throw SourceError(fmt::format("inventory database {} does not exist", cfg_.path.string()));
  }
  const Time counters_from = std::min(now - kVerificationLookback, counters_from_.value_or(now));
  const int busy_ms = static_cast<int>(cfg_.busy_timeout.count() * 1000);
  const auto t0 = std::chrono::steady_clock::now();
  // The verification counters (millions of rows) are read in key ranges, by
  // whichever thread is free, each range over its own connection, while one
  // thread reads everything else. All read transactions are started here,
  // one after the other, while the first one's is held: in rollback-journal
  // mode no write can commit in between, so every connection reads the same
  // state; in WAL mode the snapshots are taken milliseconds apart (no check
  // relates the counters to the other tables).
  using Conn = std::unique_ptr<sql::Db>;
  const auto reading = [&] {
    auto db = std::make_unique<sql::Db>(cfg_.path, sql::OpenMode::read_only, busy_ms);
    db->exec("BEGIN");
    sql::Stmt first(*db, "SELECT count(*) FROM sqlite_master");  // the read transaction starts at the first read
    first.step();
    return db;
  };
  Conn main = reading();
  std::vector<CounterRange> ranges = counter_ranges(*main, readers_ > 1 ? readers_ * 4 : 1);
  // With several readers the ordinary tables are read in two halves, each
  // over its own connection, so that neither is the tail of the read.
  Conn second = readers_ > 1 ? reading() : nullptr;
  std::vector<Conn> range_dbs;
  for (std::size_t i = 0; i < ranges.size(); ++i) range_dbs.push_back(reading());

  // Each connection is closed by its task once read (its page cache freed).
  // The two halves fill different kinds of facts and their own problem lists.
  std::vector<std::string> second_problems;
  const auto first_half = [&](sql::Db& db) {
    read_customers(db, into, problems);
    read_credentials(db, into, problems);
    read_webhooks(db, into, problems);
  };
  const auto second_half = [&](sql::Db& db, std::vector<std::string>& out) {
    read_data_sets(db, into, out);
    read_audit_events(db, into, out);
    read_reader_scopes(db, into, out);
    read_attestations(db, into, out);
    read_api_endpoints(db, into, out);
  };
  std::vector<std::function<void()>> tasks;
  if (second) {
    tasks.emplace_back([&] {
      first_half(*main);
      main.reset();
    });
    tasks.emplace_back([&] {
      second_half(*second, second_problems);
      second.reset();
    });
  } else {
    tasks.emplace_back([&] {
      first_half(*main);
      second_half(*main, problems);
      main.reset();
    });
  }
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    tasks.emplace_back([&, i] {
      read_verifications(*range_dbs[i], counters_from, ranges[i]);
      range_dbs[i].reset();
    });
  }
  run_parallel(tasks, readers_ + 1);  // rethrows the first failure, once every reader has stopped
  std::move(second_problems.begin(), second_problems.end(), std::back_inserter(problems));
  CLOG(debug) << fmt::format("inventory: read in {} ms ({} counter key ranges, {} threads)",
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count(),
                             ranges.size(), readers_ + 1);

  std::size_t n = 0, bad = 0;
  for (const auto& r : ranges) n += r.series.size();
  into.verifications.reserve(into.verifications.size() + n);
  for (auto& r : ranges) {
    std::move(r.series.begin(), r.series.end(), std::back_inserter(into.verifications));
    for (auto& p : r.problems) {
      if (bad++ < 5) problems.push_back(std::move(p));
    }
    bad += r.bad - r.problems.size();
  }
  if (bad > 5) problems.push_back(fmt::format("webhook_verifications: {} more rows skipped", bad - 5));
}

void create_inventory_schema(const std::filesystem::path& path) {
  sql::Db db(path, sql::OpenMode::read_write_create);
  db.exec(embedded::inventory_schema);
}

}  // namespace complyd
