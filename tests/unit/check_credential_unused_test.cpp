// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct UnusedCase {
  const char* name;
  std::string kind;
  std::optional<Duration> last_used;  // nullopt: never recorded
  std::optional<Duration> created;    // nullopt: unknown
  std::optional<Duration> rotated;    // nullopt: unknown
  std::size_t expected;
  Severity severity;
  std::string title_part;
};

class CredentialUnused : public ::testing::TestWithParam<UnusedCase> {};

TEST_P(CredentialUnused, Thresholds) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", tc.kind);
  c.last_used_at = tc.last_used ? std::optional<Time>(ago(*tc.last_used)) : std::nullopt;
  c.created_at = tc.created ? std::optional<Time>(ago(*tc.created)) : std::nullopt;
  c.rotated_at = tc.rotated ? std::optional<Time>(ago(*tc.rotated)) : std::nullopt;
  f.credentials.push_back(c);
  auto out = run_check("credential-unused", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_EQ(out[0].severity, tc.severity) << tc.name;
    EXPECT_NE(out[0].title.find(tc.title_part), std::string::npos) << out[0].title;
    EXPECT_EQ(out[0].customer_id, "c1");
    EXPECT_EQ(out[0].subject, "raise/production/c1/" + tc.kind);
    EXPECT_FALSE(out[0].detail.empty());
    EXPECT_FALSE(out[0].remediation.empty());
  }
}

const std::optional<Duration> none = std::nullopt;
const auto M = Severity::medium;
const auto L = Severity::low;

INSTANTIATE_TEST_SUITE_P(
    Edges, CredentialUnused,
    ::testing::Values(
        UnusedCase{"used recently", "api_token", hours(1), days(400), days(10), 0, M, ""},
        UnusedCase{"used exactly 90d ago", "api_token", days(90), days(400), days(100), 0, M, ""},
        UnusedCase{"unused one second over 90d", "api_token", days(90) + secs(1), days(400), days(100), 1, M,
                   "api_token unused for more than 90d"},
        UnusedCase{"webhook secret idle", "webhook_secret", days(200), days(400), days(300), 1, M,
                   "webhook_secret unused for more than 90d"},
        UnusedCase{"unknown kind idle", "ssh_key", days(120), days(400), days(400), 1, M,
                   "ssh_key unused for more than 90d"},
        UnusedCase{"last use in the future", "api_token", -days(3), days(400), days(10), 1, L,
                   "last-use time in the future"},
        UnusedCase{"last use within clock skew", "api_token", -secs(60), days(400), days(10), 0, M, ""},
        UnusedCase{"never used, created exactly 90d ago", "api_token", none, days(90), days(90), 0, M, ""},
        UnusedCase{"never used, created one second over", "api_token", none, days(90) + secs(1), days(10), 1, L,
                   "api_token with no recorded use"},
        UnusedCase{"never used, only rotation time known", "api_token", none, none, days(100), 1, L,
                   "with no recorded use"},
        UnusedCase{"never used, no age at all", "api_token", none, none, none, 0, M, ""},
        UnusedCase{"never used, created in the future", "api_token", none, -days(5), -days(5), 0, M, ""},
        UnusedCase{"never used, new credential", "webhook_secret", none, days(5), days(5), 0, M, ""}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(CredentialUnusedCheck, OnlyCurrentCredentialsOfCustomersNotOffboarded) {
  Facts f;
  f.customers.push_back(customer("active"));
  f.customers.push_back(customer("gone", CustomerStatus::offboarded));
  // All unused for 300 days, past the 90-day limit; each at a path of its
  // own, so the subjects say which were reported.
  for (auto role : {CredentialRole::previous, CredentialRole::pending, CredentialRole::revoked}) {
    auto c = credential("active", "api_token", role, ago(days(400)));
    c.last_used_at = ago(days(300));
    c.storage_path += std::string(".") + to_string(role);
    f.credentials.push_back(c);
  }
  auto gone = credential("gone", "api_token", CredentialRole::current, ago(days(400)));
  gone.last_used_at = ago(days(300));
  f.credentials.push_back(gone);
  // The control: as idle, current, of an active customer. It must be reported.
  auto control = credential("active", "api_token", CredentialRole::current, ago(days(400)));
  control.last_used_at = ago(days(300));
  f.credentials.push_back(control);
  std::vector<std::string> subjects;
  for (const auto& x : run_check("credential-unused", f)) subjects.push_back(x.subject);
  EXPECT_EQ(subjects, std::vector<std::string>{"raise/production/active/api_token"});
}

TEST(CredentialUnusedCheck, MaxIdleIsConfigurable) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "api_token");
  c.last_used_at = ago(days(40));
  f.credentials.push_back(c);
  EXPECT_TRUE(run_check("credential-unused", f).empty());
  auto out = run_check<CredentialUnusedParams>("credential-unused", f, kNow, [](auto& p) { p.max_idle = days(30); });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].title, "api_token unused for more than 30d");
}

TEST(CredentialUnusedCheck, UnknownUseRanksOneBelowConfiguredSeverity) {
  Facts f;
  auto idle = credential("c1", "api_token", CredentialRole::current, ago(days(400)));
  idle.last_used_at = ago(days(100));
  auto never = credential("c2", "api_token", CredentialRole::current, ago(days(400)));
  never.last_used_at.reset();
  f.credentials = {idle, never};
  const CheckDef* def = find_check("credential-unused");
  ASSERT_NE(def, nullptr);
  Params p = default_params(def->info);
  for (auto [configured, lowered] : {std::pair{Severity::high, Severity::medium},
                                     std::pair{Severity::critical, Severity::high},
                                     std::pair{Severity::low, Severity::low}}) {
    CheckContext ctx{f, kNow, p, configured};
    auto out = def->evaluate(ctx);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].severity, configured);
    EXPECT_EQ(out[1].severity, lowered);
  }
}

TEST(CredentialUnusedCheck, DetailNamesLastUseAndTitleIsStable) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "api_token");
  c.last_used_at = ago(days(120));
  c.fingerprint = "CANARY-fp";
  f.credentials.push_back(c);
  auto a = run_check("credential-unused", f);
  auto b = run_check("credential-unused", f, kNow + days(7));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0].detail.find("2026-07-25"), std::string::npos) << a[0].detail;
  EXPECT_NE(a[0].detail.find("120 days"), std::string::npos) << a[0].detail;
  EXPECT_EQ(a[0].title, b[0].title);
  for (const auto& [k, v] : a[0].evidence) EXPECT_EQ(v.find("CANARY"), std::string::npos) << k;
}

}  // namespace
}  // namespace complyd::testing
