// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct StrengthCase {
  const char* name;
  std::string kind;
  CredentialRole role;
  std::optional<double> entropy;  // nullopt: not measured
  std::size_t expected;
  Severity severity;
  std::string title_part;
};

class WebhookSecretStrength : public ::testing::TestWithParam<StrengthCase> {};

TEST_P(WebhookSecretStrength, Thresholds) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", tc.kind, tc.role);
  c.entropy_bytes = tc.entropy;
  f.credentials.push_back(c);
  auto out = run_check("webhook-secret-strength", f);
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

constexpr auto cur = CredentialRole::current;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

INSTANTIATE_TEST_SUITE_P(
    Edges, WebhookSecretStrength,
    ::testing::Values(
        StrengthCase{"exactly 32 bytes", "webhook_secret", cur, 32.0, 0, Severity::info, ""},
        StrengthCase{"more than 32 bytes", "webhook_secret", cur, 48.0, 0, Severity::info, ""},
        StrengthCase{"just under 32 bytes", "webhook_secret", cur, 31.99, 1, Severity::high,
                     "webhook_secret below 32 bytes of entropy"},
        StrengthCase{"exactly 16 bytes", "webhook_secret", cur, 16.0, 1, Severity::high, "below 32 bytes"},
        StrengthCase{"just under 16 bytes", "webhook_secret", cur, 15.99, 1, Severity::critical,
                     "webhook_secret below 16 bytes of entropy"},
        StrengthCase{"zero bytes", "webhook_secret", cur, 0.0, 1, Severity::critical, "below 16 bytes"},
        StrengthCase{"not measured", "webhook_secret", cur, std::nullopt, 1, Severity::low, "entropy not measured"},
        StrengthCase{"negative entropy", "webhook_secret", cur, -4.0, 1, Severity::low, "measurement invalid"},
        StrengthCase{"NaN entropy", "webhook_secret", cur, kNaN, 1, Severity::low, "measurement invalid"},
        StrengthCase{"infinite entropy", "webhook_secret", cur, kInf, 1, Severity::low, "measurement invalid"},
        StrengthCase{"weak previous secret", "webhook_secret", CredentialRole::previous, 24.0, 1, Severity::high,
                     "below 32 bytes"},
        StrengthCase{"weak pending secret", "webhook_secret", CredentialRole::pending, 12.0, 1, Severity::critical,
                     "below 16 bytes"},
        StrengthCase{"revoked secret is rotation-leftover's", "webhook_secret", CredentialRole::revoked, 8.0, 0,
                     Severity::info, ""},
        StrengthCase{"api token is not a webhook secret", "api_token", cur, 8.0, 0, Severity::info, ""},
        StrengthCase{"unknown kind ignored", "ssh_key", cur, std::nullopt, 0, Severity::info, ""}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(WebhookSecretStrengthCheck, OffboardedCustomersAreIgnored) {
  Facts f;
  f.customers.push_back(customer("gone", CustomerStatus::offboarded));
  auto c = credential("gone", "webhook_secret");
  c.entropy_bytes = 4;
  f.credentials.push_back(c);
  EXPECT_TRUE(run_check("webhook-secret-strength", f).empty());
}

TEST(WebhookSecretStrengthCheck, ThresholdsAreConfigurable) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "webhook_secret");
  c.entropy_bytes = 24;
  f.credentials.push_back(c);
  EXPECT_TRUE(run_check<WebhookSecretStrengthParams>("webhook-secret-strength", f, kNow, [](auto& p) {
                p.min_entropy_bytes = 24;
              }).empty());
  auto out = run_check<WebhookSecretStrengthParams>("webhook-secret-strength", f, kNow,
                                                    [](auto& p) { p.critical_below_bytes = 28; });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::critical);
  EXPECT_NE(out[0].title.find("below 28 bytes"), std::string::npos) << out[0].title;
}

TEST(WebhookSecretStrengthCheck, ConfiguredSeverityForWeakCriticalForVeryWeak) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.customers.push_back(customer("c2"));
  auto a = credential("c1", "webhook_secret");
  a.entropy_bytes = 20;
  auto b = credential("c2", "webhook_secret");
  b.entropy_bytes = 10;
  f.credentials = {a, b};
  const CheckDef* def = find_check("webhook-secret-strength");
  ASSERT_NE(def, nullptr);
  Params p = default_params(def->info);
  CheckContext ctx{f, kNow, p, Severity::medium};
  auto out = def->evaluate(ctx);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].severity, Severity::medium);
  EXPECT_EQ(out[1].severity, Severity::critical);
}

TEST(WebhookSecretStrengthCheck, EvidenceHasMeasurementNotSecret) {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "webhook_secret");
  c.entropy_bytes = 12.5;
  c.fingerprint = "CANARY-fingerprint";
  f.credentials.push_back(c);
  auto out = run_check("webhook-secret-strength", f);
  ASSERT_EQ(out.size(), 1u);
  bool saw = false;
  for (const auto& [k, v] : out[0].evidence) {
    EXPECT_EQ(v.find("CANARY"), std::string::npos) << k;
    if (k == "entropy_bytes") {
      EXPECT_EQ(v, "12.5");
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
  EXPECT_EQ(out[0].detail.find("CANARY"), std::string::npos);
  EXPECT_EQ(out[0].title.find("12.5"), std::string::npos) << "titles carry thresholds, not measurements";
}

}  // namespace
}  // namespace complyd::testing
