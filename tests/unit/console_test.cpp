// SPDX-License-Identifier: Apache-2.0
// The web console's parts without a browser: [[http.users]] in the
// configuration, password hashes, the shared operator action, and the
// findings page's server-side filter, count and paging, the overview's last cycle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "commit_cycle.hpp"
#include "config_text.hpp"
#include "daemon/http/console_pages.hpp"
#include "daemon/store/operator_action.hpp"
#include "daemon/util/crypto.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

namespace fs = std::filesystem;

std::string console_config(const fs::path& dir, const std::string& users) {
  return "[inventory]\npath = \"inventory.db\"\n[http]\nconsole = true\n" + users;
  (void)dir;
}

TEST(ConsoleUsers, TokenAndPasswordHashComeFromFiles) {
  TempDir t;
  std::ofstream(t.path / "alice.token") << "0123456789abcdef0123\n";
  const auto hash = hash_password("correct horse battery", 1000);
  std::ofstream(t.path / "bob.hash") << hash << "\n";
  auto r = parse_toml(console_config(t.path, "[[http.users]]\nname = \"alice\"\nrole = \"operator\"\ntoken_file = \"" +
                                                 (t.path / "alice.token").string() +
                                                 "\"\n[[http.users]]\nname = \"bob\"\nrole = \"viewer\"\n"
                                                 "password_hash_file = \"" +
                                                 (t.path / "bob.hash").string() + "\"\n"));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  const auto& users = r.config->http.users;
  ASSERT_EQ(users.size(), 2u);
  EXPECT_TRUE(r.config->http.console);
  EXPECT_EQ(users[0].token_sha256, sha256_hex("0123456789abcdef0123"));
  EXPECT_TRUE(users[0].can_act());
  EXPECT_EQ(users[1].password_hash, hash);
  EXPECT_FALSE(users[1].can_act());
}

TEST(ConsoleUsers, ProblemsNameTheirPosition) {
  TempDir t;
  std::ofstream(t.path / "short.token") << "abc\n";
  std::ofstream(t.path / "bad.hash") << "not-a-hash\n";
  const auto file = [&](const char* n) { return (t.path / n).string(); };
  auto r = parse_toml(console_config(
      t.path, "[[http.users]]\nname = \"a\"\nrole = \"admin\"\ntoken_file = \"" + file("short.token") +
                  "\"\n[[http.users]]\nname = \"b\"\nrole = \"viewer\"\npassword_hash_file = \"" + file("bad.hash") +
                  "\"\n[[http.users]]\nname = \"c\"\nrole = \"viewer\"\ntoken = \"inline-secret-value\"\n"));
  const auto m = messages(r);
  const auto has = [&](const std::string& re) {
    return std::any_of(m.begin(), m.end(), [&](const std::string& s) { return std::regex_search(s, std::regex(re)); });
  };
  EXPECT_TRUE(has(R"(complyd.toml:7:8: http.users\[1\].role: 'admin' is not one of: operator, viewer)")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(R"(complyd.toml:8:14: http.users\[1\].token_file: the token must be at least 16 characters)")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(R"(complyd.toml:12:22: http.users\[2\].password_hash_file: not a password hash)")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(R"(complyd.toml:16:1: http.users\[3\].token: secrets are not accepted inline)")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(R"(complyd.toml:13:1: http.users\[3\]: exactly one of 'token_file' or 'password_hash_file')")) << ::testing::PrintToString(m);
  for (const auto& s : m) EXPECT_EQ(s.find("inline-secret-value"), std::string::npos) << s;
}

TEST(ConsoleUsers, ConsoleWithoutUsersIsAnError) {
  auto r = parse_toml("[inventory]\npath = \"inventory.db\"\n[http]\nconsole = true\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).at(0).find("complyd.toml:4:11: http.console: no [[http.users]]"), std::string::npos)
      << messages(r).at(0);
}

TEST(ConsolePasswords, VerifyOnlyTheRightPassword) {
  const auto h = hash_password("correct horse battery", 1000);
  EXPECT_TRUE(std::regex_match(h, std::regex("pbkdf2-sha256\\$1000\\$[0-9a-f]{32}\\$[0-9a-f]{64}"))) << h;
  EXPECT_TRUE(verify_password(h, "correct horse battery"));
  EXPECT_FALSE(verify_password(h, "correct horse batterY"));
  EXPECT_FALSE(verify_password("pbkdf2-sha256$1000$zz$00", "x"));
  EXPECT_NE(hash_password("correct horse battery", 1000), h) << "a salt of its own each time";
  EXPECT_FALSE(valid_password_hash("pbkdf2-sha256$10$00112233445566778899aabbccddeeff$" + std::string(64, '0')))
      << "too few iterations";
}

LifecycleResult console_findings(int n) {
  std::vector<Observed> obs;
  for (int i = 0; i < n; ++i) {
    Observed o;
    o.finding.check_id = i % 3 == 0 ? "credential-age" : "transport-https";
    o.finding.customer_id = "cust-" + std::to_string(i % 7);
    o.finding.subject = "subject-" + std::to_string(i);
    o.finding.severity = i % 2 == 0 ? Severity::high : Severity::low;
    o.finding.title = i == 5 ? "needle in the title" : "finding " + std::to_string(i);
    o.finding.detail = "d";
    o.finding.remediation = "r";
    o.id = finding_id(o.finding.check_id, o.finding.customer_id, o.finding.subject);
    o.evidence_json = "{}";
    obs.push_back(o);
  }
  return apply_lifecycle({}, obs, {"credential-age", "transport-https"}, {}, kNow);
}

// A finished, successful cycle at kNow.
CycleRecord console_cycle() {
  CycleRecord c;
  c.started_at = kNow;
  c.finished_at = kNow;
  c.status = "ok";
  return c;
}

int console_total(const std::string& html) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex(R"(<strong id="total">(\d+)</strong>)"))) return -1;
  return std::stoi(m[1]);
}

int console_rows(const std::string& html) {
  int n = 0;
  for (auto at = html.find("class=\"fid\""); at != std::string::npos; at = html.find("class=\"fid\"", at + 1)) ++n;
  return n;
}

TEST(ConsoleFindings, FilterCountAndPageOnTheServer) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c = console_cycle();
  auto lr = console_findings(120);
  commit_cycle(s, c, lr);
  const http::console::Viewer v{"alice", "operator", "csrf", true};
  auto page = [&](const std::string& q) {
    return http::console::findings_page(s.db(), http::console::FindingsQuery::from(http::console::parse_form(q)), v);
  };
  EXPECT_EQ(console_total(page("")), 120);
  EXPECT_EQ(console_rows(page("")), 50) << "50 a page";
  EXPECT_EQ(console_rows(page("page=3")), 20);
  EXPECT_EQ(console_total(page("check=credential-age")), 40);
  EXPECT_EQ(console_total(page("check=credential-age&customer=cust-0")), 6);  // i = 0, 21, 42, 63, 84, 105
  EXPECT_EQ(console_total(page("severity=high")), 60);
  EXPECT_EQ(console_total(page("q=NEEDLE")), 1) << "text search ignores case";
  EXPECT_EQ(console_total(page("q=%25")), 0) << "a % is a character, not a wildcard";
  EXPECT_EQ(console_total(page("muted=yes")), 0);

  // A mute through the shared action: the muted filter and the status filter see it.
  const auto id = lr.changed.front().id;
  apply_operator_action(s, {FindingAction::mute, id, "accepted", "2027-01-31"}, Actor::console_user("alice"), kNow);
  EXPECT_EQ(console_total(page("muted=yes")), 1);
  EXPECT_EQ(console_total(page("muted=no")), 119);
  EXPECT_EQ(console_total(page("status=resolved")), 0);
  const auto history = s.history(id);
  ASSERT_EQ(history.back().event, "muted");
  EXPECT_EQ(history.back().actor, "console:alice");

  // Sorting: severity descending puts high first; ascending low first.
  const auto first_sev = [](const std::string& html) {
    std::smatch m;
    std::regex_search(html, m, std::regex(R"(class="sev sev-(\w+)\">\w+</span></td>)"));
    return m[1].str();
  };
  EXPECT_EQ(first_sev(page("sort=severity&dir=desc")), "high");
  EXPECT_EQ(first_sev(page("sort=severity&dir=asc")), "low");
  // Nothing from the request is spliced into SQL.
  EXPECT_EQ(console_total(page("sort=id;DROP TABLE findings&check=x' OR '1'='1")), 0);
  EXPECT_EQ(console_total(page("")), 120);
}

TEST(ConsoleActions, AMuteNeedsAReasonAndAValidEndDate) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c = console_cycle();
  auto lr = console_findings(1);
  commit_cycle(s, c, lr);
  const auto id = lr.changed.front().id;
  const auto by = Actor::console_user("alice");
  EXPECT_THROW(apply_operator_action(s, {FindingAction::mute, id, "why", ""}, by, kNow), StateError);
  EXPECT_THROW(apply_operator_action(s, {FindingAction::mute, id, "why", "next tuesday"}, by, kNow), StateError);
  EXPECT_THROW(apply_operator_action(s, {FindingAction::mute, id, "", "2027-01-31"}, by, kNow), StateError);
  EXPECT_THROW(apply_operator_action(s, {FindingAction::unmute, id, "", ""}, by, kNow), StateError);
  EXPECT_EQ(s.get(id)->status, FindingStatus::open);
  EXPECT_EQ(s.history(id).size(), 1u) << "a refused action records nothing";
  EXPECT_EQ(by.label(), "console:alice");
}

// The overview reads the last cycle back from the state: a source's rejected
// rows are shown from the stored count (their messages are not stored).
TEST(ConsoleOverview, TheLastCycleShowsEachSourcesRejectedRows) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c = console_cycle();
  SourceStatus inventory;
  inventory.name = "inventory";
  inventory.type = "inventory";
  inventory.rows = 40;
  inventory.problems = {"customers id c1: name is not valid UTF-8", "credentials id 7: kind is empty"};
  SourceStatus files;
  files.name = "files";
  files.type = "files";
  files.rows = 3;
  c.sources = {inventory, files};
  commit_cycle(s, c, console_findings(1));
  ASSERT_EQ(s.last_cycle()->sources.at(0).rejected_rows(), 2u);
  const http::console::Viewer v{"alice", "viewer", "csrf", false};
  const std::string html = http::console::overview_page(s.db(), v, kNow);
  EXPECT_NE(html.find("Rejected rows"), std::string::npos);
  EXPECT_NE(html.find(R"(<td class="num">40</td><td class="num"><span class="fail">2</span></td>)"), std::string::npos)
      << html;
  EXPECT_NE(html.find(R"(<td class="num">3</td><td class="num">0</td>)"), std::string::npos) << html;
  EXPECT_EQ(html.find("not valid UTF-8"), std::string::npos) << "counts only, never the rows' text";
}

}  // namespace
}  // namespace complyd::testing
