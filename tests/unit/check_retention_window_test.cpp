// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

DataSet data_set(std::string name, std::string data_class, std::optional<Duration> age, std::int64_t records = 100,
                 std::string customer_id = "") {
  DataSet d;
  d.customer_id = std::move(customer_id);
  d.name = std::move(name);
  d.data_class = std::move(data_class);
  d.location = "store/" + d.name;
  d.record_count = records;
  if (age) d.oldest_record_at = ago(*age);
  d.newest_record_at = kNow;
  return d;
}

struct RetentionCase {
  const char* name;
  std::string data_class;
  std::optional<Duration> age;  // of the oldest record; nullopt: unknown
  std::int64_t records;
  std::size_t expected;
  std::string title_part;
};

class RetentionWindow : public ::testing::TestWithParam<RetentionCase> {};

TEST_P(RetentionWindow, Thresholds) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));  // onboarded 400 days ago
  f.data_sets.push_back(data_set("ds", tc.data_class, tc.age, tc.records, "c1"));
  auto out = run_check("retention-window", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_NE(out[0].title.find(tc.title_part), std::string::npos) << out[0].title;
    EXPECT_EQ(out[0].customer_id, "c1");
    EXPECT_EQ(out[0].subject, "data:ds");
    EXPECT_FALSE(out[0].remediation.empty());
    EXPECT_EQ(std::count_if(out[0].title.begin(), out[0].title.end(), [](char c) { return std::isdigit(c); }), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Edges, RetentionWindow,
    ::testing::Values(
        RetentionCase{"dead letter fresh", "dead_letter", days(10), 5, 0, ""},
        RetentionCase{"dead letter exactly 90d", "dead_letter", days(90), 5, 0, ""},
        RetentionCase{"dead letter one second over", "dead_letter", days(90) + secs(1), 5, 1, "kept longer"},
        RetentionCase{"reconciliation exactly 365d", "reconciliation_log", days(365), 5, 0, ""},
        RetentionCase{"reconciliation one second over", "reconciliation_log", days(365) + secs(1), 5, 1,
                      "kept longer"},
        RetentionCase{"hot worker logs exactly 30d", "worker_log_hot", days(30), 5, 0, ""},
        RetentionCase{"hot worker logs one second over", "worker_log_hot", days(30) + secs(1), 5, 1, "kept longer"},
        RetentionCase{"cold worker logs exactly 365d", "worker_log_cold", days(365), 5, 0, ""},
        RetentionCase{"cold worker logs one second over", "worker_log_cold", days(365) + secs(1), 5, 1,
                      "kept longer"},
        RetentionCase{"captures exactly 30d", "webhook_capture", days(30), 5, 0, ""},
        RetentionCase{"captures one second over", "webhook_capture", days(30) + secs(1), 5, 1, "kept longer"},
        RetentionCase{"empty data set passes", "dead_letter", days(900), 0, 0, ""},
        RetentionCase{"sync state has no limit", "sync_state", days(900), 5, 0, ""},
        RetentionCase{"unknown class", "marketing_export", days(1), 5, 1, "no retention rule"},
        RetentionCase{"unknown class but empty", "marketing_export", days(1), 0, 0, ""},
        RetentionCase{"unknown age", "dead_letter", std::nullopt, 5, 1, "unknown age"},
        RetentionCase{"empty data set of unknown age", "dead_letter", std::nullopt, 0, 0, ""},
        RetentionCase{"oldest record in the future", "dead_letter", -days(3), 5, 1, "in the future"},
        RetentionCase{"within clock skew", "dead_letter", -secs(60), 5, 0, ""},
        // Audit logs: at least 365 days (the customer was onboarded 400 days ago).
        RetentionCase{"audit log exactly 365d", "audit_log", days(365), 5, 0, ""},
        RetentionCase{"audit log one second short", "audit_log", days(365) - secs(1), 5, 1, "audit log kept shorter"},
        RetentionCase{"audit log very old", "audit_log", days(3000), 5, 0, ""},
        RetentionCase{"audit log of unknown age", "audit_log", std::nullopt, 5, 1, "unknown age"},
        RetentionCase{"audit log in the future", "audit_log", -days(1), 5, 1, "in the future"}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(RetentionWindowCheck, SeverityOfUnknownClassIsLow) {
  Facts f;
  f.data_sets.push_back(data_set("exports", "marketing_export", days(1)));
  auto out = run_check("retention-window", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::low);
  EXPECT_TRUE(out[0].customer_id.empty());
  auto ok = run_check<RetentionWindowParams>("retention-window", f, kNow,
                                             [](auto& p) { p.max_age["marketing_export"] = days(30); });
  EXPECT_TRUE(ok.empty());
}

TEST(RetentionWindowCheck, AuditLogRequiredOnlySinceTheIntegrationStarted) {
  Facts f;
  auto c = customer("c1");
  c.onboarded_at = ago(days(200));
  f.customers.push_back(c);
  auto late = customer("c2");
  late.onboarded_at = ago(days(20));
  f.customers.push_back(late);
  f.customers.push_back(customer("c3"));
  f.customers.back().onboarded_at.reset();  // unknown: does not move the start
  f.data_sets.push_back(data_set("audit", "audit_log", days(200)));
  EXPECT_TRUE(run_check("retention-window", f).empty());
  f.data_sets.back().oldest_record_at = ago(days(200) - secs(1));
  auto out = run_check("retention-window", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("365d"), std::string::npos) << out[0].detail;
  bool has_required = false;
  for (const auto& [k, v] : out[0].evidence) has_required |= k == "required_from";
  EXPECT_TRUE(has_required);
}

TEST(RetentionWindowCheck, AuditLogWithoutCustomersNeedsTheFullYear) {
  Facts f;
  f.data_sets.push_back(data_set("audit", "audit_log", days(200)));
  ASSERT_EQ(run_check("retention-window", f).size(), 1u);
  auto shorter =
      run_check<RetentionWindowParams>("retention-window", f, kNow, [](auto& p) { p.audit_log_min = days(180); });
  EXPECT_TRUE(shorter.empty());
}

TEST(RetentionWindowCheck, AnonymisedDataHasNoAgeLimit) {
  Facts f;
  auto d = data_set("old_dead_letters", "dead_letter", days(400));
  d.anonymised = true;
  f.data_sets.push_back(d);
  EXPECT_TRUE(run_check("retention-window", f).empty());
}

TEST(RetentionWindowCheck, ConfigurableLimitsAndUnlimitedClasses) {
  Facts f;
  f.data_sets.push_back(data_set("dl", "dead_letter", days(40)));
  f.data_sets.push_back(data_set("state", "sync_state", days(400)));
  auto out = run_check<RetentionWindowParams>("retention-window", f, kNow, [](auto& p) {
    p.max_age["dead_letter"] = days(30);
    p.max_age["sync_state"] = days(365);
    p.unlimited_classes.clear();
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, "data:dl");
  EXPECT_NE(out[0].detail.find("30d"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[1].subject, "data:state");
}

TEST(RetentionWindowCheck, DetailAndEvidenceNameTheDataSet) {
  Facts f;
  f.data_sets.push_back(data_set("worker_logs/cold", "worker_log_cold", days(420)));
  auto out = run_check("retention-window", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "data:worker_logs/cold");
  EXPECT_NE(out[0].detail.find("store/worker_logs/cold"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("2025-09-28"), std::string::npos) << out[0].detail;  // oldest record
  EXPECT_NE(out[0].detail.find("365d"), std::string::npos) << out[0].detail;
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["age_days"], "420");
  EXPECT_EQ(ev["records"], "100");
  EXPECT_EQ(ev["max_age"], "365d");
}

}  // namespace
}  // namespace complyd::testing
