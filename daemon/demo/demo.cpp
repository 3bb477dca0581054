#include "daemon/demo/demo.hpp"

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "daemon/sources/inventory.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/util/crypto.hpp"
#include "daemon/util/time.hpp"

namespace complyd {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kDay = 86400;

const char* const kPlatforms[] = {"raise", "virtuous", "revolv3"};
const char* const kNames[] = {"Harbor Food Bank", "Open Paws Rescue", "River Valley Arts", "Northside Literacy",
                              "Clean Water Fund", "Hope Street Shelter", "Green Acres Trust", "Bright Futures",
                              "City Youth League", "Coastal Wildlife"};

struct Writer {
  sql::Db& db;
  sql::Stmt customer{db,
                     "INSERT INTO customers(id, name, status, admin_email, environment, jurisdiction, onboarded_at, "
                     "offboarded_at, last_sync_at) VALUES (?,?,?,?,?,?,?,?,?)"};
  sql::Stmt credential{db,
                       "INSERT INTO credentials(customer_id, kind, role, storage_path, environment, created_at, "
                       "rotated_at, last_used_at, activated_at, fingerprint, entropy_bytes) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?)"};
  sql::Stmt webhook{db,
                    "INSERT INTO webhook_subscriptions(id, customer_id, platform, notification_url, status, "
                    "created_at) VALUES (?,?,?,?,?,?)"};
  sql::Stmt verification{db,
                         "INSERT INTO webhook_verifications(customer_id, minute, ok, fail, unsigned) VALUES "
                         "(?,?,?,?,?)"};
  sql::Stmt data_set{db,
                     "INSERT INTO data_sets(customer_id, name, data_class, location, record_count, oldest_record_at, "
                     "newest_record_at, anonymised) VALUES (?,?,?,?,?,?,?,?)"};
  sql::Stmt audit{db, "INSERT INTO audit_events(customer_id, actor, action, resource, at) VALUES (?,?,?,?,?)"};
  sql::Stmt attestation{db,
                        "INSERT INTO attestations(control, customer_id, attested_by, attested_at, evidence_ref) "
                        "VALUES (?,?,?,?,?)"};
  DemoSummary sum;
};

std::optional<std::string> ts(std::optional<Time> t) {
  if (!t) return std::nullopt;
  return format_time(*t);
}

// A fingerprint the way a real collector makes one: HMAC of a value that is
// generated here and dropped at once (the demo never stores values).
std::string fingerprint(const std::string& key, std::mt19937_64& rng) {
  std::string value(32, '\0');
  for (auto& ch : value) ch = static_cast<char>(rng() & 0xff);
  return hmac_sha256_hex(key, value);
}

struct Cred {
  std::string kind, role, path;
  std::optional<Time> created, rotated, last_used, activated;
  std::string fp;
  std::optional<double> entropy = 32.0;
};

void add_credential(Writer& w, const std::string& cust, const std::string& env, const Cred& c) {
  auto& s = w.credential;
  s.reset();
  s.bind(1, cust).bind(2, c.kind).bind(3, c.role).bind(4, c.path).bind(5, env);
  s.bind(6, ts(c.created)).bind(7, ts(c.rotated)).bind(8, ts(c.last_used)).bind(9, ts(c.activated));
  s.bind(10, c.fp).bind(11, c.entropy);
  s.run();
  ++w.sum.credentials;
}

void add_audit(Writer& w, const std::string& cust, const std::string& actor, const std::string& action,
               const std::string& resource, Time at) {
  auto& s = w.audit;
  s.reset();
  s.bind(1, cust).bind(2, actor).bind(3, action).bind(4, resource).bind(5, format_time(at));
  s.run();
  ++w.sum.audit_events;
}

void add_data_set(Writer& w, const std::string& cust, const std::string& name, const std::string& cls,
                  const std::string& location, std::int64_t records, std::optional<Time> oldest,
                  std::optional<Time> newest, bool anonymised) {
  auto& s = w.data_set;
  s.reset();
  if (cust.empty()) s.bind_null(1); else s.bind(1, cust);
  s.bind(2, name).bind(3, cls).bind(4, location).bind(5, records).bind(6, ts(oldest)).bind(7, ts(newest));
  s.bind(8, anonymised ? 1 : 0);
  s.run();
  ++w.sum.data_sets;
}

void add_attestation(Writer& w, const std::string& control, const std::string& cust, const std::string& by, Time at,
                     const std::string& ref) {
  auto& s = w.attestation;
  s.reset();
  s.bind(1, control);
  if (cust.empty()) s.bind_null(2); else s.bind(2, cust);
  s.bind(3, by).bind(4, format_time(at)).bind(5, ref);
  s.run();
  ++w.sum.attestations;
}

void write_config(const DemoOptions& o) {
  std::ofstream out(o.dir / "complyd.toml");
  out << "# complyd demo configuration, written by `complyd demo`.\n"
         "# Paths are relative to this file. See docs/configuration.md for every key.\n\n"
         "[state]\n"
         "path = \"state.db\"\n\n"
         "[inventory]\n"
         "path = \"inventory.db\"\n\n"
         "[schedule]\n"
         "interval = \"1h\"\n"
         "jitter = \"5m\"\n\n"
         "[audit]\n"
         "# Exit code 3 when an open finding is at or above this severity.\n"
         "fail_on = \"low\"\n\n"
         "[log]\n"
         "level = \"info\"\n";
  if (!o.smtp_url.empty()) {
    out << "\n[smtp]\n"
           "url = \""
        << o.smtp_url
        << "\"\n"
           "from = \"complyd-demo@localhost\"\n"
           "# A plain local mail catcher; production requires starttls or tls.\n"
           "tls = \"none\"\n";
  }
  out << "\n[checks.credential-age]\n"
         "severity = \"high\"\n"
         "max_age = { api_token = \"90d\", webhook_secret = \"90d\" }\n\n"
         "[checks.offboarding-completeness]\n"
         "deletion_window = \"30d\"\n";
}

}  // namespace

DemoSummary write_demo(const DemoOptions& o) {
  fs::create_directories(o.dir);
  const fs::path inv = o.dir / "inventory.db";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(inv.string() + suffix);
  create_inventory_schema(inv);

  sql::Db db(inv, sql::OpenMode::read_write_create);
  db.exec("PRAGMA journal_mode=OFF");
  db.exec("PRAGMA synchronous=OFF");
  sql::Transaction tx(db);
  Writer w{db};
  std::mt19937_64 rng(o.seed);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::string key = random_bytes(32);  // ephemeral fingerprint key
  const Time now = o.now;
  const bool v = o.violations;
  auto days_ago = [&](std::int64_t d) { return now - Duration{d * kDay}; };

  const std::int64_t n = o.customers;
  const std::int64_t busy = o.busy_customers >= 0 ? o.busy_customers : std::max<std::int64_t>(10, n / 10);
  std::string shared_secret_fp;  // reused below to plant cross-customer sharing
  std::int64_t offboarded_seen = 0;

  for (std::int64_t i = 1; i <= n; ++i) {
    const std::string id = fmt::format("cust_{:04d}", i);
    const std::string platform = kPlatforms[i % 3];
    const std::string env = (i % 20 == 7) ? "sandbox" : "production";
    const std::string jurisdiction = i % 4 == 1 ? "EU" : (i % 4 == 2 ? "US-CA" : "US");
    const bool offboarded = i % 12 == 0;
    const bool offboarding = i % 12 == 6;
    const Time onboarded = days_ago(uniform(200, 900));

    // Offboarded customers cycle through one clean and four incomplete offboardings.
    const std::int64_t off_kind = offboarded ? (v ? offboarded_seen++ % 5 : 0) : -1;
    std::optional<Time> offboarded_at;
    if (offboarded) offboarded_at = days_ago(uniform(40, 200));
    std::optional<Time> last_sync = now - Duration{uniform(60, 3600)};
    if (offboarded) last_sync = off_kind == 4 ? *offboarded_at + Duration{3 * kDay} : *offboarded_at - Duration{600};

    auto& cs = w.customer;
    cs.reset();
    cs.bind(1, id).bind(2, fmt::format("{} {}", kNames[i % 10], i)).bind(3, offboarded ? "offboarded"
                                                                          : offboarding ? "offboarding"
                                                                                        : "active");
    cs.bind(4, fmt::format("admin@{}.example.org", id)).bind(5, env).bind(6, jurisdiction);
    cs.bind(7, format_time(onboarded)).bind(8, ts(offboarded_at)).bind(9, ts(last_sync));
    cs.run();
    ++w.sum.customers;

    const std::string base = fmt::format("{}/{}/{}", platform, env, id);
    add_audit(w, id, "onboarding-service", "customer_onboarded", id, onboarded);

    if (offboarded) {
      if (off_kind == 1) {  // API token left behind
        add_credential(w, id, env, {"api_token", "current", base + "/api_token", onboarded, days_ago(100),
                                    *offboarded_at - Duration{kDay}, std::nullopt, fingerprint(key, rng)});
      }
      if (off_kind == 2) {  // subscription never deleted, secret still stored
        add_credential(w, id, env, {"webhook_secret", "current", base + "/webhook_secret", onboarded, days_ago(120),
                                    *offboarded_at, std::nullopt, fingerprint(key, rng)});
      }
      auto& ws = w.webhook;
      ws.reset();
      ws.bind(1, fmt::format("wh_{:05d}", i)).bind(2, id).bind(3, platform);
      ws.bind(4, fmt::format("https://partner.example.com/{}-webhooks/{}", platform, id));
      ws.bind(5, off_kind == 2 ? "active" : "deleted").bind(6, format_time(onboarded));
      ws.run();
      ++w.sum.webhooks;
      if (off_kind != 3) add_audit(w, id, "ops:mlopez", "offboarded", id, *offboarded_at);
      add_data_set(w, id, "sync_state", "sync_state", "partner_contacts", off_kind == 4 ? uniform(500, 5000) : 0,
                   off_kind == 4 ? std::optional<Time>(onboarded) : std::nullopt, std::nullopt, off_kind != 4);
      continue;
    }

    // --- active and offboarding customers -----------------------------------
    std::int64_t token_age = uniform(5, 80);
    if (i % 7 == 2) token_age = 3;  // mid-rotation: the previous token is in its grace window
    if (v && i % 13 == 3) token_age = 120;
    if (v && i % 17 == 5) token_age = 200;
    const bool unknown_age = v && i % 29 == 11;
    Cred api{"api_token", "current", base + "/api_token", days_ago(token_age + uniform(0, 300)),
             days_ago(token_age), now - Duration{uniform(60, 7200)}, std::nullopt, fingerprint(key, rng)};
    if (unknown_age) api.created = api.rotated = std::nullopt;
    if (v && i % 47 == 10) api.last_used = days_ago(120);
    add_credential(w, id, env, api);
    if (!unknown_age) add_audit(w, id, "onboarding-service", "token_rotated", api.path, *api.rotated);

    std::int64_t secret_age = uniform(10, 80);
    if (v && i % 19 == 4) secret_age = 150;
    Cred secret{"webhook_secret", "current", base + "/webhook_secret", days_ago(secret_age), days_ago(secret_age),
                now - Duration{uniform(60, 3600)}, std::nullopt, fingerprint(key, rng)};
    if (v && i % 41 == 7) secret.entropy = 12.0;
    if (v && i % 43 == 3) secret.entropy = 24.0;
    if (i == 2) shared_secret_fp = secret.fp;
    if (v && i % 37 == 20 && !shared_secret_fp.empty()) secret.fp = shared_secret_fp;
    add_credential(w, id, env, secret);
    add_audit(w, id, "onboarding-service", "credential_created", secret.path, *secret.created);

    if (i % 7 == 2) {  // a rotation in its grace window
      add_credential(w, id, env, {"api_token", "previous", base + "/api_token.previous", days_ago(token_age + 90),
                                  days_ago(token_age + 90), days_ago(token_age),
                                  std::nullopt, fingerprint(key, rng)});
    }
    if (v && i % 23 == 9) {  // previous token kept for a month
      add_credential(w, id, env, {"api_token", "previous", base + "/api_token.previous", days_ago(130), days_ago(130),
                                  days_ago(30), std::nullopt, fingerprint(key, rng)});
    }
    if (v && i % 11 == 8) {  // previous webhook secret kept for days, not an hour
      add_credential(w, id, env, {"webhook_secret", "previous", base + "/webhook_secret.previous", days_ago(100),
                                  days_ago(100), days_ago(2), std::nullopt, fingerprint(key, rng)});
    }
    if (v && i % 31 == 14) {  // pending token never activated
      add_credential(w, id, env, {"api_token", "pending", base + "/api_token.pending", days_ago(20), std::nullopt,
                                  std::nullopt, std::nullopt, fingerprint(key, rng)});
    }
    if (i % 5 == 0) {
      const std::int64_t age = v && i % 45 == 0 ? 240 : uniform(20, 150);
      add_credential(w, id, env, {"oauth_refresh_token", "current", fmt::format("mailchimp/{}/{}/refresh_token", env, id),
                                  days_ago(age), days_ago(age), now - Duration{uniform(60, 86400)}, std::nullopt,
                                  fingerprint(key, rng)});
    }

    auto& ws = w.webhook;
    ws.reset();
    ws.bind(1, fmt::format("wh_{:05d}", i)).bind(2, id).bind(3, platform);
    ws.bind(4, fmt::format("{}://partner.example.com/{}-webhooks/{}", v && i % 53 == 6 ? "http" : "https", platform, id));
    ws.bind(5, "active").bind(6, format_time(onboarded));
    ws.run();
    ++w.sum.webhooks;

    add_audit(w, id, fmt::format("sync-worker-prod-{}", i % 4), "token_read", api.path, now - Duration{uniform(60, 3600)});
    if (v && i % 59 == 13) add_audit(w, id, "laptop:jsmith", "token_read", api.path, days_ago(2));

    add_data_set(w, id, "sync_state", "sync_state", "partner_contacts", uniform(100, 50000), onboarded, now, false);
    add_data_set(w, id, "dead_letter", "dead_letter", "dead_letter_entries", uniform(0, 40),
                 days_ago(v && i % 61 == 15 ? 140 : uniform(1, 60)), now, false);

    // Per-minute verification counters for the busiest customers.
    if (i <= busy) {
      auto& vs = w.verification;
      const std::int64_t start = (now.time_since_epoch().count() / 60) * 60 - 1440 * 60;
      const bool failing = v && i % 9 == 4;     // 5% failures in the last 30 minutes
      const bool silent = v && i % 14 == 5;     // no successful verification for two hours
      const bool unsigned_seen = v && i % 16 == 7;
      for (std::int64_t m = 0; m < 1440; ++m) {
        const std::int64_t ok = 20 + static_cast<std::int64_t>(rng() % 20);
        std::int64_t fail = (rng() % 400 == 0) ? 1 : 0;
        std::int64_t okv = ok;
        if (failing && m >= 1410) fail = ok / 12 + 1;
        if (silent && m >= 1320) {
          fail = 3;
          okv = 0;
        }
        vs.reset();
        vs.bind(1, id).bind(2, start + m * 60).bind(3, okv).bind(4, fail).bind(5, unsigned_seen && m == 1000 ? 2 : 0);
        vs.run();
        ++w.sum.verification_rows;
      }
    }
    if ((jurisdiction == "EU" || jurisdiction == "US-CA") && (!v || i % 8 != 5)) {
      add_attestation(w, "dpa", id, "legal:akim", days_ago(uniform(30, 300)), fmt::format("DPA-{}", id));
    }
  }

  // Integration-wide data, attestations and API endpoints.
  add_data_set(w, "", "worker_logs/hot", "worker_log_hot", "/var/log/sync-workers", 120000, days_ago(28), now, false);
  add_data_set(w, "", "worker_logs/cold", "worker_log_cold", "s3://logs-archive/sync-workers", 9000000, days_ago(420),
               days_ago(29), false);
  add_data_set(w, "", "webhook_captures", "webhook_capture", "webhook_captures", 3400, days_ago(v ? 45 : 20), now, false);
  add_data_set(w, "", "reconciliation_logs", "reconciliation_log", "reconciliation_runs", 52000, days_ago(300), now,
               false);
  add_data_set(w, "", "audit_log", "audit_log", "audit-store", 800000, days_ago(200), now, false);
  add_attestation(w, "incident_runbook", "", "secops:rpatel", days_ago(120), "RUNBOOK-credential-compromise v3");
  add_attestation(w, "access_review", "", "secops:rpatel", days_ago(v ? 400 : 100), "AR-2025-Q3");
  add_attestation(w, "pci_scope", "", "secops:rpatel", days_ago(60), "PCI-SAQ-A 2026");
  {
    sql::Stmt s(db, "INSERT INTO api_endpoints(name, url, origin) VALUES (?,?,?)");
    s.bind(1, "raise").bind(2, "https://prod-api.raisedonors.com").bind(3, "sync-workers/config.yaml").run();
    s.reset();
    s.bind(1, "virtuous").bind(2, "https://api.virtuoussoftware.com").bind(3, "sync-workers/config.yaml").run();
    s.reset();
    s.bind(1, "revolv3-sandbox").bind(2, v ? "http://api-sandbox.revolv3.com" : "https://api-sandbox.revolv3.com").bind(3, "sync-workers/staging.yaml").run();
  }
  tx.commit();
  if (o.write_config) write_config(o);
  return w.sum;
}

}  // namespace complyd
