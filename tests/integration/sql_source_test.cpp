// SPDX-License-Identifier: Apache-2.0
// The sql source against a real SQLite file and a real PostgreSQL server
// (postgres_fixture.hpp): column contracts, bad rows, timeouts, the
// read-only guard, authentication, and end to end through `complyd audit`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/util/sqlite.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "postgres_fixture.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

const std::string kPassword = "CANARY-pg-Zq8Xw3Lr5Tn1Vb7Hm2";
const std::string kWrongPassword = "CANARY-wrong-Kp4Yd9Fs6Gh3Jm8";

struct Collected {
  Facts facts;
  std::vector<std::string> problems;
  std::string error;  // what collect threw
  std::vector<FactKind> provides;
};

// Parses `toml` (with an [inventory] header) and collects its one [[sources]].
Collected collect_one(const TempDir& dir, const std::string& toml) {
  write_file(dir / "complyd.toml", "[inventory]\npath = \"inventory.db\"\n" + toml);
  auto r = load_config(dir / "complyd.toml");
  Collected c;
  if (!r.ok()) {
    for (const auto& p : r.problems) c.error += p.to_string() + "\n";
    ADD_FAILURE() << "config: " << c.error;
    return c;
  }
  const SourceContext ctx{*r.config};
  const SourceConfig& sc = r.config->sources.at(0);
  auto src = find_source_type(sc.type)->make(sc, ctx);
  c.provides = src->provides();
  try {
    src->collect(c.facts, kNow, c.problems);
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  return c;
}

std::string config_problems(const TempDir& dir, const std::string& toml) {
  write_file(dir / "complyd.toml", "[inventory]\npath = \"inventory.db\"\n" + toml);
  auto r = load_config(dir / "complyd.toml");
  std::string out;
  for (const auto& p : r.problems) out += p.to_string() + "\n";
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& part) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

// ---- SQLite --------------------------------------------------------------------

class SqlSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    sql::Db db(dir_ / "app.db", sql::OpenMode::read_write_create);
    db.exec(R"(
      CREATE TABLE dead_letters (customer TEXT, resolved_at TEXT, created_unix INTEGER);
      INSERT INTO dead_letters VALUES ('cust_a', '2026-05-01T00:00:00Z', 1777593600),
                                      ('cust_a', '2026-11-01T00:00:00Z', 1793491200),
                                      ('cust_b', 'yesterday', 1793491200),
                                      ('cust_c', NULL, NULL);
      CREATE TABLE sync_runs (customer TEXT, finished INTEGER);
      INSERT INTO sync_runs VALUES ('cust_a', 1793577600), ('cust_b', 1793664000), ('cust_c', NULL);
      CREATE TABLE audit (customer TEXT, who TEXT, what TEXT, obj TEXT, at TEXT);
      INSERT INTO audit VALUES ('cust_a', 'ops:alice', 'offboarded', 'cust_a', '2026-10-01 10:00:00'),
                               ('cust_b', 'ops:bob', 'token_read', NULL, 'not a time'),
                               ('cust_c', NULL, 'token_read', NULL, '2026-10-01T00:00:00Z');
    )");
  }

  std::string source(const std::string& queries) {
    return "[[sources]]\nname = \"app-db\"\ntype = \"sql\"\ndriver = \"sqlite\"\npath = \"app.db\"\n" + queries;
  }

  TempDir dir_;
};

TEST_F(SqlSqlite, DataSetsPerCustomerWithTimesAsTextOrUnixSeconds) {
  auto c = collect_one(dir_, source(R"(
data_sets_query = """
  SELECT customer AS customer_id, 'dead_letter/' || customer AS name, 'dead_letter' AS data_class,
         'app.db:dead_letters' AS location, count(*) AS record_count,
         min(resolved_at) AS oldest_record_at, max(created_unix) AS newest_record_at, 0 AS anonymised
  FROM dead_letters GROUP BY customer ORDER BY customer
"""
)"));
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(c.provides, std::vector<FactKind>{FactKind::data_sets});
  ASSERT_EQ(c.facts.data_sets.size(), 3u);
  const DataSet& a = c.facts.data_sets[0];
  EXPECT_EQ(a.customer_id, "cust_a");
  EXPECT_EQ(a.name, "dead_letter/cust_a");
  EXPECT_EQ(a.location, "app.db:dead_letters");
  EXPECT_EQ(a.record_count, 2);
  EXPECT_EQ(a.oldest_record_at, parse_time("2026-05-01T00:00:00Z"));
  EXPECT_EQ(a.newest_record_at, from_unix(1793491200));
  // A bad time is an unknown time (retention-window reports it) and a problem line.
  EXPECT_FALSE(c.facts.data_sets[1].oldest_record_at.has_value());
  EXPECT_TRUE(contains(c.problems, "data_sets_query row 2: oldest_record_at 'yesterday' is not a time")) << c.problems.size();
  EXPECT_FALSE(c.facts.data_sets[2].oldest_record_at.has_value());  // NULL: unknown, no problem
  EXPECT_EQ(c.problems.size(), 1u);
}

TEST_F(SqlSqlite, SyncActivityAndAuditEventsWithBadRowsAsProblems) {
  auto c = collect_one(dir_, source(R"(
sync_activity_query = "SELECT customer AS customer_id, finished AS last_sync_at FROM sync_runs ORDER BY customer"
audit_events_query = "SELECT customer AS customer_id, who AS actor, what AS action, obj AS resource, at FROM audit ORDER BY customer"
)"));
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(c.provides, (std::vector<FactKind>{FactKind::customer_activity, FactKind::audit_events}));
  ASSERT_EQ(c.facts.customer_activity.size(), 3u);
  EXPECT_EQ(c.facts.customer_activity[1].last_sync_at, from_unix(1793664000));
  EXPECT_FALSE(c.facts.customer_activity[2].last_sync_at.has_value());
  ASSERT_EQ(c.facts.audit_events.size(), 1u);
  EXPECT_EQ(c.facts.audit_events[0].at, parse_time("2026-10-01T10:00:00Z"));
  EXPECT_EQ(c.facts.audit_events[0].resource, "cust_a");
  EXPECT_TRUE(contains(c.problems, "audit_events_query row 2: at 'not a time' is not a time"));
  EXPECT_TRUE(contains(c.problems, "audit_events_query row 3: actor is NULL; row skipped"));
}

// Issue 19: invalid UTF-8 and BLOBs are bad rows (text repaired with U+FFFD,
// never raw bytes in the facts), anonymised is 0 or 1 (2 is not "yes").
TEST_F(SqlSqlite, BadBytesAndWrongTypesAreProblemsNeverRawOrTrue) {
  {
    sql::Db db(dir_ / "app.db", sql::OpenMode::read_write_create);
    db.exec(R"(
      CREATE TABLE sets (customer TEXT, name TEXT, n INTEGER, oldest, anon);
      INSERT INTO sets VALUES (CAST(X'63FF' AS TEXT), 'a', 1, '2026-01-01T00:00:00Z', 0),
                              ('c2', 'b', 1, X'32303236', 0),
                              ('c3', 'c', 1, '2026-01-01T00:00:00Z', 2),
                              ('c4', X'6E616D65', 1, '2026-01-01T00:00:00Z', 1);
    )");
  }
  auto c = collect_one(dir_, source(R"(
data_sets_query = """
  SELECT customer AS customer_id, name, 'dead_letter' AS data_class, n AS record_count,
         oldest AS oldest_record_at, anon AS anonymised FROM sets ORDER BY rowid
"""
)"));
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.facts.data_sets.size(), 3u);
  EXPECT_EQ(c.facts.data_sets[0].customer_id, "c\xEF\xBF\xBD");
  EXPECT_FALSE(c.facts.data_sets[1].oldest_record_at.has_value());
  EXPECT_EQ(c.facts.data_sets[2].name, "name");
  EXPECT_TRUE(c.facts.data_sets[2].anonymised);
  EXPECT_TRUE(contains(c.problems, "data_sets_query row 1: customer_id is not valid UTF-8")) << c.problems.size();
  EXPECT_TRUE(contains(c.problems, "data_sets_query row 2: oldest_record_at a 4-byte BLOB is not a time"));
  EXPECT_TRUE(contains(c.problems, "data_sets_query row 3: anonymised '2' is not a boolean (0 or 1); row skipped"));
  EXPECT_TRUE(contains(c.problems, "data_sets_query row 4: name is a BLOB, not text"));
  EXPECT_EQ(c.problems.size(), 4u);
}

// `sources test` prints rejected rows on stdout, which the log sink's
// redaction does not see: a secret-shaped value in a bad row stays hidden.
TEST_F(SqlSqlite, SourcesTestRedactsRejectedRows) {
  {
    sql::Db db(dir_ / "app.db", sql::OpenMode::read_write_create);
    db.exec("INSERT INTO audit VALUES ('cust_d', 'ops:eve', 'token_read', NULL, 'password=Hunter2xyz')");
  }
  write_file(dir_ / "complyd.toml",
             "[inventory]\npath = \"inventory.db\"\n" +
                 source("audit_events_query = \"SELECT customer AS customer_id, who AS actor, what AS action, "
                        "obj AS resource, at FROM audit ORDER BY customer\"\n"));
  for (const char* format : {"text", "json"}) {
    auto r = run(dir_, {"sources", "test", "--config", (dir_ / "complyd.toml").string(), "--source", "app-db",
                        "--format", format});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("audit_events_query row 4"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Hunter2xyz"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find("Hunter2xyz"), std::string::npos) << r.err;
  }
}

TEST_F(SqlSqlite, WrongColumnsFailTheSourceNamingExpectedAndGot) {
  auto c = collect_one(dir_, source(
      "data_sets_query = \"SELECT customer AS customer_id, 'x' AS name, 'dead_letter' AS data_class, "
      "count(*) AS records, min(resolved_at) AS oldest_at FROM dead_letters GROUP BY customer\"\n"));
  EXPECT_NE(c.error.find("data_sets_query returns columns (customer_id, name, data_class, records, oldest_at) but "
                         "must return customer_id, name, data_class, record_count, oldest_record_at (optional: "
                         "location, newest_record_at, anonymised); missing: record_count, oldest_record_at; "
                         "unexpected or repeated: records, oldest_at"),
            std::string::npos)
      << c.error;
}

TEST_F(SqlSqlite, WritesAreRefusedAndTheDatabaseIsUnchanged) {
  auto c = collect_one(dir_, source("sync_activity_query = \"DELETE FROM sync_runs RETURNING customer AS "
                                    "customer_id, finished AS last_sync_at\"\n"));
  EXPECT_NE(c.error.find("sync_activity_query: the statement would write"), std::string::npos) << c.error;
  auto two = collect_one(dir_, source("sync_activity_query = \"SELECT 'a' AS customer_id, 1 AS last_sync_at; "
                                      "DELETE FROM sync_runs\"\n"));
  EXPECT_NE(two.error.find("one statement only"), std::string::npos) << two.error;
  sql::Db db(dir_ / "app.db", sql::OpenMode::read_only);
  sql::Stmt s(db, "SELECT count(*) FROM sync_runs");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 3);
}

TEST_F(SqlSqlite, ALongQueryTimesOut) {
  auto c = collect_one(dir_, source(R"(
timeout = "1s"
sync_activity_query = """
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000000)
  SELECT 'x' AS customer_id, max(i) AS last_sync_at FROM n
"""
)"));
  EXPECT_NE(c.error.find("sync_activity_query: the query timed out after 1s"), std::string::npos) << c.error;
}

TEST_F(SqlSqlite, MissingDatabaseFailsTheSource) {
  fs::remove(dir_ / "app.db");
  auto c = collect_one(dir_, source("sync_activity_query = \"SELECT 1 AS customer_id, 2 AS last_sync_at\"\n"));
  EXPECT_NE(c.error.find("does not exist"), std::string::npos) << c.error;
  EXPECT_FALSE(fs::exists(dir_ / "app.db"));  // read-only: never created
}

TEST_F(SqlSqlite, ConfigValidation) {
  EXPECT_NE(config_problems(dir_, "[[sources]]\nname = \"x\"\ntype = \"sql\"\ndriver = \"sqlite\"\npath = \"a.db\"\n")
                .find("set at least one of data_sets_query"),
            std::string::npos);
  EXPECT_NE(config_problems(dir_, "[[sources]]\nname = \"x\"\ntype = \"sql\"\ndriver = \"mysql\"\n").find(
                "'mysql' is not one of: postgresql, sqlite"),
            std::string::npos);
  EXPECT_NE(config_problems(dir_, "[[sources]]\nname = \"x\"\ntype = \"sql\"\ndriver = \"sqlite\"\n"
                                  "audit_events_query = \"SELECT 1\"\n")
                .find("driver \"sqlite\" needs 'path'"),
            std::string::npos);
}

// ---- PostgreSQL ------------------------------------------------------------------

class SqlPostgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Postgres::bin_dir().empty()) return;
    pg_ = std::make_unique<Postgres>();
    pg_->sql("postgres", "CREATE ROLE complyd LOGIN PASSWORD '" + kPassword + "';\nCREATE DATABASE sync;\n");
    pg_->sql("sync", R"(
      CREATE TABLE data_sets (customer_id text, name text NOT NULL, data_class text NOT NULL, location text,
                              record_count bigint NOT NULL, oldest timestamptz, newest timestamptz,
                              anonymised boolean NOT NULL DEFAULT false);
      INSERT INTO data_sets VALUES
        ('cust_a', 'dead_letter/cust_a', 'dead_letter', 'sync.dead_letters', 12,
         '2026-05-01 00:00:00+00', '2026-11-20 08:30:00.123456+00', false),
        ('', 'worker_logs/hot', 'worker_log_hot', 's3://logs/hot', 400,
         '2026-11-10 00:00:00+05:30', '2026-11-22 00:00:00+00', false),
        ('cust_b', 'reconciliation/cust_b', 'reconciliation_log', 'sync.reconciliation', 7,
         '2026-01-01 00:00:00+00', '2026-11-01 00:00:00+00', true);
      CREATE TABLE sync_runs (customer_id text NOT NULL, finished_at timestamptz);
      INSERT INTO sync_runs VALUES ('cust_gone', '2026-11-15 09:00:00+00'), ('cust_gone', '2026-10-01 09:00:00+00'),
                                   ('cust_a', '2026-11-22 11:00:00+00');
      CREATE TABLE audit_log (customer_id text, actor text, action text, resource text, at timestamptz);
      INSERT INTO audit_log VALUES ('cust_gone', 'ops:alice', 'offboarded', 'cust_gone', '2026-11-01 10:00:00+00');
      GRANT SELECT ON data_sets, sync_runs, audit_log TO complyd;
    )");
  }
  static void TearDownTestSuite() { pg_.reset(); }

  void SetUp() override {
    if (!pg_) GTEST_SKIP() << "PostgreSQL server binaries not found (apt install postgresql)";
    write_file(dir_ / "pg.pass", kPassword + "\n");
    write_file(dir_ / "wrong.pass", kWrongPassword + "\n");
  }

  std::string source(const std::string& extra, const std::string& password_file = "pg.pass") const {
    return "[[sources]]\nname = \"sql-main\"\ntype = \"sql\"\ndriver = \"postgresql\"\n"
           "conninfo = \"host=127.0.0.1 port=" + std::to_string(pg_->port()) + " dbname=sync user=complyd\"\n"
           "password_file = \"" + password_file + "\"\nconnect_timeout = \"5s\"\n" + extra;
  }

  static const char* data_sets_query() {
    return R"(data_sets_query = """
  SELECT customer_id, name, data_class, location, record_count, oldest AS oldest_record_at,
         newest AS newest_record_at, anonymised FROM data_sets ORDER BY name
"""
)";
  }

  static const char* sync_query() {
    return "sync_activity_query = \"SELECT customer_id, max(finished_at) AS last_sync_at FROM sync_runs GROUP BY "
           "customer_id ORDER BY customer_id\"\n";
  }

  // An inventory with one offboarded customer (inventory.db) and its config.
  void write_inventory() {
    create_inventory_schema(dir_ / "inventory.db");
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    db.exec("INSERT INTO customers(id, name, status, onboarded_at, offboarded_at) VALUES "
            "('cust_gone', 'Gone', 'offboarded', '2025-01-01T00:00:00Z', '2026-11-01T10:00:00Z'), "
            "('cust_a', 'A', 'active', '2025-01-01T00:00:00Z', NULL)");
  }

  json audit(const std::string& extra, int expected_exit, std::string* err = nullptr) {
    write_file(dir_ / "complyd.toml", "[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n" + extra);
    auto r = run(dir_, {"audit", "--state", sim_state(dir_), "--config", (dir_ / "complyd.toml").string(), "--format", "json", "--now", kDemoNow});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    EXPECT_EQ((r.out + r.err).find("CANARY"), std::string::npos);
    if (err) *err = r.err;
    return json::parse(r.out);
  }

  static std::unique_ptr<Postgres> pg_;
  TempDir dir_;
};

std::unique_ptr<Postgres> SqlPostgres::pg_;

const json* finding(const json& doc, const std::string& check, const std::string& subject) {
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == check && f["subject"] == subject) return &f;
  }
  return nullptr;
}

TEST_F(SqlPostgres, DataSetsFromTimestamptzColumns) {
  auto c = collect_one(dir_, source(data_sets_query()));
  ASSERT_EQ(c.error, "");
  EXPECT_TRUE(c.problems.empty());
  ASSERT_EQ(c.facts.data_sets.size(), 3u);
  const auto& dl = c.facts.data_sets[0];
  EXPECT_EQ(dl.name, "dead_letter/cust_a");
  EXPECT_EQ(dl.record_count, 12);
  EXPECT_EQ(dl.oldest_record_at, parse_time("2026-05-01T00:00:00Z"));
  EXPECT_EQ(dl.newest_record_at, parse_time("2026-11-20T08:30:00Z"));
  EXPECT_TRUE(c.facts.data_sets[1].anonymised);
  EXPECT_EQ(c.facts.data_sets[2].oldest_record_at, parse_time("2026-11-09T18:30:00Z"));  // +05:30 honoured
}

TEST_F(SqlPostgres, RetentionFindingsEndToEndAndAFailedSourceKeepsThem) {
  write_inventory();
  auto doc = audit(source(data_sets_query()), 3);
  const json* f = finding(doc, "retention-window", "data:dead_letter/cust_a");
  ASSERT_NE(f, nullptr) << doc.dump(2);
  EXPECT_EQ((*f)["customer_id"], "cust_a");
  EXPECT_EQ((*f)["status"], "open");
  // Anonymised reconciliation data and young worker logs pass.
  EXPECT_EQ(finding(doc, "retention-window", "data:reconciliation/cust_b"), nullptr);
  EXPECT_EQ(finding(doc, "retention-window", "data:worker_logs/hot"), nullptr);
  const std::string id = (*f)["id"];

  // The server refuses the query now: source-unavailable, the finding stays open.
  std::string err;
  auto blind = audit(source("data_sets_query = \"SELECT * FROM no_such_table\"\n"), 3, &err);
  const json* su = nullptr;
  for (const auto& x : blind["findings"]) {
    if (x["check_id"] == "source-unavailable" && x["subject"].get<std::string>().find("sql-main") != std::string::npos)
      su = &x;
  }
  ASSERT_NE(su, nullptr) << blind.dump(2);
  EXPECT_NE((*su)["detail"].get<std::string>().find("no_such_table"), std::string::npos) << (*su)["detail"];
  const json* kept = finding(blind, "retention-window", "data:dead_letter/cust_a");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ((*kept)["id"], id);
  EXPECT_EQ((*kept)["status"], "open");
  EXPECT_EQ(read_file(dir_ / kSimState).find("CANARY"), std::string::npos);
}

TEST_F(SqlPostgres, SyncActivityAfterOffboardingEndToEnd) {
  write_inventory();
  auto doc = audit(source(sync_query()), 3);
  const json* f = finding(doc, "offboarding-completeness", "sync:activity");
  ASSERT_NE(f, nullptr) << doc.dump(2);
  EXPECT_EQ((*f)["customer_id"], "cust_gone");
  EXPECT_NE((*f)["detail"].get<std::string>().find("2026-11-15T09:00:00Z"), std::string::npos) << (*f)["detail"];
}

TEST_F(SqlPostgres, WrongColumnNamesTheExpectedColumns) {
  auto c = collect_one(dir_, source("sync_activity_query = \"SELECT customer_id, finished_at FROM sync_runs\"\n"));
  EXPECT_NE(c.error.find("sync_activity_query returns columns (customer_id, finished_at) but must return "
                         "customer_id, last_sync_at; missing: last_sync_at; unexpected or repeated: finished_at"),
            std::string::npos)
      << c.error;
}

TEST_F(SqlPostgres, StatementTimeoutFailsTheSource) {
  write_inventory();
  std::string err;
  auto doc = audit(source("timeout = \"1s\"\nsync_activity_query = \"SELECT 'x' AS customer_id, now() AS "
                          "last_sync_at FROM pg_sleep(5)\"\n"),
                   3, &err);
  bool seen = false;
  for (const auto& s : doc["cycle"]["sources"]) {
    if (s["name"] != "sql-main") continue;
    seen = true;
    EXPECT_FALSE(s["ok"].get<bool>());
    EXPECT_NE(s["error"].get<std::string>().find("sync_activity_query: the query timed out after 1s"), std::string::npos)
        << s["error"];
  }
  EXPECT_TRUE(seen) << doc["cycle"].dump(2);
  const json* su = nullptr;
  for (const auto& x : doc["findings"]) {
    if (x["check_id"] == "source-unavailable") su = &x;
  }
  ASSERT_NE(su, nullptr);
}

TEST_F(SqlPostgres, TheServerRefusesWrites) {
  auto del = collect_one(dir_, source("data_sets_query = \"WITH gone AS (DELETE FROM data_sets RETURNING *) SELECT "
                                      "customer_id, name, data_class, record_count, oldest AS oldest_record_at FROM "
                                      "gone\"\n"));
  EXPECT_NE(del.error.find("data_sets_query: refused by the server: the query tries to write"), std::string::npos)
      << del.error;
  auto ins = collect_one(dir_, source("audit_events_query = \"INSERT INTO audit_log VALUES ('x', 'y', 'z', 'w', "
                                      "now()) RETURNING customer_id, actor, action, at\"\n"));
  EXPECT_NE(ins.error.find("refused by the server"), std::string::npos) << ins.error;
  // Even with the role's own privileges, nothing changed: prove it by reading back.
  auto c = collect_one(dir_, source(data_sets_query()));
  EXPECT_EQ(c.facts.data_sets.size(), 3u);
}

TEST_F(SqlPostgres, WrongPasswordIsAnAuthErrorWithoutThePassword) {
  auto c = collect_one(dir_, source(sync_query(), "wrong.pass"));
  EXPECT_NE(c.error.find("password authentication failed"), std::string::npos) << c.error;
  EXPECT_NE(c.error.find("check the conninfo user, password_file"), std::string::npos) << c.error;
  EXPECT_EQ(c.error.find(kWrongPassword), std::string::npos);
  // Through the binary: nothing prints or stores either password.
  write_file(dir_ / "complyd.toml", "[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n" +
                                        source(sync_query(), "wrong.pass"));
  auto r = run(dir_, {"sources", "test", "--config", (dir_ / "complyd.toml").string(), "--source", "sql-main",
                      "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("password authentication failed"), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find("CANARY"), std::string::npos) << r.out << r.err;
  // And the right one works through the same command.
  write_file(dir_ / "complyd.toml", "[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n" +
                                        source(sync_query()));
  r = run(dir_, {"sources", "test", "--config", (dir_ / "complyd.toml").string(), "--source", "sql-main", "--format",
                 "json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)[0]["collected"]["customer_activity"], 2) << r.out;
  EXPECT_EQ((r.out + r.err).find("CANARY"), std::string::npos);
}

TEST_F(SqlPostgres, InlinePasswordsAndUnverifiedTlsAreRefused) {
  const std::string base = "[[sources]]\nname = \"x\"\ntype = \"sql\"\ndriver = \"postgresql\"\n"
                           "sync_activity_query = \"SELECT 1\"\n";
  auto m = config_problems(dir_, base + "conninfo = \"host=db.internal user=c password=" + kWrongPassword + "\"\n");
  EXPECT_NE(m.find("passwords are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;
  m = config_problems(dir_, base + "conninfo = \"postgresql://c:" + kWrongPassword + "@db.internal/sync\"\n");
  EXPECT_NE(m.find("passwords are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;
  m = config_problems(dir_, base + "conninfo = \"host=db.internal dbname=sync sslmode=require\"\n");
  EXPECT_NE(m.find("sslmode=require does not verify the server"), std::string::npos) << m;
  EXPECT_EQ(config_problems(dir_, base + "conninfo = \"host=db.internal dbname=sync\"\n"), "");
  EXPECT_EQ(config_problems(dir_, base + "conninfo = \"host=127.0.0.1 dbname=sync sslmode=disable\"\n"), "");
}

}  // namespace
}  // namespace complyd::itest
