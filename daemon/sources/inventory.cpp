#include "daemon/sources/inventory.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <future>

#include "daemon/store/sqlite.hpp"
#include "daemon/util/time.hpp"

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
    c.fingerprint = s.text(10);
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

void read_verifications(sql::Db& db, Facts& f, Time now, std::vector<std::string>& problems) {
  sql::Stmt s(db,
              "SELECT customer_id, minute, ok, fail, unsigned FROM webhook_verifications WHERE minute >= ? "
              "ORDER BY customer_id, minute");
  s.bind(1, (now - InventorySource::kVerificationLookback).time_since_epoch().count());
  // Rows of one customer gather in a reused buffer and are copied out at the
  // exact size: 14M rows in geometrically grown vectors cost 30% more memory.
  std::vector<VerificationMinute> buf;
  std::string cur;
  auto flush = [&] {
    if (!buf.empty()) f.verifications.push_back(VerificationSeries{cur, {buf.begin(), buf.end()}});
    buf.clear();
  };
  std::size_t bad = 0;
  while (s.step()) {
    const std::string_view cust = s.text_view(0);
    const std::int64_t ok = s.i64(2), fail = s.i64(3), uns = s.i64(4);
    if (s.type(1) != SQLITE_INTEGER || ok < 0 || fail < 0 || uns < 0 || ok > UINT32_MAX || fail > UINT32_MAX ||
        uns > UINT32_MAX) {
      if (bad++ < 5) problems.push_back(fmt::format("webhook_verifications {}: minute must be an integer and "
                                                    "counters non-negative; row skipped",
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
  if (bad > 5) problems.push_back(fmt::format("webhook_verifications: {} more rows skipped", bad - 5));
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
  while (s.step()) {
    AuditEvent e;
    r.at_row(s.i64(0));
    auto at = r.time(5, "at");
    if (!at) {
      r.problem("at is missing or invalid; row skipped");
      continue;
    }
    e.at = *at;
    e.customer_id = s.text(1);
    e.actor = s.text(2);
    e.action = s.text(3);
    e.resource = s.text(4);
    f.audit_events.push_back(std::move(e));
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

InventorySource::InventorySource(InventoryConfig cfg) : cfg_(std::move(cfg)) {}

std::vector<FactKind> InventorySource::provides() const {
  // Listed explicitly: kinds of other sources (file_scans) are not the inventory's.
  return {FactKind::customers,    FactKind::credentials,  FactKind::webhooks,    FactKind::verifications,
          FactKind::data_sets,    FactKind::audit_events, FactKind::attestations, FactKind::api_endpoints};
}

void InventorySource::collect(Facts& into, Time now, std::vector<std::string>& problems) {
  if (!std::filesystem::exists(cfg_.path)) {
    throw SourceError(fmt::format("inventory database {} does not exist", cfg_.path.string()));
  }
  const int busy_ms = static_cast<int>(cfg_.busy_timeout.count() * 1000);
  // The verification counters (millions of rows) are read on a second core,
  // over their own connection, while this thread reads everything else. Each
  // connection reads in one transaction; the two snapshots may differ by
  // writes committed in between, which no check depends on.
  std::vector<std::string> counter_problems;
  std::vector<VerificationSeries> series;
  auto counters = std::async(std::launch::async, [&] {
    sql::Db vdb(cfg_.path, sql::OpenMode::read_only, busy_ms);
    vdb.exec("BEGIN");
    Facts part;
    read_verifications(vdb, part, now, counter_problems);
    vdb.exec("COMMIT");
    series = std::move(part.verifications);
  });
  try {
    sql::Db db(cfg_.path, sql::OpenMode::read_only, busy_ms);
    db.exec("BEGIN");
    read_customers(db, into, problems);
    read_credentials(db, into, problems);
    read_webhooks(db, into, problems);
    read_data_sets(db, into, problems);
    read_audit_events(db, into, problems);
    read_attestations(db, into, problems);
    read_api_endpoints(db, into);
    db.exec("COMMIT");
  } catch (...) {
    counters.wait();  // never leave the reader running on our locals
    throw;
  }
  counters.get();  // rethrows the reader's failure
  into.verifications = std::move(series);
  problems.insert(problems.end(), counter_problems.begin(), counter_problems.end());
}

void create_inventory_schema(const std::filesystem::path& path) {
  sql::Db db(path, sql::OpenMode::read_write_create);
  db.exec(embedded::inventory_schema);
}

}  // namespace complyd
