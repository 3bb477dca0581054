// SPDX-License-Identifier: Apache-2.0
// Fail closed on every bad byte (issue 19 §3): invalid UTF-8, BLOBs and
// values of the wrong type in the inventory are bad rows (a source-unavailable
// finding naming the row), never a crash, a silent pass or raw bytes in the
// state database; a check that fails is a finding, never a pass.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "checks/registry.hpp"
#include "daemon/app/cycle.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/sqlite.hpp"
#include "daemon/util/utf8.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

// A compliant demo: its audit passes (exit 0) until a test spoils a row.
class BadBytes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run(dir_, {"demo", dir_.path().string(), "--compliant", "--customers", "6", "--now", kDemoNow});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    config_ = (dir_ / "complyd.toml").string();
  }

  void inventory_exec(const std::string& sql) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    db.exec(sql);
  }
  // One value of the inventory as an SQL literal (to put it back later).
  std::string inventory_literal(const std::string& query) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_only);
    sql::Stmt s(db, "SELECT quote((" + query + "))");
    return s.step() ? s.text(0) : "NULL";
  }

  // The detail of the inventory's rows finding, or "" when there is none.
  static std::string rows_detail(const json& doc) {
    for (const auto& f : doc["findings"]) {
      if (f["check_id"] == "source-unavailable" && f["subject"] == "source:inventory:rows") return f["detail"];
    }
    return "";
  }

  // Every text of the state database is valid UTF-8, and no column holds a BLOB.
  void expect_state_encodable() {
    sql::Db db(sim_state(dir_), sql::OpenMode::read_only);
    sql::Stmt tables(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
    int cells = 0;
    while (tables.step()) {
      const std::string table = tables.text(0);
      sql::Stmt rows(db, "SELECT * FROM \"" + table + "\"");
      while (rows.step()) {
        for (int c = 0; c < rows.column_count(); ++c) {
          ++cells;
          EXPECT_NE(rows.type(c), SQLITE_BLOB) << table << "." << rows.column_name(c);
          if (rows.type(c) == SQLITE_TEXT) {
            EXPECT_TRUE(is_valid_utf8(rows.text_view(c))) << table << "." << rows.column_name(c);
          }
        }
      }
    }
    EXPECT_GT(cells, 0);
  }

  // `findings list --format json` over the simulated state.
  json findings_list(const std::string& status = "open") {
    auto r = run(dir_, {"findings", "list", "--state", sim_state(dir_), "--config", config_, "--status", status,
                        "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(BadBytes, TheCompliantDemoPasses) { audit_json(dir_, kDemoNow, 0); }

// One URL with a byte that is not UTF-8 made transport-https throw: the audit
// passed and hid another customer's http:// URL.
TEST_F(BadBytes, InvalidUtf8InAWebhookUrlIsABadRowAndTheOtherUrlsAreStillJudged) {
  inventory_exec(
      "INSERT INTO webhook_subscriptions(id, customer_id, platform, notification_url, status) VALUES "
      // http://ex\xFFample.org/in: the finding about it quoted the byte, and
      // the JSON of its evidence threw.
      "('wh_bad', 'cust_0001', 'raise', CAST(X'687474703A2F2F6578FF616D706C652E6F72672F696E' AS TEXT), 'active'),"
      "('wh_plain', 'cust_0002', 'raise', 'http://hooks.example.org/in', 'active')");
  Result raw;
  const auto doc = audit_json(dir_, kDemoNow, 3, &raw);
  EXPECT_EQ(doc["cycle"]["status"], "ok") << "no check failed";
  const auto https = finding_keys(doc, "transport-https");
  EXPECT_TRUE(https.contains("cust_0002 webhook:wh_plain")) << doc.dump(2);
  EXPECT_TRUE(https.contains("cust_0001 webhook:wh_bad")) << "the repaired URL is still judged: " << doc.dump(2);
  const std::string rows = rows_detail(doc);
  EXPECT_NE(rows.find("webhook_subscriptions id wh_bad: notification_url is not valid UTF-8"), std::string::npos)
      << rows;
  EXPECT_NE(raw.err.find("wh_bad"), std::string::npos) << "each bad row is logged: " << raw.err;
  expect_state_encodable();
}

// Invalid UTF-8 in customers.name or environment stopped every audit (exit 1,
// JSON error 316).
TEST_F(BadBytes, InvalidUtf8InACustomersNameOrEnvironmentIsABadRowNotAStop) {
  inventory_exec(
      "UPDATE customers SET name = CAST(X'4163FF6D65' AS TEXT) WHERE id = 'cust_0001';"
      "UPDATE customers SET environment = CAST(X'70726FC3' AS TEXT) WHERE id = 'cust_0002';");
  const auto doc = audit_json(dir_, kDemoNow, 3);
  const std::string rows = rows_detail(doc);
  EXPECT_NE(rows.find("rejected 2 row(s)"), std::string::npos) << rows;
  EXPECT_NE(rows.find("customers id cust_0001: name is not valid UTF-8"), std::string::npos) << rows;
  // The count stays with the stored cycle: `findings list` (read back from the
  // state) says 2 as the audit did, not 0.
  const auto inventory_rejected = [](const json& d) {
    for (const auto& s : d["cycle"]["sources"]) {
      if (s["name"] == "inventory") return s["rejected_rows"].get<int>();
    }
    return -1;
  };
  EXPECT_EQ(inventory_rejected(doc), 2);
  auto listed = run(dir_, {"findings", "list", "--state", sim_state(dir_), "--config", config_, "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(inventory_rejected(json::parse(listed.out)), 2);
  // The report shows customers by name: it renders too.
  auto report = run(dir_, {"report", "--state", sim_state(dir_), "--config", config_, "--format", "json"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NO_THROW((void)json::parse(report.out));
  expect_state_encodable();
}

// A BLOB in a time column put its raw bytes into a finding's detail: from
// then on every JSON output of the state failed, even after the inventory
// was fixed.
TEST_F(BadBytes, ABlobInATimeColumnIsABadRowAndNeverReachesTheState) {
  const std::string rotated = inventory_literal("SELECT rotated_at FROM credentials ORDER BY id LIMIT 1");
  const std::string synced = inventory_literal("SELECT last_sync_at FROM customers WHERE id = 'cust_0003'");
  inventory_exec(
      "UPDATE credentials SET rotated_at = X'FF3230FE' WHERE id = (SELECT min(id) FROM credentials);"
      "UPDATE customers SET last_sync_at = CAST(X'32303236FF' AS BLOB) WHERE id = 'cust_0003';");
  const auto doc = audit_json(dir_, kDemoNow, 3);
  const std::string rows = rows_detail(doc);
  EXPECT_NE(rows.find("is not an RFC 3339 time or integer unix seconds"), std::string::npos) << rows;
  EXPECT_NE(rows.find("-byte BLOB"), std::string::npos) << rows;
  EXPECT_GT(findings_list()["findings"].size(), 0u);
  expect_state_encodable();

  // Fixed: the rows finding resolves, and the history still reads.
  inventory_exec("UPDATE credentials SET rotated_at = " + rotated + " WHERE id = (SELECT min(id) FROM credentials);" +
                 "UPDATE customers SET last_sync_at = " + synced + " WHERE id = 'cust_0003';");
  audit_json(dir_, "2026-11-22T13:00:00Z", 0);
  EXPECT_GT(findings_list("resolved")["findings"].size(), 0u);
}

// A count that is not an integer read as 0, and anonymised = 2 as anonymised:
// a 700-day-old dead-letter data set passed.
TEST_F(BadBytes, ValuesOfTheWrongTypeAreBadRowsNotZeroOrTrue) {
  const std::string old = format_time(kNow - days(700));
  inventory_exec("INSERT INTO data_sets(customer_id, name, data_class, location, record_count, oldest_record_at, "
                 "anonymised) VALUES "
                 "('cust_0001', 'dead_letter_x', 'dead_letter', 'dlq_x', 'many', '" + old + "', 0),"
                 "('cust_0002', 'dead_letter_y', 'dead_letter', 'dlq_y', 12, '" + old + "', 2);"
                 "INSERT OR REPLACE INTO webhook_verifications(customer_id, minute, ok, fail, unsigned) VALUES "
                 "('cust_0003', " + std::to_string(to_unix(kNow) / 60 * 60 - 600) + ", 5, 'lots', 0);");
  Result r;
  const auto doc = audit_json(dir_, kDemoNow, 3, &r);
  const std::string rows = rows_detail(doc);
  EXPECT_NE(rows.find("rejected 3 row(s)"), std::string::npos) << rows;
  EXPECT_NE(rows.find("record_count 'many' is not an integer"), std::string::npos) << rows;
  EXPECT_NE(r.err.find("anonymised '2' is not 0 or 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("webhook_verifications 'cust_0003': minute and counters must be integers"), std::string::npos)
      << r.err;
}

// A check that throws, in process: one whose configured parameters are of
// another type (Params::as throws) stands for any failing check.
TEST_F(BadBytes, ACheckThatFailsIsAFindingKeepsItsFindingsAndFailsTheAudit) {
  auto loaded = load_config(dir_ / "complyd.toml");
  ASSERT_TRUE(loaded.ok());
  Config config = *loaded.config;
  // Something for retention-window to find in the first cycle.
  inventory_exec("INSERT INTO data_sets(customer_id, name, data_class, location, record_count, oldest_record_at) "
                 "VALUES ('cust_0001', 'dead_letter_x', 'dead_letter', 'dlq_x', 40, '" +
                 format_time(kNow - days(700)) + "')");
  StateStore store(config.state_db, StateUse::simulated);
  const auto first = run_cycle(config, store, fixed_clock(kNow));
  const auto retention = [](const CycleOutcome& o) {
    std::set<std::string> ids;
    for (const auto& f : o.current) {
      if (f.check_id == "retention-window" && f.status == FindingStatus::open) ids.insert(f.id);
    }
    return ids;
  };
  ASSERT_FALSE(retention(first).empty());
  ASSERT_FALSE(audit_fails(first, Severity::critical)) << "retention-window's findings are below critical";

  config.checks["retention-window"].params = Params::of(42);
  // And the dead letters are deleted: a complete check would resolve them.
  inventory_exec("DELETE FROM data_sets WHERE name = 'dead_letter_x'");
  const auto second = run_cycle(config, store, fixed_clock(kNow + std::chrono::hours(1)));
  EXPECT_EQ(second.record.status, "partial");
  EXPECT_NE(second.record.error.find("check retention-window failed"), std::string::npos) << second.record.error;
  EXPECT_EQ(retention(second), retention(first)) << "a check that did not complete resolves nothing";
  EXPECT_EQ(second.lifecycle.resolved, 0);
  bool named = false;
  for (const auto& f : second.current) {
    named = named || (f.check_id == "source-unavailable" && f.subject == "check:retention-window" &&
                      f.status == FindingStatus::open && f.detail.find("retention-window") != std::string::npos);
  }
  EXPECT_TRUE(named);
  // The other checks still ran.
  EXPECT_GT(second.record.checks_run, 10);
  // Never a pass, whatever fail_on: exit code 3.
  EXPECT_TRUE(audit_fails(second, Severity::critical));

  // Repaired: the check runs again, resolves, and the finding about it goes.
  config.checks["retention-window"].params = default_params(find_check("retention-window")->info);
  const auto third = run_cycle(config, store, fixed_clock(kNow + std::chrono::hours(2)));
  EXPECT_EQ(third.record.status, "ok");
  EXPECT_TRUE(retention(third).empty());
  EXPECT_FALSE(audit_fails(third, Severity::critical));
}

}  // namespace
}  // namespace complyd::itest
