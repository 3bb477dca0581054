// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "checks/leak_patterns.hpp"
#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

LeakHit hit(std::string file, std::size_t line, LeakKind kind, std::string excerpt = "token=[REDACTED] (40 chars)",
            std::size_t len = 40) {
  return LeakHit{std::move(file), line, kind, std::move(excerpt), len, 1};
}

struct KindCase {
  const char* name;
  LeakKind kind;
  std::size_t line;
  Severity severity;
  std::string subject;
  std::string title;
};

class LeakScanKinds : public ::testing::TestWithParam<KindCase> {};

TEST_P(LeakScanKinds, SeveritySubjectTitle) {
  const auto& tc = GetParam();
  Facts f;
  f.leak_hits.push_back(hit("/srv/app/logs/worker.log", tc.line, tc.kind));
  auto out = run_check("leak-scan", f);
  ASSERT_EQ(out.size(), 1u) << tc.name;
  EXPECT_EQ(out[0].severity, tc.severity) << tc.name;
  EXPECT_EQ(out[0].subject, tc.subject);
  EXPECT_EQ(out[0].title, tc.title);
  EXPECT_TRUE(out[0].customer_id.empty());
  EXPECT_FALSE(out[0].remediation.empty());
  EXPECT_NE(out[0].detail.find("/srv/app/logs/worker.log"), std::string::npos) << out[0].detail;
  // Titles are stable: no line numbers, no counts.
  EXPECT_EQ(out[0].title.find_first_of("0123456789"), std::string::npos) << out[0].title;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, LeakScanKinds,
    ::testing::Values(
        KindCase{"bearer", LeakKind::bearer_token, 12, Severity::critical,
                 "/srv/app/logs/worker.log:12 (bearer_token)", "bearer token in file"},
        KindCase{"assignment", LeakKind::token_assignment, 3, Severity::critical,
                 "/srv/app/logs/worker.log:3 (token_assignment)", "secret value in file"},
        KindCase{"private key", LeakKind::private_key, 1, Severity::critical,
                 "/srv/app/logs/worker.log:1 (private_key)", "private key in file"},
        KindCase{"card", LeakKind::card_number, 7, Severity::critical, "/srv/app/logs/worker.log:7 (card_number)",
                 "card number in file"},
        KindCase{"env file", LeakKind::env_file, 0, Severity::high, "/srv/app/logs/worker.log (env_file)",
                 ".env file in scanned tree"},
        KindCase{"e-mail", LeakKind::donor_email, 9, Severity::medium, "/srv/app/logs/worker.log:9 (donor_email)",
                 "donor e-mail address in log"}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

// Only leak hits make findings: a snapshot full of other facts, some with
// secret-looking text, gives none. The same snapshot with one hit gives
// exactly that finding, so the empty answer is the check's judgement, not a
// check that reports nothing.
TEST(LeakScanCheck, NoHitsNoFindings) {
  Facts f;
  f.customers.push_back(customer("c1"));
  f.credentials.push_back(credential("c1", "api_token"));
  WebhookSubscription wh;
  wh.id = "wh_1";
  wh.customer_id = "c1";
  wh.notification_url = "https://partner.example.com/hooks?token=Zx81qQ93jdk2a7d1k1e8f3Pw4Lm0Vb7Ns2";
  f.webhooks.push_back(wh);
  f.api_endpoints.push_back(
      ApiEndpoint{"raise", "https://api.example.com/v1?access_token=Qm7Tz2Rk9Wp4Xs1Vn8Lc5Jh3Gf6Dy0Ba", "config"});
  EXPECT_TRUE(run_check("leak-scan", f).empty());

  f.leak_hits.push_back(hit("/srv/app/logs/worker.log", 4, LeakKind::bearer_token));
  const auto out = run_check("leak-scan", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "/srv/app/logs/worker.log:4 (bearer_token)");
}

TEST(LeakScanCheck, OneFindingPerFileLineAndKind) {
  Facts f;
  f.leak_hits.push_back(hit("a.log", 3, LeakKind::bearer_token));
  f.leak_hits.push_back(hit("a.log", 3, LeakKind::bearer_token));  // reported twice by a source: merged
  f.leak_hits.push_back(hit("a.log", 3, LeakKind::donor_email, "[e-mail address]", 20));
  f.leak_hits.push_back(hit("b.log", 3, LeakKind::bearer_token));
  auto out = run_check("leak-scan", f);
  ASSERT_EQ(out.size(), 3u);
  std::set<std::string> subjects;
  for (const auto& x : out) subjects.insert(x.subject);
  EXPECT_EQ(subjects.size(), 3u) << "subjects must be unique: they make the finding ids";
  for (const auto& x : out) {
    if (x.subject != "a.log:3 (bearer_token)") continue;
    bool counted = false;
    for (const auto& [k, v] : x.evidence) counted |= (k == "occurrences" && v == "2");
    EXPECT_TRUE(counted);
  }
}

TEST(LeakScanCheck, ConfiguredSeverityIsACeiling) {
  Facts f;
  f.leak_hits.push_back(hit("a.log", 1, LeakKind::card_number, "[PAN, Luhn-valid, 16 digits]", 16));
  f.leak_hits.push_back(hit("a.log", 2, LeakKind::donor_email, "[e-mail address]", 20));
  const CheckDef* def = find_check("leak-scan");
  ASSERT_NE(def, nullptr);
  Params p = default_params(def->info);
  CheckContext ctx{f, kNow, p, Severity::high};
  auto out = def->evaluate(ctx);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].severity, Severity::high);    // critical capped
  EXPECT_EQ(out[1].severity, Severity::medium);  // below the ceiling: unchanged
}

TEST(LeakScanCheck, FindingsPerFileAreCappedWithASummary) {
  Facts f;
  for (std::size_t line = 1; line <= 8; ++line) f.leak_hits.push_back(hit("big.log", line, LeakKind::bearer_token));
  f.leak_hits.push_back(hit("big.log", 9, LeakKind::donor_email, "[e-mail address]", 20));
  f.leak_hits.push_back(hit("other.log", 1, LeakKind::donor_email, "[e-mail address]", 20));
  auto out = run_check<LeakScanParams>("leak-scan", f, kNow, [](auto& p) { p.max_findings_per_file = 5; });
  ASSERT_EQ(out.size(), 5u + 1u + 1u);
  EXPECT_EQ(count_subject(out, "big.log:"), 5u);
  const Finding* more = nullptr;
  for (const auto& x : out) {
    if (x.subject == "big.log (more)") more = &x;
  }
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(more->severity, Severity::critical);
  EXPECT_NE(more->detail.find("4 further"), std::string::npos) << more->detail;
  EXPECT_EQ(more->title.find_first_of("0123456789"), std::string::npos);
}

TEST(LeakScanCheck, EvidenceNamesWhereNeverTheValue) {
  Facts f;
  f.leak_hits.push_back(hit("/srv/.env", 2, LeakKind::token_assignment, "RAISE_API_TOKEN=[REDACTED] (40 chars)", 40));
  auto out = run_check("leak-scan", f);
  ASSERT_EQ(out.size(), 1u);
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["file"], "/srv/.env");
  EXPECT_EQ(ev["line"], "2");
  EXPECT_EQ(ev["kind"], "token_assignment");
  EXPECT_EQ(ev["excerpt"], "RAISE_API_TOKEN=[REDACTED] (40 chars)");
  EXPECT_EQ(ev["value_length"], "40");
  EXPECT_NE(out[0].detail.find("RAISE_API_TOKEN=[REDACTED]"), std::string::npos) << out[0].detail;
}

TEST(LeakScanCheck, CatalogueEntry) {
  const CheckDef* def = find_check("leak-scan");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->info.default_severity, Severity::critical);
  ASSERT_EQ(def->info.needs.size(), 1u);
  EXPECT_EQ(def->info.needs[0], FactKind::file_scans);
  std::set<std::string> params;
  for (const auto& p : def->info.params) params.insert(p.name);
  for (const char* n : {"min_entropy_bits_per_char", "min_value_length", "ignore_email_domains",
                        "max_findings_per_file"}) {
    EXPECT_TRUE(params.contains(n)) << n;
  }
  // The detector's defaults and the check's declared defaults are one set.
  auto o = leak_scan_options(default_params(def->info).as<LeakScanParams>());
  EXPECT_DOUBLE_EQ(o.min_entropy_bits_per_char, LeakScanOptions{}.min_entropy_bits_per_char);
  EXPECT_EQ(o.min_value_length, LeakScanOptions{}.min_value_length);
}

}  // namespace
}  // namespace complyd::testing
