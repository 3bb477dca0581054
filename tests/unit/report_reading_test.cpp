// SPDX-License-Identifier: Apache-2.0
// The report as a person reads it: durations in words, references in
// natural order, round chart ticks, and checklist rows that count only
// their own findings.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "daemon/report/report_model.hpp"
#include "model/time.hpp"

namespace complyd {
namespace {

Time rr_at(const char* s) { return *parse_time(s); }

TEST(ReportReading, NaturalOrderComparesDigitRunsAsNumbers) {
  EXPECT_TRUE(report::natural_less("3.2.1", "10.2.1"));
  EXPECT_FALSE(report::natural_less("10.2.1", "3.2.1"));
  EXPECT_TRUE(report::natural_less("8.3.9", "8.3.10"));
  EXPECT_TRUE(report::natural_less("CC6.2", "CC6.10"));
  EXPECT_TRUE(report::natural_less("10.2.1", "10.2.1.5"));
  EXPECT_TRUE(report::natural_less("Art. 5", "Art. 32"));
  EXPECT_FALSE(report::natural_less("8.3.9", "8.3.9"));
}

TEST(ReportReading, FrameworkReferencesSortNaturally) {
  const auto m = report::build_report({}, {rr_at("2026-11-10T00:00:00Z"), days(30), "", {}});
  bool saw_pci = false;
  for (const auto& g : m.frameworks) {
    for (std::size_t i = 1; i < g.refs.size(); ++i) {
      EXPECT_TRUE(report::natural_less(g.refs[i - 1].reference, g.refs[i].reference))
          << g.framework << ": " << g.refs[i - 1].reference << " before " << g.refs[i].reference;
    }
    if (g.framework == "PCI DSS v4.0") {
      saw_pci = true;
      ASSERT_FALSE(g.refs.empty());
      EXPECT_EQ(g.refs.front().reference.substr(0, 2), "3.") << "PCI 3.x comes before 10.x";
    }
  }
  EXPECT_TRUE(saw_pci);
}

TEST(ReportReading, ChartAxesUseRoundTicks) {
  auto a = report::round_axis(37, 1);
  EXPECT_EQ(a.step, 10);
  EXPECT_EQ(a.max, 40);
  EXPECT_EQ(a.steps, 4);
  a = report::round_axis(0, 1);  // no data: one step of 1
  EXPECT_EQ(a.max, 1);
  a = report::round_axis(3, 1);  // counts never step by fractions
  EXPECT_EQ(a.step, 1);
  EXPECT_EQ(a.max, 3);
  a = report::round_axis(1234, 1);
  EXPECT_EQ(a.step, 500);
  EXPECT_EQ(a.max, 1500);
  a = report::round_axis(0.37, 0.01);  // a 0.37 % failure rate
  EXPECT_DOUBLE_EQ(a.step, 0.1);
  EXPECT_EQ(a.decimals, 1);
  EXPECT_NEAR(a.max, 0.4, 1e-12);
}

report::History leak_history(Time opened) {
  report::History h;
  const std::string card = "logs/app.log:12 (card_number)", email = "logs/app.log:40 (donor_email)";
  h.findings.push_back({"L1", "leak-scan", "", card, "A card number in a log", "purge", opened});
  h.findings.push_back({"L2", "leak-scan", "", email, "A donor e-mail in a log", "purge", opened});
  h.findings.push_back({"A1", "credential-age", "cust_1", "vault/a", "api_token older than 90d", "rotate", opened});
  h.cycles.push_back({1, opened, opened, "ok", {}, std::set<std::string>{"leak-scan", "credential-age"},
                      std::set<std::string>{}});
  for (const char* id : {"L1", "L2"}) h.events.push_back({id, 1, opened, "opened", "open", "critical", "complyd", ""});
  h.events.push_back({"A1", 1, opened, "opened", "open", "high", "complyd", ""});
  return h;
}

TEST(ReportReading, ChecklistRowsCountOnlyTheirOwnLeakKinds) {
  const auto opened = rr_at("2026-07-01T00:00:00Z");
  const auto m = report::build_report(leak_history(opened), {opened + days(1), days(30), "", {}});
  std::map<std::string, int> open;
  for (const auto& e : m.checklist) open[e.item] = e.open;
  EXPECT_EQ(open.at("Raise API tokens stored in a secrets manager, never in code or environment files"), 0);
  EXPECT_EQ(open.at("Logging framework includes credential redaction by default"), 0);
  EXPECT_EQ(open.at("No raw card data ever stored on the partner side"), 1);
  EXPECT_EQ(open.at("Log only non-sensitive metadata"), 1);
}

TEST(ReportReading, NoDurationReadsAsRawSeconds) {
  const auto opened = rr_at("2026-07-01T00:00:00Z");
  // 120 days and 36 seconds: not a whole unit, which used to print as "10368036s".
  const auto m = report::build_report(leak_history(opened), {opened + Duration{10368036}, days(30), "", {}});
  const std::regex raw_seconds(R"(\b\d{3,}s\b)");
  for (const char* format : {"html", "md", "json", "csv"}) {
    const auto body = report::render(m, format);
    ASSERT_TRUE(body) << format;
    std::smatch hit;
    EXPECT_FALSE(std::regex_search(*body, hit, raw_seconds)) << format << ": " << hit.str();
    if (std::string_view(format) == "html" || std::string_view(format) == "md") {
      EXPECT_NE(body->find("120 days"), std::string::npos) << format;
    }
  }
}

}  // namespace
}  // namespace complyd
