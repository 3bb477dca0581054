// SPDX-License-Identifier: Apache-2.0
// complyd's command line: config check, catalogue, usage errors, and the
// canary test (secrets planted in config and inventory never leave).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/util/sqlite.hpp"
#include "harness.hpp"
#include "ports.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

TEST(ConfigCheck, GoodDemoConfigPasses) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  auto r = run(d, {"config", "check", "--config", (d / "complyd.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": ok ("), std::string::npos) << r.out;
}

TEST(ConfigCheck, BrokenFilesListEveryProblemWithPosition) {
  TempDir d;
  const auto cfg = (d / "complyd.toml").string();
  write_file(cfg,
             "[inventory]\n"
             "path = \"inventory.db\"\n"
             "colour = \"red\"\n"
             "[schedule]\n"
             "interval = 60\n"
             "[checks.credential-age]\n"
             "max_age = { api_token = \"soon\" }\n");
  auto r = run(d, {"config", "check", "--config", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(cfg + ":3:1: unknown key 'inventory.colour' in [inventory]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(cfg + ":5:12: schedule.interval: expected a duration string"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(cfg + ":7:25: checks.credential-age.max_age.api_token: 'soon' is not a duration"),
            std::string::npos)
      << r.out;
}

TEST(ConfigCheck, SyntaxErrorAndMissingFile) {
  TempDir d;
  const auto cfg = (d / "complyd.toml").string();
  write_file(cfg, "[inventory\npath = 1\n");
  auto r = run(d, {"config", "check", "--config", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out.rfind(cfg + ":1:", 0), 0u) << r.out;
  auto missing = run(d, {"config", "check", "--config", (d / "nope.toml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("nope.toml': No such file or directory"), std::string::npos);
}

TEST(ConfigCheck, AuditRefusesABadConfigWithExitCode2) {
  TempDir d;
  const auto cfg = (d / "complyd.toml").string();
  write_file(cfg, "[inventory]\npath = \"x.db\"\n[audit]\nfail_on = \"urgent\"\n");
  auto r = run(d, {"audit", "--config", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(":4:11: audit.fail_on"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, UsageErrorsExit2AndHelpWorks) {
  TempDir d;
  EXPECT_EQ(run(d, {"audit", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(run(d, {"audit", "--state", sim_state(d), "--now", "yesterday"}).exit_code, 2);
  EXPECT_EQ(run(d, {"frobnicate"}).exit_code, 2);
  for (const char* sub : {"demo", "audit", "run", "config", "findings", "checks", "version"}) {
    auto r = run(d, {sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
  auto v = run(d, {"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("complyd ", 0), 0u);
}

TEST(Cli, FindingsListRefusesAnUnknownCheckIdAndNamesTheKnownOnes) {
  TempDir d;
  auto r = run(d, {"demo", (d / "demo").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cfg = (d / "demo" / "complyd.toml").string();
  ASSERT_EQ(run(d, {"audit", "--config", cfg}).exit_code, 3);
  auto typo = run(d, {"findings", "list", "--config", cfg, "--check", "credentail-age"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(typo.out.empty()) << typo.out;
  EXPECT_NE(typo.err.find("unknown check id 'credentail-age'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("credential-age"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("source-unavailable"), std::string::npos) << typo.err;
  // The control: the right id lists that check's findings.
  auto right = run(d, {"findings", "list", "--config", cfg, "--check", "credential-age", "--format", "json"});
  ASSERT_EQ(right.exit_code, 0) << right.err;
  const auto doc = json::parse(right.out);
  ASSERT_FALSE(doc["findings"].empty());
  for (const auto& f : doc["findings"]) EXPECT_EQ(f["check_id"], "credential-age");
}

TEST(Cli, ChecksCatalogue) {
  TempDir d;
  auto r = run(d, {"checks", "list", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0);
  auto cat = json::parse(r.out);
  std::set<std::string> ids;
  for (const auto& c : cat) {
    ids.insert(c["id"].get<std::string>());
    for (const char* k : {"id", "title", "default_severity", "checklist_items", "rationale", "remediation",
                          "parameters", "frameworks", "needs"}) {
      EXPECT_TRUE(c.contains(k)) << k;
    }
    EXPECT_FALSE(c["rationale"].get<std::string>().empty());
  }
  EXPECT_TRUE(ids.contains("credential-age"));
  EXPECT_TRUE(ids.contains("offboarding-completeness"));
  EXPECT_TRUE(ids.contains("source-unavailable"));
  for (const auto& c : cat) {
    if (c["id"] != "credential-age") continue;
    EXPECT_EQ(c["parameters"][0]["name"], "max_age");
    EXPECT_EQ(c["parameters"][0]["default"]["api_token"], "90d");
  }
}

// Canary values planted where an operator might put them by mistake. None may
// reach stdout, stderr, the state database or the JSON documents.
TEST(Secrets, CanariesNeverLeave) {
  TempDir d;
  // The audit below may deliver mail: a free port, so nothing that happens to
  // listen on a fixed one (another test's server) receives it.
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow, "--smtp",
                    "smtp://127.0.0.1:" + std::to_string(free_port())})
                .exit_code,
            0);
  const std::string pw = "CANARYpw-Zx81qQ-smtp";
  const std::string url_token = "CANARYtok-93jdk2-url";
  const std::string column = "CANARYcol-a7d1k-value";
  const std::string role = "CANARYrole-1e8f3-pasted-secret-value";
  // Short on purpose: too short for the secret-shaped patterns (issue 19 §5).
  const std::string dsn_pw = "CANdsnPW";
  const std::string path_token = "CANtokPW";
  write_file(d / "smtp.pw", pw + "\n");
  std::string cfg = read_file(d / "complyd.toml");
  const std::string tls = "tls = \"none\"\n";
  ASSERT_NE(cfg.find(tls), std::string::npos);
  cfg.replace(cfg.find(tls), tls.size(), tls + "password_file = \"smtp.pw\"\n");
  write_file(d / "complyd.toml", cfg);
  {
    sql::Db db(d / "inventory.db", sql::OpenMode::read_write_create);
    // A careless column with real values in it: complyd never reads it.
    db.exec("ALTER TABLE credentials ADD COLUMN token_value TEXT");
    db.exec("UPDATE credentials SET token_value = '" + column + "'");
    // A token pasted into a webhook URL of an offboarded customer, and the
    // SMTP password pasted into another: both end up in a finding's detail.
    db.exec("UPDATE webhook_subscriptions SET status = 'active', notification_url = "
            "'https://partner.example.com/hooks?token=" + url_token + "' WHERE id = 'wh_00012'");
    db.exec("UPDATE webhook_subscriptions SET status = 'active', notification_url = "
            "'https://partner.example.com/hooks/" + pw + "' WHERE id = 'wh_00024'");
    // A secret pasted into the role column: a rejected row, named without its value.
    db.exec("INSERT INTO credentials(customer_id, kind, role, storage_path) VALUES ('cust_0001', 'api_token', '" +
            role + "', 'raise/production/cust_0001/api_token')");
    // A data set's DSN with its password (retention-window shows the
    // location), and a storage path with a token in its query (credential-age,
    // the reminders' idempotency keys).
    db.exec("INSERT INTO data_sets(name, data_class, location, record_count, oldest_record_at) VALUES "
            "('session dumps', 'session_dump', 'postgres://app:" + dsn_pw + "@db/app', 10, '2026-01-01T00:00:00Z')");
    db.exec("UPDATE credentials SET storage_path = 'vault://kv/raise/cust_0002/api_token?token=" + path_token +
            "', rotated_at = '2026-08-01T00:00:00Z' WHERE customer_id = 'cust_0002' AND kind = 'api_token' AND "
            "role = 'current'");
  }
  const auto config = (d / "complyd.toml").string();
  auto audit = run(d, {"audit", "--state", sim_state(d), "--config", config, "--format", "json", "--now", kDemoNow});
  ASSERT_EQ(audit.exit_code, 3) << audit.err;
  auto list = run(d, {"findings", "list", "--state", sim_state(d), "--config", config, "--status", "all", "--format", "json"});
  auto text = run(d, {"findings", "list", "--state", sim_state(d), "--config", config, "--status", "all"});
  auto doc = json::parse(audit.out);
  std::string shown;
  for (const auto& f : doc["findings"]) {
    if (f["subject"] == "webhook:wh_00012") shown = f["detail"];
  }
  ASSERT_FALSE(shown.empty()) << "the planted URL must be reported (redacted), or this test proves nothing";
  EXPECT_NE(shown.find("token=[REDACTED]"), std::string::npos) << shown;
  // The DSN and the storage path are reported, masked.
  std::string dsn_shown, path_shown;
  for (const auto& f : doc["findings"]) {
    if (f["subject"] == "data:session dumps") dsn_shown = f.dump();
    if (f["check_id"] == "credential-age" && f["customer_id"] == "cust_0002") path_shown = f.dump();
  }
  ASSERT_FALSE(dsn_shown.empty()) << "the planted DSN must be reported (masked)";
  EXPECT_NE(dsn_shown.find("postgres://app:[REDACTED]@db/app"), std::string::npos) << dsn_shown;
  ASSERT_FALSE(path_shown.empty()) << "the planted storage path must be reported (masked)";
  EXPECT_NE(path_shown.find("?token=[REDACTED]"), std::string::npos) << path_shown;
  // The outbox (its idempotency keys) and the digest preview.
  auto outbox = run(d, {"notify", "outbox", "--state", sim_state(d), "--config", config, "--format", "json", "--limit",
                        "100000"});
  ASSERT_EQ(outbox.exit_code, 0) << outbox.err;
  ASSERT_NE(outbox.out.find("\"reminder:cust_0002:"), std::string::npos)
      << "the reminder about the planted path must be queued, or its key proves nothing";
  auto preview = run(d, {"notify", "preview", "--state", sim_state(d), "--template", "digest", "--config", config,
                         "--now", kDemoNow});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  ASSERT_NE(preview.out.find("session dumps"), std::string::npos) << preview.out;
  auto report = run(d, {"report", "--state", sim_state(d), "--format", "json", "--config", config});
  ASSERT_EQ(report.exit_code, 0) << report.err;

  std::string db_bytes;
  for (const char* f : {"simulated.db", "simulated.db-wal"}) db_bytes += read_file(d / f);
  ASSERT_GT(db_bytes.size(), 1000u);
  for (const auto& canary : {pw, url_token, column, role, dsn_pw, path_token}) {
    for (const auto* where : {&audit.out, &audit.err, &list.out, &list.err, &text.out, &db_bytes, &outbox.out,
                              &outbox.err, &preview.out, &preview.err, &report.out, &report.err}) {
      EXPECT_EQ(where->find(canary), std::string::npos) << canary << " leaked";
    }
  }
}

}  // namespace
}  // namespace complyd::itest
