// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "checks/rotation.hpp"
#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct AgeCase {
  const char* name;
  std::string kind;
  std::optional<Duration> age;  // nullopt: unknown
  std::size_t expected;
  std::string title_part;
};

class CredentialAge : public ::testing::TestWithParam<AgeCase> {};

TEST_P(CredentialAge, Thresholds) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));
  f.credentials.push_back(credential("c1", tc.kind, CredentialRole::current,
                                     tc.age ? std::optional<Time>(ago(*tc.age)) : std::nullopt));
  auto out = run_check("credential-age", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_NE(out[0].title.find(tc.title_part), std::string::npos) << out[0].title;
    EXPECT_EQ(out[0].customer_id, "c1");
    EXPECT_EQ(out[0].subject, "raise/production/c1/" + tc.kind);
    EXPECT_FALSE(out[0].remediation.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Edges, CredentialAge,
    ::testing::Values(AgeCase{"fresh token", "api_token", days(10), 0, ""},
                      AgeCase{"token exactly at 90d", "api_token", days(90), 0, ""},
                      AgeCase{"token one second over", "api_token", days(90) + secs(1), 1, "older than 90d"},
                      AgeCase{"secret exactly at 90d", "webhook_secret", days(90), 0, ""},
                      AgeCase{"secret one second over", "webhook_secret", days(90) + secs(1), 1, "older than 90d"},
                      AgeCase{"refresh token at 180d", "oauth_refresh_token", days(180), 0, ""},
                      AgeCase{"refresh token over 180d", "oauth_refresh_token", days(181), 1, "older than 180d"},
                      AgeCase{"unknown age", "api_token", std::nullopt, 1, "unknown age"},
                      AgeCase{"unknown kind", "ssh_key", days(10), 1, "no rotation limit"},
                      AgeCase{"future rotation time", "api_token", -days(3), 1, "in the future"},
                      AgeCase{"within clock skew", "api_token", -secs(60), 0, ""}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(CredentialAgeCheck, OnlyCurrentCredentialsOfCustomersNotOffboarded) {
  Facts f;
  f.customers.push_back(customer("active"));
  f.customers.push_back(customer("gone", CustomerStatus::offboarded));
  // All 200 days old, past the 90-day limit; each at a path of its own, so
  // the subjects say which were reported.
  for (auto role : {CredentialRole::previous, CredentialRole::pending, CredentialRole::revoked}) {
    auto c = credential("active", "api_token", role, ago(days(200)));
    c.storage_path += std::string(".") + to_string(role);
    f.credentials.push_back(c);
  }
  f.credentials.push_back(credential("gone", "api_token", CredentialRole::current, ago(days(200))));
  // The control: as old, current, of an active customer. It must be reported.
  f.credentials.push_back(credential("active", "api_token", CredentialRole::current, ago(days(200))));
  std::vector<std::string> subjects;
  for (const auto& x : run_check("credential-age", f)) subjects.push_back(x.subject);
  EXPECT_EQ(subjects, std::vector<std::string>{"raise/production/active/api_token"});
}

TEST(CredentialAgeCheck, LimitsAreConfigurablePerKind) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.credentials.push_back(credential("c1", "api_token", CredentialRole::current, ago(days(40))));
  auto out =
      run_check<CredentialAgeParams>("credential-age", f, kNow, [](auto& p) { p.max_age["api_token"] = days(30); });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("30d"), std::string::npos);
}

TEST(CredentialAgeCheck, DetailNamesDatesAndNoSecret) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "api_token", CredentialRole::current, ago(days(100)));
  c.fingerprint = "CANARY-fingerprint-should-not-appear";
  f.credentials.push_back(c);
  auto out = run_check("credential-age", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("2026-08-14"), std::string::npos) << out[0].detail;  // last rotated
  EXPECT_NE(out[0].detail.find("2026-11-12"), std::string::npos) << out[0].detail;  // due
  for (const auto& [k, v] : out[0].evidence) EXPECT_EQ(v.find("CANARY"), std::string::npos);
  EXPECT_EQ(out[0].detail.find("CANARY"), std::string::npos);
}

TEST(RotationStatus, StagesAroundTheDueDate) {
  const DurationMap limits{{"api_token", days(90)}};
  auto stage_at = [&](Duration age) {
    auto c = credential("c1", "api_token", CredentialRole::current, ago(age));
    return rotation_status(c, limits, days(10), kNow).stage;
  };
  EXPECT_EQ(stage_at(days(79)), RotationStage::ok);
  EXPECT_EQ(stage_at(days(80)), RotationStage::warning);
  EXPECT_EQ(stage_at(days(90)), RotationStage::warning);
  EXPECT_EQ(stage_at(days(90) + secs(1)), RotationStage::due);
  EXPECT_EQ(stage_at(days(91)), RotationStage::overdue);
  auto unknown = credential("c1", "api_token", CredentialRole::current, std::nullopt);
  EXPECT_EQ(rotation_status(unknown, limits, days(10), kNow).stage, RotationStage::unknown_age);
  auto due = rotation_status(credential("c1", "api_token", CredentialRole::current, ago(days(50))), limits, days(10), kNow);
  ASSERT_TRUE(due.due_at);
  EXPECT_EQ(*due.due_at, kNow + days(40));
}

}  // namespace
}  // namespace complyd::testing
