// The report history a cycle writes: a state found unchanged is kept as its
// digest only, is not written again, and is never written empty.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon/config/config.hpp"
#include "daemon/report/history.hpp"
#include "daemon/store/report_store.hpp"
#include "daemon/store/state_store.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

Facts two_customers() {
  Facts f;
  f.customers = {customer("c1"), customer("c2")};
  f.credentials = {credential("c1", "api_token"), credential("c2", "api_token")};
  return f;
}

// Through the cycle's own commit (the history belongs to a cycle row).
void commit(StateStore& store, Time at, ReportHistory h) {
  CycleRecord c;
  c.started_at = at;
  c.finished_at = at;
  c.status = "ok";
  c.report_history = std::make_shared<const ReportHistory>(std::move(h));
  ASSERT_GT(store.commit_cycle(c, LifecycleResult{}), 0);
}

std::int64_t rows(sql::Db& db, const std::string& where = "1") {
  sql::Stmt s(db, "SELECT count(*) FROM report_customer_state WHERE " + where);
  s.step();
  return s.i64(0);
}

TEST(ReportHistory, UnchangedStatesAreKeptAsDigestsAndNotWrittenAgain) {
  TempDir t;
  StateStore store(t.path / "state.db");
  const Config config;
  Facts facts = two_customers();

  auto first = summarize_for_report(facts, {}, config, load_state_digests(store.db()));
  ASSERT_EQ(first.customers.size(), 2u);
  EXPECT_FALSE(first.customers[0].unchanged);
  EXPECT_FALSE(first.customers[0].state_json.empty());
  commit(store, kNow, std::move(first));
  EXPECT_EQ(rows(store.db()), 2);

  // c2 changes; c1 does not, and its text is not kept.
  facts.customers[1].status = CustomerStatus::offboarding;
  auto second = summarize_for_report(facts, {}, config, load_state_digests(store.db()));
  ASSERT_EQ(second.customers.size(), 2u);
  EXPECT_TRUE(second.customers[0].unchanged);
  EXPECT_TRUE(second.customers[0].state_json.empty());
  EXPECT_EQ(second.customers[0].digest.size(), 64u);
  EXPECT_FALSE(second.customers[1].unchanged);
  commit(store, kNow + hours(1), std::move(second));
  EXPECT_EQ(rows(store.db()), 3);
  EXPECT_EQ(rows(store.db(), "valid_to IS NULL"), 2);
  EXPECT_EQ(rows(store.db(), "state = '' OR state IS NULL"), 0);
}

TEST(ReportHistory, AStateChangedByAnotherWriterMeanwhileIsNeverWrittenEmpty) {
  TempDir t;
  StateStore store(t.path / "state.db");
  const Config config;
  Facts facts = two_customers();
  commit(store, kNow, summarize_for_report(facts, {}, config));
  // Summarised against the stored digests...
  auto h = summarize_for_report(facts, {}, config, load_state_digests(store.db()));
  ASSERT_TRUE(h.customers[0].unchanged);
  // ...then another process records a different state for c1 before this commit.
  store.db().exec("UPDATE report_customer_state SET digest = 'other' WHERE customer_id = 'c1'");
  commit(store, kNow + hours(1), std::move(h));
  EXPECT_EQ(rows(store.db(), "state = '' OR state IS NULL"), 0);
  EXPECT_EQ(rows(store.db(), "customer_id = 'c1'"), 1) << "left for the next cycle to record";
}

}  // namespace
}  // namespace complyd::testing
