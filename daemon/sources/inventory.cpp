// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/inventory.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>

#include "daemon/log/log.hpp"
#include "daemon/util/sqlite.hpp"
#include "daemon/util/parallel.hpp"
#include "model/time.hpp"

namespace complyd {

namespace embedded {
extern const std::string_view inventory_schema;
}

namespace {

// Rejected values are named only when short: a long value in a wrong column
// might be a pasted secret.
std::string show(std::string_view v) {
  if (v.size() <= 24) return fmt::format("'{}'", v);
  return fmt::format("a {}-character value", v.size());
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

  std::optional<Time> time(int col, const char* name) {
    switch (s_.type(col)) {
      case SQLITE_NULL: return std::nullopt;
      case SQLITE_INTEGER: return Time{Duration{s_.i64(col)}};
      default: {
        auto t = parse_time(s_.text_view(col));
        if (!t) problem(fmt::format("{} {} is not an RFC 3339 time", name, show(s_.text_view(col))));
        return t;
      }
    }
  }
  std::string text(int col) const { return s_.text(col); }

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
  std::int64_t id_ = 0;
  std::string_view text_id_;
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
    c.id = s.text(0);
    r.at_row(std::string_view(c.id));
    auto st = customer_status_from(s.text_view(2));
    if (!st) {
      r.problem(fmt::format("status {} is not active, offboarding or offboarded; row skipped", show(s.text_view(2))));
      continue;
    }
    c.status = *st;
    c.name = s.text(1);
    c.admin_email = s.text(3);
    c.environment = s.text(4);
    c.jurisdiction = s.text(5);
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
    c.customer_id = s.text(1);
    c.kind = s.text(2);
    auto role = credential_role_from(s.text_view(3));
    if (!role) {
      r.problem(fmt::format("role {} is not current, previous, pending or revoked; row skipped",
                            show(s.text_view(3))));
      continue;
    }
    if (c.kind.empty()) {
      r.problem("kind is empty; row skipped");
      continue;
    }
    c.role = *role;
    c.storage_path = s.text(4);
    c.environment = s.text(5);
    c.created_at = r.time(6, "created_at");
    c.rotated_at = r.time(7, "rotated_at");
    c.last_used_at = r.time(8, "last_used_at");
    c.activated_at = r.time(9, "activated_at");
    c.fingerprint = Fingerprint(s.text_view(10));
    if (!s.is_null(11)) {
      const double e = s.f64(11);
      if (e < 0) {
        r.problem("entropy_bytes is negative; ignored");
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
    w.id = s.text(0);
    r.at_row(std::string_view(w.id));
    auto st = subscription_status_from(s.text_view(4));
    if (!st) {
      r.problem(fmt::format("status {} is not active, inactive or deleted; row skipped", show(s.text_view(4))));
      continue;
    }
    w.status = *st;
    w.customer_id = s.text(1);
    w.platform = s.text(2);
    w.notification_url = s.text(3);
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
  auto flush = [&] {
    if (!buf.empty()) range.series.push_back(VerificationSeries{cur, PackedMinutes(buf)});
    buf.clear();
  };
  while (s.step()) {
    const std::string_view cust = s.text_view(0);
    const std::int64_t ok = s.i64(2), fail = s.i64(3), uns = s.i64(4);
    if (s.type(1) != SQLITE_INTEGER || ok < 0 || fail < 0 || uns < 0 || ok > UINT32_MAX || fail > UINT32_MAX ||
        uns > UINT32_MAX) {
      if (range.bad++ < 5) range.problems.push_back(fmt::format("webhook_verifications {}: minute must be an integer "
                                                                "and counters non-negative; row skipped",
                                                                cust));
      continue;
    }
    if (cust != cur) {
      flush();
      cur.assign(cust);
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
    d.customer_id = s.text(1);
    d.name = s.text(2);
    d.data_class = s.text(3);
    d.location = s.text(4);
    d.record_count = s.i64(5);
    if (d.record_count < 0) {
      r.problem("record_count is negative; row skipped");
      continue;
    }
    d.oldest_record_at = r.time(6, "oldest_record_at");
    d.newest_record_at = r.time(7, "newest_record_at");
    d.anonymised = s.i64(8) != 0;
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
  while (s.step()) {
    AuditEvent e;
    r.at_row(s.i64(0));
    auto at = r.time(5, "at");
    if (!at) {
      r.problem("at is missing or invalid; row skipped");
      continue;
    }
    e.at = *at;
    e.customer_id = customer.get(s.text_view(1));
    e.actor = actor.get(s.text_view(2));
    e.action = action.get(s.text_view(3));
    e.resource = s.text(4);
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
    ReaderScope rs{s.text(1), s.text(2)};
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
    a.control = s.text(1);
    a.customer_id = s.text(2);
    a.attested_by = s.text(3);
    a.evidence_ref = s.text(5);
    f.attestations.push_back(std::move(a));
  }
}

void read_api_endpoints(sql::Db& db, Facts& f) {
  sql::Stmt s(db, "SELECT name, url, coalesce(origin,'') FROM api_endpoints ORDER BY name");
  while (s.step()) f.api_endpoints.push_back({s.text(0), s.text(1), s.text(2)});
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
    read_api_endpoints(db, into);
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
