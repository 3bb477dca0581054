// SPDX-License-Identifier: Apache-2.0
// The streamed report: a history whose events and customers come from
// cursors renders byte for byte as the same history read whole, the
// customers are written one at a time as they are read, the JSON is what
// dump(2) writes of the same document, and the HTML summarises the
// customers beyond kHtmlCustomerRows.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "daemon/report/report_model.hpp"
#include "model/time.hpp"

namespace complyd {
namespace {

Time rs_at(const char* s) { return *parse_time(s); }

nlohmann::json rs_state(int i, bool overdue) {
  const auto basis = to_unix(rs_at(overdue ? "2026-01-01T00:00:00Z" : "2026-11-01T00:00:00Z"));
  return {{"status", i % 7 == 3 ? "offboarded" : "active"},
          {"name", fmt::format("Ça {} \"quoted\" <b>", i)},
          {"environment", "production"},
          {"jurisdiction", i % 2 ? "EU" : ""},
          {"offboarded_at", nullptr},
          {"deliveries", i % 3 == 0},
          {"credentials",
           nlohmann::json::array({{{"path", fmt::format("raise/production/c{:04}/api_token", i)},
                                   {"kind", "api_token"},
                                   {"role", "current"},
                                   {"environment", "production"},
                                   {"basis_at", basis},
                                   {"limit", 90 * 86400},
                                   {"due_at", basis + 90 * 86400}}})},
          {"webhooks", i % 5 == 0 ? nlohmann::json::array()
                                  : nlohmann::json::array({{{"id", fmt::format("wh_{}", i)},
                                                            {"platform", "raise"},
                                                            {"status", "active"},
                                                            {"https", i % 4 != 1}}})}};
}

// `n` customers, every third with an open finding, one muted, one resolved,
// one unreadable state, and the events of three cycles.
report::History rs_history(int n) {
  report::History h;
  h.chain_seq = 7;
  h.chain_hash = "ab12";
  for (std::int64_t id = 1; id <= 3; ++id) {
    const auto t = rs_at("2026-11-01T00:00:00Z") + days(id);
    h.cycles.push_back({id, t, t, "ok", {{"inventory", "inventory", true, {}}},
                        std::set<std::string>{"transport-https", "credential-age", "signature-failures"},
                        std::set<std::string>{}});
  }
  for (int i = 0; i < n; ++i) {
    const std::string c = fmt::format("c{:04}", i);
    if (i == 5) h.customers.push_back({c, nlohmann::json::object(), true});
    else h.customers.push_back({c, rs_state(i, i % 2 == 0)});
    if (i % 3 != 0) continue;
    const std::string id = fmt::format("F{:015}", i);
    const char* check = i % 9 == 0 ? "transport-https" : "credential-age";
    h.findings.push_back({id, check, c, "subject " + c, "title of " + c, "fix it", h.cycles[0].started_at});
    h.events.push_back({id, 1, h.cycles[0].at, "opened", "open", i % 2 ? "high" : "medium", "complyd", ""});
    if (i == 3) h.events.push_back({id, std::nullopt, h.cycles[0].at + days(1) / 2, "muted", "muted", "high", "alice",
                                    "accepted (until 2027-01-01T00:00:00Z)"});
    if (i == 6) h.events.push_back({id, 3, h.cycles[2].at, "resolved", "resolved", "medium", "complyd", ""});
  }
  h.signatures.push_back({3, "c0004", 90, 10, 0});
  h.signatures.push_back({2, "c0004", 100, 0, 1});
  return h;
}

// The same history with its events and customers behind cursors, as
// load_report_history(ReportRead::streamed, customer) gives it. `on_row`
// runs before each customer is yielded.
report::History rs_streamed(report::History h, std::function<void()> on_row = {}, const std::string& customer = {}) {
  auto events = std::make_shared<std::vector<report::EventRow>>(std::move(h.events));
  auto customers = std::make_shared<std::vector<report::CustomerStateRow>>();
  for (auto& c : h.customers) {
    if (customer.empty() || c.customer_id == customer) customers->push_back(std::move(c));
  }
  h.events.clear();
  h.customers.clear();
  h.customer_count = customers->size();
  h.each_event = [events](const std::function<void(const report::EventRow&)>& fn) {
    for (const auto& e : *events) fn(e);
  };
  h.each_customer = [customers, on_row](const std::function<void(report::CustomerStateRow&&)>& fn) {
    for (const auto& c : *customers) {
      if (on_row) on_row();
      auto copy = c;
      fn(std::move(copy));
    }
  };
  return h;
}

const char* const kRsFormats[] = {"json", "md", "html", "csv", "ocsf", "sarif"};

TEST(ReportStream, AStreamedHistoryRendersByteForByteAsAWholeOne) {
  const auto h = rs_history(40);
  for (const char* as_of : {"2026-11-02T12:00:00Z", "2026-11-20T00:00:00Z"}) {
    for (const std::string customer : {"", "c0003"}) {
      const report::ReportOptions o{rs_at(as_of), days(30), customer, rs_at("2026-11-21T00:00:00Z")};
      const auto whole = report::build_report(h, o);
      const auto streamed = report::build_report(rs_streamed(h, {}, customer), o);
      ASSERT_FALSE(whole.customers.empty());
      EXPECT_TRUE(streamed.customers.empty()) << "a streamed model holds no customer";
      EXPECT_EQ(whole.open.size(), streamed.open.size());
      EXPECT_EQ(whole.trend.size(), streamed.trend.size());
      for (const char* f : kRsFormats) {
        EXPECT_EQ(*report::render(whole, f), *report::render(streamed, f)) << f << " as of " << as_of;
      }
    }
  }
}

TEST(ReportStream, CustomersAreWrittenOneAtATimeAsTheyAreRead) {
  // Each customer's text is out before the next customer is read: the
  // renderers never collect the customers.
  for (const char* f : {"json", "md", "html"}) {
    std::ostringstream out;
    std::streamoff last = -1;
    int rows = 0, grew = 0;
    const auto m = report::build_report(rs_streamed(rs_history(30), [&] {
                                          const auto now = static_cast<std::streamoff>(out.tellp());
                                          if (rows++ > 0 && now > last) ++grew;
                                          last = now;
                                        }),
                                        {rs_at("2026-11-10T00:00:00Z"), days(30), "", {}});
    // Building read the states once for the findings' owners and due dates; writing reads them again.
    EXPECT_EQ(rows, 30) << f;
    rows = grew = 0;
    last = -1;
    ASSERT_TRUE(report::render(m, f, out));
    EXPECT_EQ(rows, 30) << f;
    EXPECT_EQ(grew, 29) << f << ": every customer after the first found the previous one written";
  }
}

TEST(ReportStream, JsonIsWhatDumpWritesOfTheSameDocument) {
  const auto m = report::build_report(rs_streamed(rs_history(12)),
                                      {rs_at("2026-11-20T00:00:00Z"), days(30), "", rs_at("2026-11-21T00:00:00Z")});
  const auto text = report::render_json(m);
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc.dump(2) + "\n", text);
  EXPECT_EQ(doc["customers"].size(), 12u);
  EXPECT_EQ(doc["findings"]["resolved"].size(), 1u);
  // Empty arrays and objects as dump(2) writes them.
  const auto early = report::build_report(rs_streamed(rs_history(0)), {rs_at("2026-11-01T00:00:00Z"), days(30), "", {}});
  const auto empty = report::render_json(early);
  EXPECT_EQ(nlohmann::json::parse(empty).dump(2) + "\n", empty);
  EXPECT_NE(empty.find("\"customers\": [],"), std::string::npos) << empty;
}

TEST(ReportStream, HtmlListsTheCustomersThatNeedAttentionBeyondItsLimit) {
  const int n = 2 * static_cast<int>(report::kHtmlCustomerRows);
  report::History h = rs_history(n);
  const report::ReportOptions o{rs_at("2026-11-10T00:00:00Z"), days(30), "", {}};
  const auto html = report::render_html(report::build_report(rs_streamed(h), o));
  const std::regex row("<tr><td>(c[0-9]{4})<br>");
  std::size_t rows = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), row); it != std::sregex_iterator(); ++it) ++rows;
  // Even customers have an overdue credential; odd ones need attention with
  // an open finding (every third but c0003, muted) or an unreadable state (c0005).
  std::size_t attention = 0;
  for (int i = 0; i < n; ++i) attention += (i % 2 == 0 || i == 5 || (i % 3 == 0 && i != 3)) ? 1 : 0;
  ASSERT_GT(attention, report::kHtmlCustomerRows);
  EXPECT_EQ(rows, report::kHtmlCustomerRows);
  EXPECT_NE(html.find(fmt::format("<h2>Customers ({})</h2>", n)), std::string::npos);
  EXPECT_NE(html.find("id=\"customers-summarised\""), std::string::npos);
  EXPECT_NE(html.find("--format json"), std::string::npos) << "it says where the full data is";
  EXPECT_NE(html.find(fmt::format("Listed {} of the {} customers that need attention; {} others need none.",
                                  report::kHtmlCustomerRows, attention, n - attention)),
            std::string::npos);
  EXPECT_EQ(html.find("<tr><td>c0007<br>"), std::string::npos) << "c0007 needs no attention";
  // The JSON has them all.
  const auto j = nlohmann::json::parse(report::render_json(report::build_report(rs_streamed(h), o)));
  EXPECT_EQ(j["customers"].size(), static_cast<std::size_t>(n));

  // At the limit nothing is summarised.
  const auto small = report::render_html(report::build_report(rs_history(static_cast<int>(report::kHtmlCustomerRows)), o));
  EXPECT_EQ(small.find("customers-summarised"), std::string::npos);
}

}  // namespace
}  // namespace complyd
