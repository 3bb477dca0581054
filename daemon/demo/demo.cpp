// SPDX-License-Identifier: Apache-2.0
#include "daemon/demo/demo.hpp"

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "daemon/sources/inventory.hpp"
#include "daemon/util/sqlite.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"

namespace complyd {
namespace {

namespace fs = std::filesystem;

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

void add_audit(Writer& w, const std::string& cust, const std::string& actor, const std::string& action,
               const std::string& resource, Time at);

// Stores a credential and, unless `audited` is false (a planted audit-coverage
// gap), the audit events of its creation and rotation, as a credential store should.
void add_credential(Writer& w, const std::string& cust, const std::string& env, const Cred& c, bool audited = true) {
  auto& s = w.credential;
  s.reset();
  s.bind(1, cust).bind(2, c.kind).bind(3, c.role).bind(4, c.path).bind(5, env);
  s.bind(6, ts(c.created)).bind(7, ts(c.rotated)).bind(8, ts(c.last_used)).bind(9, ts(c.activated));
  s.bind(10, c.fp).bind(11, c.entropy);
  s.run();
  ++w.sum.credentials;
  if (!audited || !c.created) return;
  add_audit(w, cust, "onboarding-service", "credential_created", c.path, *c.created);
  if (c.rotated && *c.rotated > *c.created) {
    add_audit(w, cust, "onboarding-service", c.kind == "api_token" ? "token_rotated" : "credential_rotated", c.path,
              *c.rotated);
  }
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

// A random token per demo console user, readable by its owner only.
void write_console_tokens(const DemoOptions& o) {
  for (const auto& [user, role] : kDemoConsoleUsers) {
    const auto path = demo_token_file(o.dir, user);
    std::string token;
    for (unsigned char c : random_bytes(24)) token += fmt::format("{:02x}", c);
    std::filesystem::remove(path);
    std::ofstream(path) << token << '\n';
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
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
           "tls = \"none\"\n"
           "\n[alerts]\n"
           "# One digest per cycle to the integration's admins: findings at or above each severity.\n"
           "recipients = { low = [\"ops@partner.example.com\", \"security@partner.example.com\"] }\n"
           "repeat_interval = \"24h\"\n"
           "\n[reminders]\n"
           "# Rotation reminders to each customer's admin (customers.admin_email).\n"
           "kinds = [\"api_token\"]\n"
           "warn_before = \"10d\"\n"
           "overdue_every = \"7d\"\n"
           "escalate_after = \"14d\"\n";
  }
  if (!o.alertmanager_url.empty()) {
    out << "\n[[notify.alertmanager]]\n"
           "# Every open finding at or above min_severity is an alert, re-sent each cycle;\n"
           "# a fixed one is resolved (endsAt). Production: https:// and bearer_token_file.\n"
           "name = \"demo\"\n"
           "url = \""
        << o.alertmanager_url
        << "\"\n"
           "min_severity = \"medium\"\n";
  }
  if (!o.webhook_url.empty()) {
    // The signing key: random, readable by its owner only.
    {
      std::ofstream key(o.dir / "webhook.secret", std::ios::trunc);
      key << sha256_hex(random_bytes(32)) << '\n';  // 256 random bits as 64 hex digits
    }
    std::filesystem::permissions(o.dir / "webhook.secret", std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write);
    out << "\n[[notify.webhook]]\n"
           "# One POST per cycle's batch of transitions, signed with HMAC-SHA256 over\n"
           "# \"<X-Complyd-Timestamp>.<body>\" (docs/notifications.md shows how to verify).\n"
           "name = \"demo-hook\"\n"
           "url = \""
        << o.webhook_url
        << "\"\n"
           "secret_file = \"webhook.secret\"\n"
           "format = \"json\"\n"
           "min_severity = \"low\"\n"
           "max_findings = 50\n";
  }
  if (o.console_port > 0) {
    out << fmt::format(
        "\n[http]\n"
        "# The web console at http://127.0.0.1:{0}/ (docs/console.md); sign in with a user's\n"
        "# name and the token in its file.\n"
        "listen = \"127.0.0.1:{0}\"\n"
        "console = true\n",
        o.console_port);
    for (const auto& [user, role] : kDemoConsoleUsers) {
      out << fmt::format("\n[[http.users]]\nname = \"{}\"\nrole = \"{}\"\ntoken_file = \"{}\"\n", user, role,
                         demo_token_file("", user).string());
    }
  }
  out << "\n[files]\n"
         "# Scanned for leaked secrets, card numbers and donor e-mail addresses (leak-scan).\n"
         "# Only bytes not scanned yet are read each cycle.\n"
         "paths = [\"logs\", \"app\"]\n"
         "exclude = [\"*.gz\"]\n"
         "max_bytes_per_cycle = 67108864\n\n"
         "[checks.leak-scan]\n"
         "# The partner's own staff addresses are not donor data.\n"
         "ignore_email_domains = [\"partner.example.com\"]\n"
         "min_entropy_bits_per_char = 3.5\n"
         "min_value_length = 16\n";
  out << "\n# Where the facts live in production: uncomment and adapt (docs/sources.md has every key,\n"
         "# the permissions each needs, and `complyd sources test` probes them).\n"
         "# [[sources]]\n"
         "# name = \"vault-prod\"\n"
         "# type = \"vault\"\n"
         "# url = \"https://vault.example.com:8200\"\n"
         "# prefix = \"raise\"\n"
         "# token_file = \"%d/vault-token\"\n"
         "#\n"
         "# [[sources]]\n"
         "# name = \"raise-prod\"\n"
         "# type = \"platform\"\n"
         "# preset = \"raise\"\n"
         "# tokens_dir = \"/etc/complyd/raise-tokens\"\n"
         "#\n"
         "# [[sources]]\n"
         "# name = \"prom\"\n"
         "# type = \"prometheus\"\n"
         "# url = \"https://prometheus.example:9090\"\n";
  out << "\n[checks.credential-age]\n"
         "severity = \"high\"\n"
         "max_age = { api_token = \"90d\", webhook_secret = \"90d\" }\n\n"
         "[checks.offboarding-completeness]\n"
         "deletion_window = \"30d\"\n";
}

// Random text from an alphabet: demo token values, generated here and
// written only into the demo's own leak files.
std::string random_text(std::mt19937_64& rng, std::size_t n, std::string_view alphabet) {
  std::string out(n, '\0');
  for (auto& c : out) c = alphabet[rng() % alphabet.size()];
  return out;
}

// DIR/logs and DIR/app for leak-scan. With violations: a worker log with a
// bearer token, a securityToken assignment, a test card number and donor
// e-mail addresses, an app/.env file and a private key. Compliant: the same
// log lines redacted, and only an .env.example with placeholders.
void write_leak_files(const DemoOptions& o) {
  const fs::path logs = o.dir / "logs", app = o.dir / "app";
  fs::create_directories(logs);
  fs::create_directories(app);
  for (const fs::path& p : {app / ".env", app / "deploy" / "deploy_key.pem"}) fs::remove(p);
  std::mt19937_64 rng(o.seed ^ 0x6c65616b7363616eULL);
  constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  constexpr std::string_view kUrlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto at = [&](int s) { return format_time(o.now - Duration{600 - s}); };
  const bool v = o.violations;

  std::ofstream log(logs / "sync-worker.log", std::ios::trunc);
  log << at(1) << " INFO  sync-worker-prod-1 cust_0001 synced 42 contacts in 1.2s\n";
  log << at(2) << " DEBUG sync-worker-prod-1 cust_0003 GET https://prod-api.raisedonors.com/api/Donors?page=2 "
      << "headers={\"Authorization\": \"Bearer "
      << (v ? random_text(rng, 40, kUrlSafe) : std::string("[REDACTED]")) << "\"}\n";
  log << at(3) << " INFO  sync-worker-prod-2 cust_0004 webhook subscription updated: {\"notificationUrl\": "
      << "\"https://partner.example.com/raise-webhooks/cust_0004\", \"securityToken\": \""
      << (v ? random_text(rng, 43, kB64) + "=" : std::string("[REDACTED]")) << "\"}\n";
  log << at(4) << " WARN  sync-worker-prod-2 cust_0005 gift rejected: "
      << (v ? "card 4111 1111 1111 1111 exp 12/28" : "paymentMethodId=pm_1Qx7 cardBrand=visa") << " amount 25.00 "
      << "order 1763812684000123\n";
  log << at(5) << " INFO  sync-worker-prod-3 cust_0006 synced contact: "
      << (v ? "jane.donor@example.net Jane Donor" : "contact_id=C-10293") << "\n";
  log << at(6) << " INFO  sync-worker-prod-3 cust_0007 synced contact: "
      << (v ? "m.okafor@example.com" : "contact_id=C-10294") << "\n";
  log << at(7) << " INFO  notifier rotation reminder for cust_0002 sent to ops@partner.example.com\n";
  log << at(8) << " INFO  sync-worker-prod-1 cust_0001 token refreshed (expires in 3600s, tokenUpdatedAt="
      << at(8) << ")\n";

  if (v) {
    std::ofstream env(app / ".env", std::ios::trunc);
    env << "# sync-worker settings (these belong in the secrets manager)\n"
           "RAISE_API_BASE=https://prod-api.raisedonors.com\n"
           "RAISE_API_TOKEN="
        << random_text(rng, 40, kUrlSafe) << "\n";
    // The armour line is assembled here: no source file holds it literally.
    const std::string armour = std::string("PRIVATE") + " KEY-----";
    fs::create_directories(app / "deploy");
    std::ofstream key(app / "deploy" / "deploy_key.pem", std::ios::trunc);
    key << "-----BEGIN RSA " << armour << "\n";
    for (int i = 0; i < 6; ++i) key << random_text(rng, 64, kB64) << "\n";
    key << "-----END RSA " << armour << "\n";
  }
  std::ofstream example(app / ".env.example", std::ios::trunc);
  example << "# Copy to the secrets manager, never to a .env file in production.\n"
             "RAISE_API_BASE=https://prod-api.raisedonors.com\n"
             "RAISE_API_TOKEN=your_raise_api_token_here\n"
             "WEBHOOK_SECRET=${WEBHOOK_SECRET}\n";
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
  std::mt19937_64 extra_rng(o.seed + 1);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::string key = random_bytes(32);  // ephemeral fingerprint key
  const Time now = o.now;
  const bool v = o.violations;
  auto days_ago = [&](std::int64_t d) { return now - Duration{d * kSecondsPerDay}; };

  const std::int64_t n = o.customers;
  const std::int64_t busy = o.busy_customers >= 0 ? o.busy_customers : std::max<std::int64_t>(16, n / 10);
  std::string shared_secret_fp;  // reused below to plant cross-customer sharing
  std::int64_t offboarded_seen = 0;

  for (std::int64_t i = 1; i <= n; ++i) {
    const std::string id = fmt::format("cust_{:04d}", i);
    const std::string platform = kPlatforms[i % 3];
    const std::string env = (i % 20 == 7) ? "sandbox" : "production";
    // Violations are planted only in "troubled" customers (one in four, slot s),
    // several per customer, so the demo fails some customers and passes most.
    const bool troubled = v && i % 4 == 3;
    const std::int64_t s = troubled ? i / 4 : -1;
    auto plant = [&](std::int64_t mod, std::int64_t rem) { return troubled && s % mod == rem; };
    const bool missing_dpa = plant(5, 1);
    const std::string jurisdiction =
        (i % 4 == 1 || missing_dpa) ? "EU" : (i % 4 == 2 ? "US-CA" : "US");
    const bool offboarded = i % 12 == 0;
    const bool offboarding = i % 12 == 6;
    const Time onboarded = days_ago(uniform(200, 900));

    // Offboarded customers cycle through one clean and four incomplete offboardings.
    const std::int64_t off_kind = offboarded ? (v ? offboarded_seen++ % 5 : 0) : -1;
    std::optional<Time> offboarded_at;
    if (offboarded) offboarded_at = days_ago(uniform(40, 200));
    std::optional<Time> last_sync = now - Duration{uniform(60, 3600)};
    if (offboarded) last_sync = off_kind == 4 ? *offboarded_at + days(3) : *offboarded_at - Duration{600};

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
                                    *offboarded_at - Duration{kSecondsPerDay}, std::nullopt, fingerprint(key, rng)});
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
    if (!troubled && i % 7 == 2) token_age = 3;  // mid-rotation: the previous token is in its grace window
    if (plant(7, 0)) token_age = 120;
    if (plant(7, 3)) token_age = 200;
    const bool unknown_age = plant(7, 5);
    Cred api{"api_token", "current", base + "/api_token", days_ago(token_age + uniform(0, 300)),
             days_ago(token_age), now - Duration{uniform(60, 7200)}, std::nullopt, fingerprint(key, rng)};
    if (unknown_age) api.created = api.rotated = std::nullopt;
    if (plant(6, 1)) api.last_used = days_ago(120);
    add_credential(w, id, env, api, !plant(8, 2));  // a token created and rotated without audit events

    std::int64_t secret_age = uniform(10, 80);
    if (plant(6, 4)) secret_age = 150;
    Cred secret{"webhook_secret", "current", base + "/webhook_secret", days_ago(secret_age), days_ago(secret_age),
                now - Duration{uniform(60, 3600)}, std::nullopt, fingerprint(key, rng)};
    if (plant(5, 2)) secret.entropy = 12.0;
    if (plant(5, 3)) secret.entropy = 24.0;
    if (i == 3) shared_secret_fp = secret.fp;
    if (plant(7, 4) && !shared_secret_fp.empty()) secret.fp = shared_secret_fp;
    add_credential(w, id, env, secret);

    if (!troubled && i % 7 == 2) {  // a rotation in its grace window
      add_credential(w, id, env, {"api_token", "previous", base + "/api_token.previous", days_ago(token_age + 90),
                                  days_ago(token_age + 90), days_ago(token_age),
                                  std::nullopt, fingerprint(key, rng)});
    }
    if (plant(6, 2)) {  // previous token kept for a month
      add_credential(w, id, env, {"api_token", "previous", base + "/api_token.previous", days_ago(130), days_ago(130),
                                  days_ago(30), std::nullopt, fingerprint(key, rng)});
    }
    if (plant(6, 5)) {  // previous webhook secret kept for days, not an hour
      add_credential(w, id, env, {"webhook_secret", "previous", base + "/webhook_secret.previous", days_ago(100),
                                  days_ago(100), days_ago(2), std::nullopt, fingerprint(key, rng)});
    }
    if (plant(7, 6)) {  // pending token never activated
      add_credential(w, id, env, {"api_token", "pending", base + "/api_token.pending", days_ago(20), std::nullopt,
                                  std::nullopt, std::nullopt, fingerprint(key, rng)});
    }
    if (i % 5 == 0) {
      const std::int64_t age = plant(5, 3) ? 240 : uniform(20, 150);
      add_credential(w, id, env, {"oauth_refresh_token", "current", fmt::format("mailchimp/{}/{}/refresh_token", env, id),
                                  days_ago(age), days_ago(age), now - Duration{uniform(60, kSecondsPerDay)}, std::nullopt,
                                  fingerprint(key, rng)});
    }
    // Separate sandbox credentials ("use separate tokens for sandbox and
    // production"), drawn from their own generator so the rest of the
    // population does not change with them.
    if (env == "production" && i % 4 != 0) {
      auto age = [&] { return std::uniform_int_distribution<std::int64_t>(5, 80)(extra_rng); };
      const std::string sandbox = fmt::format("{}/sandbox/{}", platform, id);
      const auto a = age(), b = age();
      add_credential(w, id, "sandbox", {"api_token", "current", sandbox + "/api_token", days_ago(a), days_ago(a),
                                        now - Duration{3600}, std::nullopt, fingerprint(key, extra_rng)});
      add_credential(w, id, "sandbox", {"webhook_secret", "current", sandbox + "/webhook_secret", days_ago(b),
                                        days_ago(b), now - Duration{3600}, std::nullopt, fingerprint(key, extra_rng)});
    }

    auto& ws = w.webhook;
    ws.reset();
    ws.bind(1, fmt::format("wh_{:05d}", i)).bind(2, id).bind(3, platform);
    ws.bind(4, fmt::format("{}://partner.example.com/{}-webhooks/{}", plant(6, 3) ? "http" : "https", platform, id));
    ws.bind(5, "active").bind(6, format_time(onboarded));
    ws.run();
    ++w.sum.webhooks;

    add_audit(w, id, fmt::format("sync-worker-prod-{}", i % 4), "token_read", api.path, now - Duration{uniform(60, 3600)});
    if (plant(7, 2)) add_audit(w, id, "laptop:jsmith", "token_read", api.path, days_ago(2));

    add_data_set(w, id, "sync_state", "sync_state", "partner_contacts", uniform(100, 50000), onboarded, now, false);
    // Planted: resolved dead-letter entries kept 140 days (never an empty data set).
    add_data_set(w, id, "dead_letter", "dead_letter", "dead_letter_entries",
                 std::max<std::int64_t>(uniform(0, 40), plant(7, 1) ? 12 : 0),
                 days_ago(plant(7, 1) ? 140 : uniform(1, 60)), now, false);

    // Per-minute verification counters for the busiest customers.
    if (i <= busy) {
      auto& vs = w.verification;
      const std::int64_t start = (now.time_since_epoch().count() / 60) * 60 - 1440 * 60;
      const bool failing = plant(4, 0);     // 5% failures in the last 30 minutes
      const bool silent = plant(4, 1);     // no successful verification for two hours
      const bool unsigned_seen = plant(4, 2);  // two unsigned requests processed 10 minutes ago
      const bool spiking = plant(4, 3);          // a burst of 60 failures 5 minutes ago
      for (std::int64_t m = 0; m < 1440; ++m) {
        const std::int64_t ok = 20 + static_cast<std::int64_t>(rng() % 20);
        std::int64_t fail = (rng() % 400 == 0) ? 1 : 0;
        std::int64_t okv = ok;
        if (failing && m >= 1410) fail = ok / 12 + 1;
        if (silent && m >= 1320) {
          fail = 3;
          okv = 0;
        }
        if (spiking && m == 1435) fail = 60;
        vs.reset();
        vs.bind(1, id).bind(2, start + m * 60).bind(3, okv).bind(4, fail).bind(5, unsigned_seen && m == 1430 ? 2 : 0);
        vs.run();
        ++w.sum.verification_rows;
      }
    }
    if ((jurisdiction == "EU" || jurisdiction == "US-CA") && !missing_dpa) {
      add_attestation(w, "dpa", id, "legal:akim", days_ago(uniform(30, 300)), fmt::format("DPA-{}", id));
    }
  }

  // Integration-wide data, attestations and API endpoints.
  add_data_set(w, "", "worker_logs/hot", "worker_log_hot", "/var/log/sync-workers", 120000, days_ago(28), now, false);
  add_data_set(w, "", "worker_logs/cold", "worker_log_cold", "s3://logs-archive/sync-workers", 9000000, days_ago(v ? 420 : 300),
               days_ago(29), false);
  add_data_set(w, "", "webhook_captures", "webhook_capture", "webhook_captures", 3400, days_ago(v ? 45 : 20), now, false);
  add_data_set(w, "", "reconciliation_logs", "reconciliation_log", "reconciliation_runs", 52000, days_ago(300), now,
               false);
  add_data_set(w, "", "audit_log", "audit_log", "audit-store", 800000, days_ago(v ? 200 : 400), now, false);
  add_attestation(w, "incident_runbook", "", "secops:rpatel", days_ago(120), "RUNBOOK-credential-compromise v3");
  add_attestation(w, "access_review", "", "secops:rpatel", days_ago(v ? 400 : 100), "AR-2025-Q3");
  add_attestation(w, "pci_scope", "", "secops:rpatel", days_ago(60), "PCI-SAQ-A 2026");
  add_attestation(w, "iam_rbac_review", "", "secops:rpatel", days_ago(90), "IAM-REVIEW-2026-08");
  add_attestation(w, "encryption_at_rest", "", "secops:rpatel", days_ago(150), "ENC-2026-06 (KMS + app-level PII)");
  {
    sql::Stmt s(db, "INSERT INTO api_endpoints(name, url, origin) VALUES (?,?,?)");
    s.bind(1, "raise").bind(2, "https://prod-api.raisedonors.com").bind(3, "sync-workers/config.yaml").run();
    s.reset();
    s.bind(1, "virtuous").bind(2, "https://api.virtuoussoftware.com").bind(3, "sync-workers/config.yaml").run();
    s.reset();
    s.bind(1, "revolv3-sandbox").bind(2, v ? "http://api-sandbox.revolv3.com" : "https://api-sandbox.revolv3.com").bind(3, "sync-workers/staging.yaml").run();
  }
  tx.commit();
  if (o.write_config) {
    write_leak_files(o);
    if (o.console_port > 0) write_console_tokens(o);
    write_config(o);
  }
  return w.sum;
}

std::filesystem::path demo_token_file(const std::filesystem::path& dir, std::string_view user) {
  return dir / fmt::format("{}.token", user);
}

}  // namespace complyd
