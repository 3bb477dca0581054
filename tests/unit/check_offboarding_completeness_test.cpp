// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

Facts offboarded_clean() {
  Facts f;
  auto c = customer("gone", CustomerStatus::offboarded);
  c.offboarded_at = ago(days(40));
  c.last_sync_at = ago(days(41));
  f.customers.push_back(c);
  f.audit_events.push_back({"gone", "ops:alice", "offboarded", "gone", ago(days(40))});
  WebhookSubscription w;
  w.id = "wh1";
  w.customer_id = "gone";
  w.platform = "raise";
  w.notification_url = "https://partner.example.com/hooks/gone";
  w.status = SubscriptionStatus::deleted;
  f.webhooks.push_back(w);
  return f;
}

TEST(OffboardingCompleteness, CleanOffboardingPasses) {
  EXPECT_TRUE(run_check("offboarding-completeness", offboarded_clean()).empty());
}

TEST(OffboardingCompleteness, EachLeftoverIsItsOwnFinding) {
  Facts f = offboarded_clean();
  f.credentials.push_back(credential("gone", "api_token"));
  f.credentials.push_back(credential("gone", "webhook_secret", CredentialRole::previous));
  f.webhooks[0].status = SubscriptionStatus::active;
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(count_subject(out, "raise/production/gone/api_token"), 1u);
  EXPECT_EQ(count_subject(out, "raise/production/gone/webhook_secret"), 1u);
  EXPECT_EQ(count_subject(out, "webhook:wh1"), 1u);
  for (const auto& x : out) {
    EXPECT_EQ(x.customer_id, "gone");
    EXPECT_FALSE(x.remediation.empty());
  }
}

TEST(OffboardingCompleteness, MissingAuditRecord) {
  Facts f = offboarded_clean();
  f.audit_events.clear();
  f.audit_events.push_back({"gone", "sync-worker", "token_read", "x", ago(days(50))});
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "audit:offboarded");
}

TEST(OffboardingCompleteness, SyncAfterOffboarding) {
  Facts f = offboarded_clean();
  f.customers[0].last_sync_at = ago(days(39));
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "sync:activity");
  f.customers[0].last_sync_at = ago(days(40));  // exactly at offboarding: fine
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
}

TEST(OffboardingCompleteness, DataDeletionWindowEdges) {
  Facts f = offboarded_clean();
  DataSet d;
  d.customer_id = "gone";
  d.name = "sync_state";
  d.data_class = "sync_state";
  d.location = "partner_contacts";
  d.record_count = 12;
  f.data_sets.push_back(d);
  f.customers[0].offboarded_at = ago(days(30));  // exactly at the window
  f.audit_events[0].at = ago(days(30));
  f.customers[0].last_sync_at = ago(days(31));
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
  f.customers[0].offboarded_at = ago(days(30) + secs(1));
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "data:sync_state");
  f.data_sets[0].anonymised = true;
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
  f.data_sets[0].anonymised = false;
  f.data_sets[0].record_count = 0;
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
}

TEST(OffboardingCompleteness, UnknownOffboardingDateIsAFinding) {
  Facts f = offboarded_clean();
  f.customers[0].offboarded_at.reset();
  auto out = run_check("offboarding-completeness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "customer:offboarded_at");
}

TEST(OffboardingCompleteness, ActiveCustomersAreIgnored) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.credentials.push_back(credential("c1", "api_token"));
  EXPECT_TRUE(run_check("offboarding-completeness", f).empty());
}

TEST(SourceUnavailable, FailedSourceAndRejectedRows) {
  Facts f;
  f.sources.push_back({"inventory", "inventory", false, "cannot open", {FactKind::customers}, std::nullopt, 0, {}});
  f.sources.push_back({"vault", "vault", true, "", {FactKind::credentials}, kNow, 10, {"row 3: bad role"}});
  auto out = run_check("source-unavailable", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(count_subject(out, "source:inventory"), 1u);
  EXPECT_EQ(count_subject(out, "source:vault:rows"), 1u);
  EXPECT_FALSE(f.kind_complete(FactKind::customers));
  EXPECT_TRUE(f.kind_complete(FactKind::credentials));
}

}  // namespace
}  // namespace complyd::testing
