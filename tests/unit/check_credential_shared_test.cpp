// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <chrono>

#include <fmt/format.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct Row {
  std::string customer, kind, environment, fingerprint;
  CredentialRole role = CredentialRole::current;
};

struct Expect {
  std::string customer, subject_part, title_part;
  Severity severity;
};

struct SharedCase {
  const char* name;
  std::vector<Row> rows;
  std::vector<Expect> expected;  // in (customer, subject) order
};

Facts facts_of(const std::vector<Row>& rows) {
  Facts f;
  for (const auto& r : rows) {
    if (std::none_of(f.customers.begin(), f.customers.end(), [&](const Customer& c) { return c.id == r.customer; }))
      f.customers.push_back(customer(r.customer));
    auto c = credential(r.customer, r.kind, r.role);
    c.environment = r.environment;
    c.storage_path = "raise/" + r.environment + "/" + r.customer + "/" + r.kind +
                     (r.role == CredentialRole::current ? "" : std::string(".") + to_string(r.role));
    c.fingerprint = r.fingerprint;
    f.credentials.push_back(c);
  }
  return f;
}

class CredentialShared : public ::testing::TestWithParam<SharedCase> {};

TEST_P(CredentialShared, Scenarios) {
  const auto& tc = GetParam();
  auto out = run_check("credential-shared", facts_of(tc.rows));
  ASSERT_EQ(out.size(), tc.expected.size()) << tc.name;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& e = tc.expected[i];
    EXPECT_EQ(out[i].customer_id, e.customer) << tc.name;
    EXPECT_NE(out[i].subject.find(e.subject_part), std::string::npos) << out[i].subject;
    EXPECT_NE(out[i].title.find(e.title_part), std::string::npos) << out[i].title;
    EXPECT_EQ(out[i].severity, e.severity) << tc.name << ": " << out[i].title;
    EXPECT_FALSE(out[i].detail.empty());
    EXPECT_FALSE(out[i].remediation.empty());
  }
}

const auto H = Severity::high;
const auto C = Severity::critical;
const auto prev = CredentialRole::previous;

INSTANTIATE_TEST_SUITE_P(
    Scenarios, CredentialShared,
    ::testing::Values(
        SharedCase{"all distinct",
                   {{"c1", "api_token", "production", "aa11"}, {"c2", "api_token", "production", "bb22"}},
                   {}},
        SharedCase{"two customers share a token",
                   {{"c1", "api_token", "production", "aa11"}, {"c2", "api_token", "production", "aa11"}},
                   {{"c1", "c1/api_token", "api_token shared with another customer", C},
                    {"c2", "c2/api_token", "api_token shared with another customer", C}}},
        SharedCase{"different kinds across customers",
                   {{"c1", "api_token", "production", "aa11"}, {"c2", "webhook_secret", "production", "aa11"}},
                   {{"c1", "c1/api_token", "api_token shared with another customer", C},
                    {"c2", "c2/webhook_secret", "webhook_secret shared with another customer", C}}},
        SharedCase{"sandbox and production",
                   {{"c1", "api_token", "production", "aa11"}, {"c1", "api_token", "sandbox", "aa11"}},
                   {{"c1", "production/c1/api_token", "api_token shared across environments", H},
                    {"c1", "sandbox/c1/api_token", "api_token shared across environments", H}}},
        SharedCase{"webhook secret equal to api token",
                   {{"c1", "api_token", "production", "aa11"}, {"c1", "webhook_secret", "production", "aa11"}},
                   {{"c1", "c1/webhook_secret", "webhook_secret equal to api_token", H}}},
        SharedCase{"two other kinds: reported on the later name",
                   {{"c1", "oauth_refresh_token", "production", "aa11"},
                    {"c1", "internal_secret", "production", "aa11"}},
                   {{"c1", "oauth_refresh_token", "oauth_refresh_token equal to internal_secret", H}}},
        SharedCase{"empty fingerprints are unknown",
                   {{"c1", "api_token", "production", ""}, {"c2", "api_token", "production", ""},
                    {"c1", "webhook_secret", "production", ""}},
                   {}},
        SharedCase{"same slot twice is not sharing",
                   {{"c1", "api_token", "production", "aa11"}, {"c1", "api_token", "production", "aa11", prev}},
                   {}},
        SharedCase{"empty environment is not a second environment",
                   {{"c1", "api_token", "production", "aa11"}, {"c1", "api_token", "", "aa11", prev}},
                   {}},
        SharedCase{"unknown kinds still compared",
                   {{"c1", "ssh_key", "production", "aa11"}, {"c2", "ssh_key", "production", "aa11"}},
                   {{"c1", "c1/ssh_key", "ssh_key shared with another customer", C},
                    {"c2", "c2/ssh_key", "ssh_key shared with another customer", C}}},
        SharedCase{"cross customer outranks environment",
                   {{"c1", "api_token", "production", "aa11"}, {"c1", "api_token", "sandbox", "aa11"},
                    {"c2", "api_token", "production", "aa11"}},
                   {{"c1", "production/c1", "shared with another customer", C},
                    {"c1", "sandbox/c1", "shared with another customer", C},
                    {"c2", "production/c2", "shared with another customer", C}}},
        SharedCase{"three customers and a separate pair",
                   {{"c1", "webhook_secret", "production", "aa11"}, {"c2", "webhook_secret", "production", "aa11"},
                    {"c3", "webhook_secret", "production", "aa11"}, {"c4", "api_token", "production", "bb22"},
                    {"c4", "api_token", "sandbox", "bb22"}},
                   {{"c1", "c1/webhook_secret", "shared with another customer", C},
                    {"c2", "c2/webhook_secret", "shared with another customer", C},
                    {"c3", "c3/webhook_secret", "shared with another customer", C},
                    {"c4", "production/c4", "shared across environments", H},
                    {"c4", "sandbox/c4", "shared across environments", H}}}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

std::string evidence_of(const Finding& f, const std::string& key) {
  for (const auto& [k, v] : f.evidence)
    if (k == key) return v;
  return "<none>";
}

TEST(CredentialSharedCheck, NeverPrintsAFullFingerprint) {
  const std::string fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  auto f = facts_of({{"c1", "api_token", "production", fp}, {"c2", "api_token", "production", fp}});
  auto out = run_check("credential-shared", f);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& x : out) {
    EXPECT_EQ(evidence_of(x, "fingerprint_prefix"), "01234567");
    for (const auto& [k, v] : x.evidence) EXPECT_EQ(v.find("0123456789"), std::string::npos) << k << "=" << v;
    EXPECT_EQ(x.detail.find("0123456789"), std::string::npos);
    EXPECT_EQ(x.title.find("0123456789"), std::string::npos);
    EXPECT_EQ(x.remediation.find("0123456789"), std::string::npos);
  }
  // A short fingerprint shows at most half of itself.
  auto g = facts_of({{"c1", "api_token", "production", "abcd"}, {"c2", "api_token", "production", "abcd"}});
  auto short_out = run_check("credential-shared", g);
  ASSERT_EQ(short_out.size(), 2u);
  EXPECT_EQ(evidence_of(short_out[0], "fingerprint_prefix"), "ab");
}

TEST(CredentialSharedCheck, EvidenceNamesOtherCustomersAndCounts) {
  auto f = facts_of({{"c1", "api_token", "production", "aa11"},
                     {"c2", "api_token", "production", "aa11"},
                     {"c3", "api_token", "sandbox", "aa11"}});
  auto out = run_check("credential-shared", f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(evidence_of(out[0], "other_customers"), "c2, c3");
  EXPECT_EQ(evidence_of(out[0], "customers_sharing"), "3");
  EXPECT_EQ(evidence_of(out[0], "holders"), "3");
  EXPECT_NE(out[0].detail.find("2 other customers"), std::string::npos) << out[0].detail;
}

TEST(CredentialSharedCheck, OffboardedHolderCountsButGetsNoFinding) {
  auto f = facts_of({{"active", "webhook_secret", "production", "aa11"}, {"gone", "webhook_secret", "production", "aa11"}});
  f.customers[1].status = CustomerStatus::offboarded;
  auto out = run_check("credential-shared", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].customer_id, "active");
  EXPECT_EQ(evidence_of(out[0], "other_customers"), "gone");
}

TEST(CredentialSharedCheck, OneFindingPerSubject) {
  // Duplicate rows for one storage path (bad data) must not yield two findings
  // with the same id.
  auto f = facts_of({{"c1", "api_token", "production", "aa11"},
                     {"c1", "api_token", "production", "aa11"},
                     {"c2", "api_token", "production", "aa11"}});
  auto out = run_check("credential-shared", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].subject, out[1].subject);
}

TEST(CredentialSharedCheck, KindReuseAlsoNotedOnCrossCustomerFindings) {
  auto f = facts_of({{"c1", "api_token", "production", "aa11"},
                     {"c1", "webhook_secret", "production", "aa11"},
                     {"c2", "api_token", "production", "aa11"}});
  auto out = run_check("credential-shared", f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(evidence_of(out[1], "same_value_kinds"), "api_token");  // c1 webhook_secret
  EXPECT_EQ(evidence_of(out[0], "same_value_kinds"), "<none>");     // c1 api_token: the anchor
}

TEST(CredentialSharedCheck, ScalesLinearlyWithoutComparingPairs) {
  // 400,000 distinct credentials plus one shared pair: two findings.
  Facts f;
  constexpr int kCustomers = 100000;
  f.customers.reserve(kCustomers);
  f.credentials.reserve(4 * kCustomers + 2);
  for (int i = 0; i < kCustomers; ++i) {
    const std::string id = fmt::format("cust_{:06d}", i);
    f.customers.push_back(customer(id));
    for (const char* kind : {"api_token", "webhook_secret", "oauth_refresh_token", "internal_secret"}) {
      auto c = credential(id, kind);
      c.fingerprint = fmt::format("{:016x}{}", i, kind);
      f.credentials.push_back(std::move(c));
    }
  }
  f.credentials[5].fingerprint = f.credentials[400].fingerprint;
  auto t0 = std::chrono::steady_clock::now();
  auto out = run_check("credential-shared", f);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].severity, Severity::critical);
  // Generous bound: a quadratic pass would take minutes, the linear one well under a second.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20);

  // Degenerate input: one fingerprint for 50,000 customers (a collector bug).
  Facts g;
  for (int i = 0; i < 50000; ++i) {
    const std::string id = fmt::format("c{:05d}", i);
    g.customers.push_back(customer(id));
    auto c = credential(id, "api_token");
    c.fingerprint = "deadbeefdeadbeef";
    g.credentials.push_back(std::move(c));
  }
  t0 = std::chrono::steady_clock::now();
  out = run_check("credential-shared", g);
  elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(out.size(), 50000u);
  EXPECT_EQ(evidence_of(out[0], "other_customers"), "c00001, c00002, c00003, c00004, c00005 (+49994 more)");
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20);
}

}  // namespace
}  // namespace complyd::testing
