// SPDX-License-Identifier: Apache-2.0
// The sql source's pure parts (time text, column contracts, loopback hosts)
// and how sync activity from a second source reaches offboarding-completeness.
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/support.hpp"
#include "daemon/sources/sql_source.hpp"
#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

TEST(SqlTime, Rfc3339AndPostgresTextOutput) {
  const auto t = parse_time("2026-11-22T10:00:00Z");
  EXPECT_EQ(parse_sql_time("2026-11-22T10:00:00Z"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 10:00:00+00"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 10:00:00.123456+00"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 12:00:00+02"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 15:30:00+05:30"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 05:00:00-05"), t);
  EXPECT_EQ(parse_sql_time("2026-11-22 10:00:00"), t);  // timestamp without time zone: UTC
  EXPECT_EQ(parse_sql_time("2026-11-22 10:00:00.5"), t);
  EXPECT_FALSE(parse_sql_time("infinity"));
  EXPECT_FALSE(parse_sql_time("yesterday"));
  EXPECT_FALSE(parse_sql_time(""));
}

TEST(SqlColumns, ContractMessages) {
  EXPECT_EQ(check_sql_columns("sync_activity_query", sql_sync_activity_columns(), {"last_sync_at", "customer_id"}), "");
  EXPECT_EQ(check_sql_columns("audit_events_query", sql_audit_events_columns(),
                              {"customer_id", "actor", "action", "at"}),
            "");
  EXPECT_EQ(check_sql_columns("sync_activity_query", sql_sync_activity_columns(),
                              {"customer_id", "last_sync_at", "customer_id"}),
            "sync_activity_query returns columns (customer_id, last_sync_at, customer_id) but must return "
            "customer_id, last_sync_at; unexpected or repeated: customer_id (name them with AS)");
  EXPECT_EQ(check_sql_columns("audit_events_query", sql_audit_events_columns(), {"customer_id", "who"}),
            "audit_events_query returns columns (customer_id, who) but must return customer_id, actor, action, at "
            "(optional: resource); missing: actor, action, at; unexpected or repeated: who (name them with AS)");
}

TEST(SqlHosts, LoopbackAndSockets) {
  EXPECT_TRUE(pg_hosts_are_local(""));
  EXPECT_TRUE(pg_hosts_are_local("/var/run/postgresql"));
  EXPECT_TRUE(pg_hosts_are_local("localhost,127.0.0.1,::1"));
  EXPECT_FALSE(pg_hosts_are_local("127.0.0.1,db.internal"));
  EXPECT_FALSE(pg_hosts_are_local("10.0.0.5"));
  EXPECT_FALSE(pg_hosts_are_local("localhost.evil.example"));
}

Facts offboarded_with_activity() {
  Facts f;
  auto c = customer("gone", CustomerStatus::offboarded);
  c.offboarded_at = ago(days(40));
  c.last_sync_at = ago(days(41));  // the inventory's view: before offboarding
  f.customers.push_back(c);
  f.audit_events.push_back({"gone", "ops:alice", "offboarded", "gone", ago(days(40))});
  return f;
}

TEST(CustomerActivity, LaterSyncFromAnotherSourceOpensTheFinding) {
  Facts f = offboarded_with_activity();
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
  f.customer_activity.push_back({"gone", ago(days(39))});
  f.customer_activity.push_back({"other", ago(days(1))});  // not offboarded: ignored
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "sync:activity");
  EXPECT_EQ(out[0].customer_id, "gone");
  EXPECT_NE(out[0].detail.find(format_time(ago(days(39)))), std::string::npos) << out[0].detail;
}

TEST(CustomerActivity, TheLatestOfInventoryAndActivityCounts) {
  Facts f = offboarded_with_activity();
  f.customers[0].last_sync_at = ago(days(20));
  f.customer_activity.push_back({"gone", ago(days(45))});  // older: the inventory's later time wins
  f.customer_activity.push_back({"gone", std::nullopt});   // no activity at all
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find(format_time(ago(days(20)))), std::string::npos) << out[0].detail;
  f.customers[0].last_sync_at = std::nullopt;
  f.customer_activity = {{"gone", ago(days(40))}};  // exactly at offboarding: fine
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
}

TEST(CustomerActivity, AFailedActivitySourceMakesOffboardingIncomplete) {
  Facts f;
  f.sources.push_back({"sql-main", "sql", false, "down", {FactKind::customer_activity}, std::nullopt, 0, {}});
  EXPECT_FALSE(f.kind_complete(FactKind::customer_activity));
  EXPECT_TRUE(f.kind_complete(FactKind::customers));
  const auto& needs = find_check("offboarding-completeness")->info.needs;
  EXPECT_NE(std::find(needs.begin(), needs.end(), FactKind::customer_activity), needs.end());
}

}  // namespace
}  // namespace complyd::testing
