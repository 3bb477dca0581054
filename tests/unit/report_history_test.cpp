// SPDX-License-Identifier: Apache-2.0
// The report history a cycle writes: a state found unchanged is kept as its
// digest only, is not written again, and is never written empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/config/config.hpp"
#include "daemon/report/history.hpp"
#include "daemon/report/report_store.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"
#include "daemon/sources/registry.hpp"
#include "commit_cycle.hpp"

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
  ASSERT_GT(commit_cycle(store, c, LifecycleResult{}, {}, nullptr, &h), 0);
}

std::int64_t rows(sql::Db& db, const std::string& where = "1") {
  sql::Stmt s(db, "SELECT count(*) FROM report_customer_state WHERE " + where);
  s.step();
  return s.i64(0);
}

TEST(ReportHistory, UnchangedStatesAreKeptAsDigestsAndNotWrittenAgain) {
  TempDir t;
  StateStore store(t.path / "state.db", StateUse::simulated);
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
  StateStore store(t.path / "state.db", StateUse::simulated);
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

Facts many_customers(int n) {
  Facts f;
  for (int i = 0; i < n; ++i) {
    const std::string id = "c" + std::to_string(1000 + (i * 7919) % 9000);  // not in id order
    f.customers.push_back(customer(id));
    f.credentials.push_back(credential(id, "api_token"));
    f.credentials.push_back(credential(id, "webhook_secret"));
  }
  return f;
}

// The cycle builds the states in ranges on several threads, in batches.
TEST(ReportHistory, StatesBuiltInRangesAndBatchesAreTheStatesBuiltInOnePiece) {
  const Config config;
  const Facts facts = many_customers(300);
  const auto whole = summarize_for_report(facts, {}, config);
  ASSERT_EQ(whole.customers.size(), 300u);

  const ReportStatePlan plan(facts, {}, config);
  ASSERT_EQ(plan.customers(), 300u);
  std::vector<ReportHistory> parts;
  std::size_t batches = 0;
  for (auto [from, to] : {std::pair<std::size_t, std::size_t>{0, 100}, {100, 101}, {101, 300}}) {
    plan.states(from, to, {}, [&](ReportHistory&& b) {
      EXPECT_LE(b.customers.size(), 16u);
      ++batches;
      parts.push_back(std::move(b));
    }, 16);
  }
  EXPECT_GT(batches, 3u);
  std::vector<const CustomerStateRow*> rows;
  for (const auto& p : parts) {
    for (const auto& c : p.customers) rows.push_back(&c);
  }
  ASSERT_EQ(rows.size(), whole.customers.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]->customer_id, whole.customers[i].customer_id) << i;
    EXPECT_EQ(rows[i]->state_json, whole.customers[i].state_json) << i;
    EXPECT_EQ(rows[i]->digest, whole.customers[i].digest) << i;
  }
}

// The writer takes the batches in whatever order the threads finish them;
// every customer not added is recorded as gone.
TEST(ReportHistory, BatchesWrittenInAnyOrderRecordTheSameRows) {
  const Config config;
  TempDir t;
  StateStore store(t.path / "state.db", StateUse::simulated);
  Facts facts = many_customers(50);
  commit(store, kNow, summarize_for_report(facts, {}, config));
  ASSERT_EQ(rows(store.db(), "valid_to IS NULL"), 50);

  // Next cycle: one customer gone, one changed; batches arrive out of order.
  facts.customers.erase(facts.customers.begin());
  facts.customers[0].status = CustomerStatus::offboarding;
  const ReportStatePlan plan(facts, {}, config);
  std::vector<ReportHistory> batches;
  plan.states(0, plan.customers(), load_state_digests(store.db()),
              [&](ReportHistory&& b) { batches.push_back(std::move(b)); }, 8);
  ASSERT_GT(batches.size(), 3u);
  std::reverse(batches.begin(), batches.end());
  {
    StateStore::CycleWrite w(store, kNow + hours(1));
    ReportHistoryWriter h(store.db(), kNow + hours(1));
    for (const auto& b : batches) h.add(b.customers);
    CycleRecord c;
    c.started_at = c.finished_at.emplace(kNow + hours(1));
    c.status = "ok";
    w.record(c, LifecycleResult{}, nullptr);
    h.finish(c.id, ReportHistory{});
    w.commit();
    ASSERT_GT(c.id, 0);
  }
  EXPECT_EQ(rows(store.db(), "valid_to IS NULL"), 49);
  EXPECT_EQ(rows(store.db()), 51) << "one new row, for the changed customer";
  EXPECT_EQ(rows(store.db(), "valid_to IS NOT NULL"), 2) << "the changed one's old row and the gone one's";
}

// Destroyed without commit(): nothing of the cycle stays, not even its row.
TEST(ReportHistory, ACycleWriteNotFinishedLeavesNothing) {
  const Config config;
  TempDir t;
  StateStore store(t.path / "state.db", StateUse::simulated);
  const Facts facts = many_customers(20);
  {
    StateStore::CycleWrite w(store, kNow);
    ReportHistoryWriter h(store.db(), kNow);
    h.add(summarize_for_report(facts, {}, config).customers);
  }
  EXPECT_EQ(rows(store.db()), 0);
  sql::Stmt s(store.db(), "SELECT count(*) FROM cycles");
  s.step();
  EXPECT_EQ(s.i64(0), 0);
}

}  // namespace
}  // namespace complyd::testing

namespace complyd::testing {
namespace {

// The cycle stores states in the compact format 2; the report reads them
// through expand_report_state as format 1's object, field for field.
TEST(ReportHistory, CompactStatesExpandToTheObjectTheReportReads) {
  auto parsed = parse_config("[inventory]\npath = \"inventory.db\"\n", "/etc/complyd/complyd.toml");
  ASSERT_TRUE(parsed.ok());
  Facts f;
  f.customers = {customer("c1", CustomerStatus::offboarded)};
  f.customers[0].jurisdiction = "EU";
  f.credentials = {credential("c1", "webhook_secret"), credential("c1", "api_token", CredentialRole::previous),
                   credential("c1", "custom_kind", CredentialRole::current, std::nullopt)};
  WebhookSubscription w;
  w.id = "wh_1";
  w.customer_id = "c1";
  w.platform = "raise";
  w.status = SubscriptionStatus::active;
  w.notification_url = "http://partner.example/hook";
  f.webhooks = {w};
  SignatureSummary sig;
  sig.delivering.insert("c1");
  auto h = summarize_for_report(f, std::move(sig), *parsed.config);
  ASSERT_EQ(h.customers.size(), 1u);
  const auto stored = nlohmann::json::parse(h.customers[0].state_json);
  ASSERT_TRUE(stored.is_array()) << stored.dump();
  EXPECT_EQ(stored[0], 2);

  const std::int64_t basis = to_unix(ago(days(10))), offboarded = to_unix(ago(days(10)));
  const std::int64_t d90 = 90 * kSecondsPerDay;
  const auto expected = nlohmann::json::parse(fmt::format(R"({{
    "status": "offboarded", "environment": "production", "jurisdiction": "EU", "name": "c1",
    "offboarded_at": {1}, "deliveries": true,
    "credentials": [
      {{"path": "raise/production/c1/api_token", "kind": "api_token", "environment": "production",
       "role": "previous", "basis_at": {0}, "limit": {2}, "due_at": {3}}},
      {{"path": "raise/production/c1/custom_kind", "kind": "custom_kind", "environment": "production",
       "role": "current", "basis_at": null, "limit": null, "due_at": null}},
      {{"path": "raise/production/c1/webhook_secret", "kind": "webhook_secret", "environment": "production",
       "role": "current", "basis_at": {0}, "limit": {2}, "due_at": {3}}}],
    "webhooks": [{{"id": "wh_1", "platform": "raise", "status": "active", "https": false}}],
    "admin_email": null, "attestations": []}})",
                                                          basis, offboarded, d90, basis + d90));
  EXPECT_EQ(expand_report_state(stored), expected) << expand_report_state(stored).dump();
}

TEST(ReportHistory, FormatOneStatesAndDamagedRowsStillRead) {
  const auto v1 = nlohmann::json::parse(R"({"status":"active","credentials":[],"webhooks":[]})");
  EXPECT_EQ(expand_report_state(v1), v1);
  // Short or mistyped positions read as null, never throw.
  const auto damaged = expand_report_state(nlohmann::json::parse(R"([2,"active",null,"EU",7,"x",true,[["p"]],[5]])"));
  EXPECT_EQ(damaged["status"], "active");
  EXPECT_EQ(damaged["credentials"][0]["path"], "p");
  EXPECT_TRUE(damaged["credentials"][0]["kind"].is_null());
  EXPECT_TRUE(damaged["credentials"][0]["due_at"].is_null());
  EXPECT_TRUE(damaged["webhooks"][0]["id"].is_null());
  EXPECT_TRUE(expand_report_state(nlohmann::json::parse("[2]"))["credentials"].empty());
  // Any other shape (another version, a bare value) reads as an empty state:
  // the report reads fields of an object, and must not throw on one row.
  for (const char* other : {R"([3,"active"])", "[]", R"("active")", "7", "null"}) {
    const auto e = expand_report_state(nlohmann::json::parse(other));
    EXPECT_TRUE(e.is_object() && e.empty()) << other;
  }
}

}  // namespace
}  // namespace complyd::testing

namespace complyd::testing {
namespace {

// The hour before the cycle, summed per customer; the same result however
// many threads sum it.
TEST(SignatureSummary, SumsTheLastHourWhateverTheWorkers) {
  Facts f;
  const std::int64_t now_min = to_unix(kNow) / 60;
  for (int c = 0; c < 9; ++c) {
    std::vector<VerificationMinute> m;
    m.push_back({now_min - 61, 100, 100, 100});  // before the window
    m.push_back({now_min - 60, 10, static_cast<std::uint32_t>(c % 3 == 0 ? 2 : 0), 0});  // first minute in it
    m.push_back({now_min - 1, 5, 0, static_cast<std::uint32_t>(c == 4 ? 1 : 0)});  // last minute in it
    m.push_back({now_min, 100, 100, 100});  // the cycle's own minute: after the window
    f.verifications.push_back({fmt::format("c{}", c), PackedMinutes(m)});
  }
  f.verifications.push_back({"quiet", PackedMinutes(std::vector<VerificationMinute>{{now_min - 120, 3, 3, 3}})});
  const auto one = summarize_signatures(f, kNow, 1);
  EXPECT_EQ(one.delivering.size(), 9u);
  EXPECT_FALSE(one.delivering.contains("quiet"));
  ASSERT_EQ(one.rates.size(), 4u);  // c0, c3, c4, c6: a failed or unsigned delivery
  EXPECT_EQ(one.rates[0].customer_id, "c0");
  EXPECT_EQ(one.rates[0].ok, 15);
  EXPECT_EQ(one.rates[0].fail, 2);
  EXPECT_EQ(one.rates[2].customer_id, "c4");
  EXPECT_EQ(one.rates[2].unsigned_processed, 1);
  for (unsigned w : {2u, 3u, 7u, 64u}) {
    const auto many = summarize_signatures(f, kNow, w);
    EXPECT_EQ(many.delivering, one.delivering) << w;
    ASSERT_EQ(many.rates.size(), one.rates.size()) << w;
    for (std::size_t i = 0; i < one.rates.size(); ++i) {
      EXPECT_EQ(many.rates[i].customer_id, one.rates[i].customer_id) << w;
      EXPECT_EQ(many.rates[i].fail, one.rates[i].fail) << w;
    }
  }
}

}  // namespace
}  // namespace complyd::testing
