// SPDX-License-Identifier: Apache-2.0
// The report model (replay of the history as of a time), the CSV quoting,
// the bearer-token check and the [http] configuration.
#include <gtest/gtest.h>

#include <map>

#include "daemon/config/config.hpp"
#include "daemon/http/handlers.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

Time at(const char* s) { return *parse_time(s); }

report::History history() {
  report::History h;
  h.findings.push_back({"F1", "transport-https", "cust_1", "wh_1", "http URL", "use https", at("2026-11-01T00:00:00Z")});
  h.findings.push_back({"F2", "credential-age", "cust_2", "a/b", "old, \"quoted\"", "rotate", at("2026-11-01T00:00:00Z")});
  h.cycles.push_back({1, at("2026-11-01T00:00:00Z"), at("2026-11-01T00:00:00Z"), "ok", {}, std::set<std::string>{"transport-https", "credential-age"}, std::set<std::string>{}});
  h.cycles.push_back({2, at("2026-11-10T00:00:00Z"), at("2026-11-10T00:00:00Z"), "ok", {}, std::set<std::string>{"transport-https", "credential-age"}, std::set<std::string>{}});
  h.events.push_back({"F1", 1, at("2026-11-01T00:00:00Z"), "opened", "open", "high", "complyd", ""});
  h.events.push_back({"F2", 1, at("2026-11-01T00:00:00Z"), "opened", "open", "medium", "complyd", ""});
  h.events.push_back({"F2", std::nullopt, at("2026-11-05T00:00:00Z"), "muted", "muted", "medium", "alice",
                      "until the migration (until 2027-01-01T00:00:00Z)"});
  h.events.push_back({"F1", 2, at("2026-11-10T00:00:00Z"), "resolved", "resolved", "high", "complyd", ""});
  return h;
}

TEST(ReportModel, ReplaysStatusMuteAndTrend) {
  const auto h = history();
  report::ReportOptions o{at("2026-11-10T00:00:00Z"), days(30), "", at("2026-11-20T00:00:00Z")};
  const auto m = report::build_report(h, o);
  ASSERT_EQ(m.open.size(), 0u);
  ASSERT_EQ(m.muted.size(), 1u);
  EXPECT_EQ(m.muted[0].mute_reason, "until the migration");
  EXPECT_EQ(m.muted[0].muted_by, "alice");
  EXPECT_EQ(*m.muted[0].muted_until, at("2027-01-01T00:00:00Z"));
  ASSERT_EQ(m.resolved.size(), 1u);
  ASSERT_EQ(m.trend.size(), 2u);
  EXPECT_EQ(m.trend[0].open[static_cast<int>(Severity::high)], 1);
  EXPECT_EQ(m.trend[0].open[static_cast<int>(Severity::medium)], 1);
  EXPECT_EQ(m.trend[1].open[static_cast<int>(Severity::high)], 0);
  EXPECT_EQ(m.trend[1].open[static_cast<int>(Severity::medium)], 0);  // muted since day 5

  // Earlier: the history after as_of does not exist for the report.
  report::History early = h;
  early.events.resize(2);
  early.cycles.resize(1);
  const auto e = report::build_report(early, {at("2026-11-02T00:00:00Z"), days(30), "", {}});
  EXPECT_EQ(e.open.size(), 2u);
  EXPECT_EQ(e.open[0].id, "F1");  // high before medium
  EXPECT_EQ(e.open[0].age, days(1));
}

TEST(ReportModel, EveryReferenceChecklistLineAndStatuses) {
  const auto m = report::build_report(history(), {at("2026-11-10T00:00:00Z"), days(30), "", {}});
  EXPECT_GE(report::checklist_lines().size(), 36u);
  EXPECT_EQ(m.checklist.size(), report::checklist_lines().size());
  std::map<std::string, std::string> status;
  for (const auto& e : m.checklist) status[e.item] = e.status;
  // .at(): a renamed checklist line fails here instead of skipping its assertion.
  EXPECT_EQ(status.at("HTTPS everywhere — API calls and webhook deliveries"), "pass");  // resolved
  EXPECT_EQ(status.at("Token rotation tracked centrally with reminders"), "fail");   // muted counts
  EXPECT_EQ(status.at("Never expose tokens in client-side code"), "not_evaluated");
  // attestation-freshness did not run in this history: not evaluated, never "attested".
  EXPECT_EQ(status.at("Incident response runbook exists for credential compromise"), "not_evaluated");
}

// A damaged stored state (flagged by the store, or a mistyped field) shows as
// unreadable in every format that shows customers, never as an empty state.
TEST(ReportModel, UnreadableCustomerStatesSayUnreadable) {
  auto h = history();
  h.customers.push_back({"cust_1", nlohmann::json::object(), true});
  h.customers.push_back({"cust_2", nlohmann::json::parse(R"({"status":"active","name":7})")});
  h.customers.push_back({"cust_3", nlohmann::json::parse(R"({"status":"active","name":"Ok","webhooks":[]})")});
  report::ReportOptions o{at("2026-11-10T00:00:00Z"), days(30), "", at("2026-11-20T00:00:00Z")};
  const auto m = report::build_report(h, o);
  ASSERT_EQ(m.customers.size(), 3u);
  for (std::size_t i : {0u, 1u}) {
    EXPECT_TRUE(m.customers[i].unreadable) << i;
    EXPECT_EQ(m.customers[i].status, "unreadable") << i;
    EXPECT_EQ(m.customers[i].offboarding, "unreadable") << i;
    EXPECT_EQ(m.customers[i].webhook_health, "unreadable") << i;
  }
  EXPECT_FALSE(m.customers[2].unreadable);
  EXPECT_EQ(m.customers[2].status, "active");
  const auto j = nlohmann::json::parse(report::render_json(m));
  EXPECT_EQ(j["customers"][0]["unreadable"], true);
  EXPECT_EQ(j["customers"][0]["status"], "unreadable");
  EXPECT_EQ(j["customers"][2]["unreadable"], false);
  EXPECT_NE(report::render_markdown(m).find("### cust_1\n\n- Status: unreadable"), std::string::npos);
  EXPECT_NE(report::render_html(m).find("<tr><td>cust_1<br></td><td>unreadable</td><td>unreadable</td><td>unreadable</td>"),
            std::string::npos);
}

TEST(ReportModel, CsvQuotesPerRfc4180) {
  const auto m = report::build_report(history(), {at("2026-11-02T00:00:00Z"), days(30), "", {}});
  const auto csv = report::render_csv(m);
  EXPECT_NE(csv.find(",\"old, \"\"quoted\"\"\","), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\n"), std::string::npos);
  EXPECT_EQ(report::render(m, "pdf"), std::nullopt);
}

TEST(HttpAuth, BearerTokenAgainstHashesGivesItsName) {
  const std::vector<HttpToken> allowed{{"other", sha256_hex("other")}, {"dashboard", sha256_hex("right-token")}};
  EXPECT_EQ(http::authenticated_token("Bearer right-token", allowed), "dashboard");
  EXPECT_EQ(http::authenticated_token("bearer right-token", allowed), "dashboard");
  EXPECT_EQ(http::authenticated_token("Bearer other", allowed), "other");
  EXPECT_FALSE(http::authenticated_token("Bearer wrong-token", allowed));
  EXPECT_FALSE(http::authenticated_token("right-token", allowed));
  EXPECT_FALSE(http::authenticated_token("", allowed));
  EXPECT_FALSE(http::authenticated_token("Bearer right-token", {}));
}

TEST(HttpConfig, NamedTokensAndTheUnnamedList) {
  auto ok = parse_config("[inventory]\npath = \"i.db\"\n[http]\ntoken_sha256 = [\"" + sha256_hex("a") +
                             "\"]\n[[http.tokens]]\nname = \"ops-dashboard\"\nsha256 = \"" + sha256_hex("b") + "\"\n",
                         "c.toml");
  ASSERT_TRUE(ok.ok()) << (ok.problems.empty() ? "" : ok.problems[0].to_string());
  ASSERT_EQ(ok.config->http.tokens.size(), 2u);
  EXPECT_EQ(ok.config->http.tokens[0].name, "ops-dashboard");
  EXPECT_EQ(ok.config->http.tokens[0].sha256, sha256_hex("b"));
  EXPECT_EQ(ok.config->http.tokens[1].name, "token_sha256[1]");

  auto bad = parse_config("[inventory]\npath = \"i.db\"\n[http]\n[[http.tokens]]\nname = \"a b\"\nsha256 = \"" +
                              sha256_hex("b") + "\"\n[[http.tokens]]\nsha256 = \"CANARY-a-token\"\n"
                              "[[http.tokens]]\nname = \"c\"\nsha256 = \"" + sha256_hex("b") + "\"\n",
                          "c.toml");
  std::string all;
  for (const auto& p : bad.problems) all += p.to_string() + "\n";
  EXPECT_NE(all.find("c.toml:5:8: http.tokens[1].name: letters, digits"), std::string::npos) << all;
  EXPECT_NE(all.find("c.toml:8:10: http.tokens[2].sha256: must be the SHA-256"), std::string::npos) << all;
  EXPECT_NE(all.find("http.tokens[2]: 'name' is required"), std::string::npos) << all;
  EXPECT_NE(all.find("http.tokens[3]: the same token hash is listed twice"), std::string::npos) << all;
  EXPECT_EQ(all.find("CANARY"), std::string::npos) << all;
}

TEST(HttpConfig, ValidatedWithPositionsAndNeverEchoesATokenValue) {
  auto ok = parse_config("[inventory]\npath = \"i.db\"\n[http]\nlisten = \"[::1]:0\"\ntoken_sha256 = [\"" +
                             sha256_hex("x") + "\"]\nread_timeout = \"3s\"\n",
                         "c.toml");
  ASSERT_TRUE(ok.ok()) << (ok.problems.empty() ? "" : ok.problems[0].to_string());
  EXPECT_EQ(ok.config->http.host, "::1");
  EXPECT_EQ(ok.config->http.port, 0);
  EXPECT_EQ(ok.config->http.read_timeout, Duration{3});
  auto def = parse_config("[inventory]\npath = \"i.db\"\n", "c.toml");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def.config->http.listen, "127.0.0.1:9464");

  auto bad = parse_config(
      "[inventory]\npath = \"i.db\"\n[http]\nlisten = \"localhost\"\ntoken_sha256 = [\"plain-token-value\"]\n"
      "bogus = 1\n",
      "c.toml");
  ASSERT_EQ(bad.problems.size(), 3u);
  std::string all;
  for (const auto& p : bad.problems) all += p.to_string() + "\n";
  EXPECT_NE(all.find("c.toml:4:"), std::string::npos) << all;
  EXPECT_NE(all.find("http.listen must be"), std::string::npos) << all;
  EXPECT_NE(all.find("c.toml:5:"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key 'http.bogus'"), std::string::npos) << all;
  EXPECT_EQ(all.find("plain-token-value"), std::string::npos) << all;
}

}  // namespace
}  // namespace complyd
