// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct LeftoverCase {
  const char* name;
  std::string kind;
  CredentialRole role;
  std::optional<Duration> current_rotated;  // age of the current credential's rotation; nullopt: no current one
  std::optional<Duration> last_used;        // of the leftover credential
  std::optional<Duration> created;          // of the leftover credential
  bool activated;
  std::size_t expected;
  std::string title_part;
};

class RotationLeftover : public ::testing::TestWithParam<LeftoverCase> {};

TEST_P(RotationLeftover, Thresholds) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));
  if (tc.current_rotated) f.credentials.push_back(credential("c1", tc.kind, CredentialRole::current, ago(*tc.current_rotated)));
  auto left = credential("c1", tc.kind, tc.role, tc.created ? std::optional<Time>(ago(*tc.created)) : std::nullopt);
  left.storage_path += std::string(".") + to_string(tc.role);
  left.last_used_at = tc.last_used ? std::optional<Time>(ago(*tc.last_used)) : std::nullopt;
  if (tc.activated) left.activated_at = ago(days(1));
  f.credentials.push_back(left);

  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_NE(out[0].title.find(tc.title_part), std::string::npos) << out[0].title;
    EXPECT_EQ(out[0].customer_id, "c1");
    EXPECT_EQ(out[0].subject, left.storage_path);
    EXPECT_FALSE(out[0].detail.empty());
    EXPECT_FALSE(out[0].remediation.empty());
    EXPECT_EQ(out[0].severity, Severity::medium);
  }
}

constexpr auto prev = CredentialRole::previous;
constexpr auto pend = CredentialRole::pending;
constexpr auto revk = CredentialRole::revoked;
const std::optional<Duration> none = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Edges, RotationLeftover,
    ::testing::Values(
        // previous: measured from the current credential's rotation time
        LeftoverCase{"token in grace window", "api_token", prev, days(3), days(3), days(90), false, 0, ""},
        LeftoverCase{"token exactly at 7d", "api_token", prev, days(7), days(7), days(90), false, 0, ""},
        LeftoverCase{"token one second over 7d", "api_token", prev, days(7) + secs(1), days(7), days(90), false, 1,
                     "previous api_token kept past its 7d grace window"},
        LeftoverCase{"secret exactly at 1h", "webhook_secret", prev, hours(1), minutes(5), days(90), false, 0, ""},
        LeftoverCase{"secret one second over 1h", "webhook_secret", prev, hours(1) + secs(1), minutes(5), days(90),
                     false, 1, "previous webhook_secret kept past its 1h grace window"},
        LeftoverCase{"secret kept for days", "webhook_secret", prev, days(20), days(2), days(100), false, 1,
                     "kept past its 1h"},
        LeftoverCase{"rotation basis wins over recent last use", "api_token", prev, days(30), days(1), days(100),
                     false, 1, "kept past its 7d"},
        LeftoverCase{"unknown kind exactly at default grace", "ssh_key", prev, days(7), none, days(90), false, 0, ""},
        LeftoverCase{"unknown kind over default grace", "ssh_key", prev, days(7) + secs(1), none, days(90), false, 1,
                     "previous ssh_key kept past its 7d grace window"},
        // previous: no current credential, so the previous one's last use
        LeftoverCase{"fallback last use at 7d", "api_token", prev, none, days(7), days(90), false, 0, ""},
        LeftoverCase{"fallback last use over 7d", "api_token", prev, none, days(7) + secs(1), days(90), false, 1,
                     "kept past its 7d"},
        LeftoverCase{"no basis at all", "api_token", prev, none, none, days(90), false, 1,
                     "previous api_token with unknown retirement time"},
        LeftoverCase{"replacement rotated in the future", "api_token", prev, -days(3), days(1), days(90), false, 1,
                     "retirement time in the future"},
        LeftoverCase{"replacement within clock skew", "api_token", prev, -secs(60), days(1), days(90), false, 0, ""},
        LeftoverCase{"fallback last use in the future", "webhook_secret", prev, none, -days(2), days(90), false, 1,
                     "retirement time in the future"},
        // pending: measured from its creation
        LeftoverCase{"pending exactly at 7d", "api_token", pend, days(10), none, days(7), false, 0, ""},
        LeftoverCase{"pending one second over 7d", "api_token", pend, days(10), none, days(7) + secs(1), false, 1,
                     "pending api_token never activated"},
        LeftoverCase{"pending activated long ago", "api_token", pend, days(10), none, days(30), true, 0, ""},
        LeftoverCase{"pending without creation time", "webhook_secret", pend, days(10), none, none, false, 1,
                     "pending webhook_secret with unknown creation time"},
        LeftoverCase{"pending created in the future", "api_token", pend, days(10), none, -days(2), false, 1,
                     "creation time in the future"},
        LeftoverCase{"pending unknown kind over limit", "ssh_key", pend, none, none, days(8), false, 1,
                     "pending ssh_key never activated"},
        // revoked: any stored row
        LeftoverCase{"revoked yesterday", "api_token", revk, days(10), days(1), days(100), false, 1,
                     "revoked api_token still stored"},
        LeftoverCase{"revoked without any dates", "oauth_refresh_token", revk, none, none, none, false, 1,
                     "revoked oauth_refresh_token still stored"}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(RotationLeftoverCheck, CurrentCredentialsAndOffboardedCustomersAreIgnored) {
  Facts f;
  f.customers.push_back(customer("active"));
  f.customers.push_back(customer("gone", CustomerStatus::offboarded));
  f.credentials.push_back(credential("active", "api_token", CredentialRole::current, ago(days(400))));
  f.credentials.push_back(credential("gone", "api_token", CredentialRole::revoked, ago(days(200))));
  auto prev_gone = credential("gone", "api_token", CredentialRole::previous, ago(days(200)));
  prev_gone.last_used_at = ago(days(100));
  f.credentials.push_back(prev_gone);
  EXPECT_TRUE(run_check("rotation-leftover", f).empty());
}

TEST(RotationLeftoverCheck, CustomerMissingFromInventoryIsStillChecked) {
  Facts f;  // no customers at all
  f.credentials.push_back(credential("ghost", "api_token", CredentialRole::revoked));
  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].customer_id, "ghost");
}

TEST(RotationLeftoverCheck, CurrentIsMatchedByCustomerKindAndEnvironment) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.customers.push_back(customer("c2"));
  // A fresh rotation elsewhere must not excuse this previous token: other
  // customer, other kind, other environment.
  f.credentials.push_back(credential("c2", "api_token", CredentialRole::current, ago(days(1))));
  f.credentials.push_back(credential("c1", "webhook_secret", CredentialRole::current, ago(days(1))));
  auto sandbox = credential("c1", "api_token", CredentialRole::current, ago(days(1)));
  sandbox.environment = "sandbox";
  f.credentials.push_back(sandbox);
  auto prev = credential("c1", "api_token", CredentialRole::previous, ago(days(200)));
  prev.storage_path = "raise/production/c1/api_token.previous";
  prev.last_used_at = ago(days(30));  // the fallback basis
  f.credentials.push_back(prev);
  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "raise/production/c1/api_token.previous");
  const auto& ev = out[0].evidence;
  EXPECT_NE(std::find(ev.begin(), ev.end(), std::pair<std::string, std::string>{"previous_last_used_at",
                                                                               "2026-10-23T12:00:00Z"}),
            ev.end());
}

TEST(RotationLeftoverCheck, LatestCurrentRotationAndMissingRotationTime) {
  Facts f;
  f.customers.push_back(customer("c1"));
  // Two current rows (bad data): the latest rotation is the basis.
  f.credentials.push_back(credential("c1", "api_token", CredentialRole::current, ago(days(60))));
  f.credentials.push_back(credential("c1", "api_token", CredentialRole::current, ago(days(2))));
  auto prev = credential("c1", "api_token", CredentialRole::previous, ago(days(100)));
  prev.storage_path += ".previous";
  prev.last_used_at = ago(days(50));
  f.credentials.push_back(prev);
  EXPECT_TRUE(run_check("rotation-leftover", f).empty());

  // A current row without rotated_at falls back to the previous one's last use.
  f.credentials.erase(f.credentials.begin(), f.credentials.begin() + 2);
  auto cur = credential("c1", "api_token", CredentialRole::current, std::nullopt);
  f.credentials.push_back(cur);
  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("50 days"), std::string::npos) << out[0].detail;
}

TEST(RotationLeftoverCheck, GraceIsConfigurablePerKindWithDefault) {
  Facts f;
  f.customers.push_back(customer("c1"));
  for (const char* kind : {"api_token", "internal_secret"}) {
    f.credentials.push_back(credential("c1", kind, CredentialRole::current, ago(days(3))));
    auto p = credential("c1", kind, CredentialRole::previous, ago(days(100)));
    p.storage_path += ".previous";
    f.credentials.push_back(p);
  }
  EXPECT_TRUE(run_check("rotation-leftover", f).empty());
  auto out = run_check<RotationLeftoverParams>("rotation-leftover", f, kNow, [](auto& p) {
    p.grace["api_token"] = days(2);
    p.default_grace = days(1);
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].title.find("2d grace"), std::string::npos) << out[0].title;
  EXPECT_NE(out[1].title.find("1d grace"), std::string::npos) << out[1].title;
}

TEST(RotationLeftoverCheck, PendingMaxAgeIsConfigurable) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto p = credential("c1", "api_token", CredentialRole::pending, ago(days(3)));
  p.last_used_at.reset();
  f.credentials.push_back(p);
  EXPECT_TRUE(run_check("rotation-leftover", f).empty());
  auto out = run_check<RotationLeftoverParams>("rotation-leftover", f, kNow,
                                               [](auto& ps) { ps.pending_max_age = days(2); });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("2d"), std::string::npos) << out[0].detail;
}

TEST(RotationLeftoverCheck, SubjectWithoutStoragePathNamesTheRole) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto p = credential("c1", "api_token", CredentialRole::pending, ago(days(30)));
  p.storage_path.clear();
  auto r = credential("c1", "api_token", CredentialRole::revoked, ago(days(30)));
  r.storage_path.clear();
  f.credentials.push_back(p);
  f.credentials.push_back(r);
  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, "api_token.pending");
  EXPECT_EQ(out[1].subject, "api_token.revoked");
}

TEST(RotationLeftoverCheck, DetailNamesTimesAndNoSecret) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto cur = credential("c1", "webhook_secret", CredentialRole::current, ago(hours(5)));
  cur.fingerprint = "CANARY-current";
  f.credentials.push_back(cur);
  auto p = credential("c1", "webhook_secret", CredentialRole::previous, ago(days(90)));
  p.storage_path += ".previous";
  p.fingerprint = "CANARY-previous";
  f.credentials.push_back(p);
  auto out = run_check("rotation-leftover", f);
  ASSERT_EQ(out.size(), 1u);
  // Hour-scale grace: times of day, not dates.
  EXPECT_NE(out[0].detail.find("2026-11-22T07:00:00Z"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("2026-11-22T08:00:00Z"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[0].title.find("hours"), std::string::npos) << "titles carry no ages: " << out[0].title;
  for (const auto& [k, v] : out[0].evidence) EXPECT_EQ(v.find("CANARY"), std::string::npos) << k;
  EXPECT_EQ(out[0].detail.find("CANARY"), std::string::npos);
}

TEST(RotationLeftoverCheck, TitleIsStableAcrossCycles) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.credentials.push_back(credential("c1", "api_token", CredentialRole::current, ago(days(30))));
  auto p = credential("c1", "api_token", CredentialRole::previous, ago(days(100)));
  p.storage_path += ".previous";
  f.credentials.push_back(p);
  auto a = run_check("rotation-leftover", f);
  auto b = run_check("rotation-leftover", f, kNow + days(3));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].title, b[0].title);
  EXPECT_EQ(a[0].subject, b[0].subject);
  EXPECT_NE(a[0].detail, b[0].detail);
}

TEST(RotationLeftoverCheck, ConfiguredSeverityApplies) {
  Facts f;
  f.credentials.push_back(credential("c1", "api_token", CredentialRole::revoked));
  const CheckDef* def = find_check("rotation-leftover");
  ASSERT_NE(def, nullptr);
  Params p = default_params(def->info);
  CheckContext ctx{f, kNow, p, Severity::high};
  auto out = def->evaluate(ctx);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::high);
}

}  // namespace
}  // namespace complyd::testing
