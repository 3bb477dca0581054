// SPDX-License-Identifier: Apache-2.0
// E-mail end to end against a real SMTP server (aiosmtpd): the demo audit's
// digest and reminders, exactly-once across re-runs, server outages and
// kill -9, the ladder reset by a rotation, STARTTLS with a private CA.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <unistd.h>

#include "daemon/util/sqlite.hpp"
#include "model/time.hpp"
#include "notify_smtp.hpp"
#include "process.hpp"
#include "tests/wait_until.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kPasswordCanary = "CANARYsmtpPassw0rd7f3e9a1b";
const char* kNameCanary = "CANARYtok3n9f8e7d6c5b4a3f2e1";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  if (pos == std::string::npos) throw std::runtime_error("not found in config: " + from);
  return s.replace(pos, from.size(), to);
}

class NotifyE2E : public ::testing::Test {
 protected:
  void make_demo(const std::string& smtp_url, const std::vector<std::string>& extra = {"--now", kDemoNow}) {
    std::vector<std::string> args{"demo", dir_.path().string(), "--smtp", smtp_url};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(dir_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    config_ = (dir_ / "complyd.toml").string();
    write_file(dir_ / "smtp.pass", std::string(kPasswordCanary) + "\n");
    edit_config("tls = \"none\"\n", "tls = \"none\"\npassword_file = \"smtp.pass\"\n");
  }
  void edit_config(const std::string& from, const std::string& to) {
    write_file(config_, replace(read_file(config_), from, to));
  }
  Result audit(const std::string& now = kDemoNow, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"audit", "--state", sim_state(dir_), "--config", config_, "--now", now};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(dir_, args);
  }
  void inventory_exec(const std::string& sql) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    db.exec(sql);
  }
  // The database the commands read: the simulated one of `audit --now`, or
  // the daemon's (live_).
  std::string state_db() const { return live_ ? (dir_ / "state.db").string() : sim_state(dir_); }
  json outbox(const std::string& status = "") {
    std::vector<std::string> args{"notify", "outbox", "--state", state_db(), "--config", config_, "--format", "json", "--limit", "100000"};
    if (!status.empty()) args.insert(args.end(), {"--status", status});
    auto r = run(dir_, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // (admin e-mail, storage path) of every current API token at least 80 days old at `now`.
  std::vector<std::pair<std::string, std::string>> expected_reminders(const std::string& now) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_only);
    sql::Stmt s(db,
                "SELECT c.admin_email, coalesce(k.rotated_at, k.created_at), k.storage_path FROM customers c JOIN "
                "credentials k "
                "ON k.customer_id = c.id WHERE k.kind = 'api_token' AND k.role = 'current' AND c.status != "
                "'offboarded' AND coalesce(k.rotated_at, k.created_at) IS NOT NULL");
    std::vector<std::pair<std::string, std::string>> out;
    const Time t = *parse_time(now);
    while (s.step()) {
      if (t - *parse_time(s.text(1)) >= days(80)) out.emplace_back(s.text(0), s.text(2));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  bool live_ = false;  // the test runs the daemon, on the configured state_db
  std::string config_;
};

std::vector<json> with_subject(const json& msgs, const std::string& part) {
  std::vector<json> out;
  for (const auto& m : msgs) {
    if (m["subject"].get<std::string>().find(part) != std::string::npos) out.push_back(m);
  }
  return out;
}

TEST_F(NotifyE2E, DemoAuditDeliversOneDigestAndTheRemindersExactlyOnce) {
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready()) << read_file(dir_ / "smtpd.log");
  make_demo(smtp.url());
  // A careless customer name with a token in it must not reach an e-mail.
  inventory_exec(fmt::format("UPDATE customers SET name = name || ' token={}' WHERE id IN (SELECT customer_id FROM "
                             "credentials WHERE kind='api_token' AND role='current')",
                             kNameCanary));
  auto r = audit();
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto msgs = parse_maildir(dir_, smtp.maildir());
  ASSERT_FALSE(msgs.empty()) << r.err;

  // One digest, to both admins.
  std::vector<json> digests, reminders, escalations;
  for (const auto& m : msgs) {
    const auto to = m["to"].get<std::string>();
    const auto subject = m["subject"].get<std::string>();
    if (subject.find("escalation") != std::string::npos) escalations.push_back(m);
    else if (to.find("partner.example.com") != std::string::npos) digests.push_back(m);
    else reminders.push_back(m);
  }
  ASSERT_EQ(digests.size(), 1u);
  const auto& d = digests[0];
  EXPECT_NE(d["to"].get<std::string>().find("ops@partner.example.com"), std::string::npos);
  EXPECT_NE(d["to"].get<std::string>().find("security@partner.example.com"), std::string::npos);
  EXPECT_EQ(d["from"], "complyd-demo@localhost");
  EXPECT_EQ(d["auto_submitted"], "auto-generated");
  EXPECT_EQ(d["content_type"], "multipart/alternative");
  EXPECT_NE(d["date"].get<std::string>().find("22 Nov 2026 12:00:00"), std::string::npos);
  EXPECT_FALSE(d["message_id"].get<std::string>().empty());
  EXPECT_NE(d["text"].get<std::string>().find("== high =="), std::string::npos);
  EXPECT_NE(d["text"].get<std::string>().find("-- credential-age --"), std::string::npos);
  EXPECT_NE(d["text"].get<std::string>().find("remediation:"), std::string::npos);
  EXPECT_NE(d["html"].get<std::string>().find(">offboarding-completeness</h4>"), std::string::npos);
  // The subject and the first lines say what matters: what is open by severity, and what is new.
  auto listed = run(dir_, {"findings", "list", "--config", config_, "--state", sim_state(dir_), "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  int critical = 0, high = 0;
  const auto listed_doc = json::parse(listed.out);
  for (const auto& f : listed_doc["findings"]) {
    critical += f["severity"] == "critical";
    high += f["severity"] == "high";
  }
  ASSERT_GT(critical + high, 0) << listed.out.substr(0, 800);
  const auto headline = fmt::format("{} critical, {} high open; ", critical, high);
  const auto& subject = d["subject"].get_ref<const std::string&>();
  EXPECT_TRUE(subject.starts_with("[complyd] " + headline)) << subject;
  EXPECT_NE(subject.find(" new"), std::string::npos) << subject;
  const auto& digest_text = d["text"].get_ref<const std::string&>();
  EXPECT_TRUE(digest_text.starts_with(headline)) << digest_text.substr(0, 400);
  const auto summary_at = digest_text.find(fmt::format("critical: {} open; ", critical));
  EXPECT_LT(summary_at, digest_text.find("== critical ==")) << "the summary comes before the full list";
  EXPECT_LT(std::count(digest_text.begin(), digest_text.begin() + std::min(summary_at, digest_text.size()), '\n'), 6);
  // Styled for mail clients: inline CSS, a severity colour, nothing loaded from elsewhere.
  const auto& html = d["html"].get_ref<const std::string&>();
  EXPECT_NE(html.find("background:#b00020"), std::string::npos);
  for (const char* external : {"<style", "<link", "src=", "url(", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  // Grouped by severity: critical/high before medium before low.
  const auto& text = d["text"].get_ref<const std::string&>();
  if (text.find("== low ==") != std::string::npos) { EXPECT_LT(text.find("== high =="), text.find("== low ==")); }

  // The reminders: exactly the customers whose token is 80+ days old.
  std::set<std::string> to;
  for (const auto& m : reminders) {
    to.insert(m["to"].get<std::string>());
    const auto& t = m["text"].get_ref<const std::string&>();
    // The credential as the customer knows it; the partner's storage path stays internal.
    EXPECT_TRUE(std::regex_search(t, std::regex(R"(Your (Raise|Virtuous|Revolv3) (production|sandbox) API token)")))
        << t;
    EXPECT_EQ(t.find("/api_token"), std::string::npos) << t;
    EXPECT_NE(t.find("last rotated:"), std::string::npos);
    EXPECT_NE(t.find("rotation due:"), std::string::npos);
    EXPECT_NE(t.find("Generate a new API token"), std::string::npos);
    EXPECT_NE(m["html"].get<std::string>().find("<ol>"), std::string::npos);
    EXPECT_EQ(m["auto_submitted"], "auto-generated");
  }
  const auto expected = expected_reminders(kDemoNow);
  EXPECT_GE(expected.size(), 2u);
  std::set<std::string> expected_to;
  for (const auto& [email, path] : expected) expected_to.insert(email);
  EXPECT_EQ(to, expected_to);
  EXPECT_EQ(reminders.size(), expected.size());  // one per credential
  for (const auto& m : escalations) EXPECT_NE(m["to"].get<std::string>().find("ops@partner.example.com"), std::string::npos);
  // The demo has tokens 120 and 200 days old, reminded for the first time in this cycle: an escalation
  // now would claim reminders went unanswered. Never a reminder and an escalation for one customer at once.
  std::set<std::string> reminded_customers, escalated_customers;
  for (const auto& m : outbox()) {
    if (m["kind"] == "reminder") reminded_customers.insert(m["customer_id"].get<std::string>());
    if (m["kind"] == "escalation") escalated_customers.insert(m["customer_id"].get<std::string>());
  }
  for (const auto& c : escalated_customers) EXPECT_FALSE(reminded_customers.contains(c)) << c;

  // No secret anywhere: not in the messages, not in the state database.
  for (const auto& m : msgs) {
    EXPECT_EQ(m["raw"].get<std::string>().find(kPasswordCanary), std::string::npos);
    EXPECT_EQ(m["raw"].get<std::string>().find(kNameCanary), std::string::npos);
    EXPECT_EQ(m["text"].get<std::string>().find(kNameCanary), std::string::npos);
  }
  for (const char* f : {"simulated.db", "simulated.db-wal"}) {
    EXPECT_EQ(read_file(dir_ / f).find(kNameCanary), std::string::npos) << f;
    EXPECT_EQ(read_file(dir_ / f).find(kPasswordCanary), std::string::npos) << f;
  }
  EXPECT_EQ(r.err.find(kPasswordCanary), std::string::npos);

  // The outbox agrees: everything sent, once.
  auto ob = outbox();
  EXPECT_EQ(ob.size(), msgs.size());
  for (const auto& m : ob) EXPECT_EQ(m["status"], "sent") << m.dump();

  // A second audit sends nothing new.
  r = audit();
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(smtp.count(), msgs.size());
  // Nor does one a few hours later (the repeat interval is 24 h).
  r = audit("2026-11-22T18:00:00Z");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(smtp.count(), msgs.size());

  // escalate_after (14 days) after those first reminders, the overdue ones are escalated to the admins.
  r = audit("2026-12-06T12:00:00Z");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  std::set<std::string> escalated_later;
  for (const auto& m : outbox()) {
    if (m["kind"] == "escalation") escalated_later.insert(m["customer_id"].get<std::string>());
  }
  EXPECT_GT(escalated_later.size(), escalated_customers.size());
}

// The digest's HTML part as a person sees it, at 1280 px in headless
// Chromium, kept as a test artifact (docs/images/digest.png is one).
TEST_F(NotifyE2E, DigestHtmlRendersInHeadlessChromium) {
  std::string chromium;
  for (const char* p : {"/usr/bin/chromium", "/usr/local/bin/chromium"}) {
    if (access(p, X_OK) == 0) chromium = p;
  }
  ASSERT_FALSE(chromium.empty()) << "chromium is required (./dev installs the Debian package)";
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready());
  make_demo(smtp.url());
  ASSERT_EQ(audit().exit_code, 3);
  const auto digests = with_subject(parse_maildir(dir_, smtp.maildir()), " open; ");
  ASSERT_EQ(digests.size(), 1u);
  const auto html = dir_ / "digest.html";
  write_file(html, digests[0]["html"].get<std::string>());
  const fs::path artifacts = COMPLYD_ARTIFACT_DIR;
  fs::create_directories(artifacts);
  const auto png = artifacts / "digest.png";
  fs::remove(png);
  const std::string cmd = chromium +
                          " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
                          " --disable-component-update --disable-sync --disable-extensions --hide-scrollbars"
                          " --window-size=1280,1600 --user-data-dir=" +
                          quote((dir_ / "chromium-profile").string()) + " --screenshot=" + quote(png.string()) +
                          " " + quote("file://" + html.string()) + " >/dev/null 2>" +
                          quote((dir_ / "chromium.err").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir_ / "chromium.err");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 10000u);
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
}

TEST_F(NotifyE2E, ARotationResetsTheLadder) {
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready());
  make_demo(smtp.url());
  // The reminders name the storage path here, to tell the two credentials apart.
  edit_config("kinds = [\"api_token\"]\n", "kinds = [\"api_token\"]\nshow_storage_path = true\n");
  ASSERT_EQ(audit().exit_code, 3);
  const auto before = parse_maildir(dir_, smtp.maildir());
  const auto reminded = expected_reminders(kDemoNow);
  ASSERT_GE(reminded.size(), 2u);
  const auto rotated = reminded[0], rerotated = reminded[1];
  // One customer rotated yesterday: nothing more for them. Another got a new
  // token that is (implausibly) already 85 days old: a new version, so its
  // ladder starts again with a warning.
  inventory_exec(fmt::format("UPDATE credentials SET rotated_at = '2026-11-21T12:00:00Z' WHERE storage_path = '{}' "
                             "AND role = 'current'",
                             rotated.second));
  inventory_exec(fmt::format("UPDATE credentials SET rotated_at = '2026-08-29T12:00:00Z' WHERE storage_path = '{}' "
                             "AND role = 'current'",
                             rerotated.second));
  ASSERT_EQ(audit().exit_code, 3);
  const auto after = parse_maildir(dir_, smtp.maildir());
  // Reminders (to the customer's admin) about one credential.
  auto count = [](const json& msgs, const std::pair<std::string, std::string>& cred) {
    int n = 0;
    for (const auto& m : msgs) {
      n += m["to"] == cred.first && m["text"].get<std::string>().find(cred.second) != std::string::npos;
    }
    return n;
  };
  EXPECT_EQ(count(before, rotated), 1);
  EXPECT_EQ(count(before, rerotated), 1);
  EXPECT_EQ(count(after, rotated), 1);
  EXPECT_EQ(count(after, rerotated), 2);
  bool warned = false;
  for (const auto& m : after) {
    if (m["to"] == rerotated.first && m["text"].get<std::string>().find(rerotated.second) != std::string::npos &&
        m["subject"].get<std::string>().starts_with("Rotation due soon"))
      warned = true;
  }
  EXPECT_TRUE(warned);
}

TEST_F(NotifyE2E, ServerDownThenUpDeliversEachMessageExactlyOnce) {
  const int port = free_port();
  make_demo("smtp://127.0.0.1:" + std::to_string(port));
  auto r = audit();
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("e-mail delivery stopped"), std::string::npos) << r.err;
  const auto queued = outbox();
  ASSERT_GE(queued.size(), 3u);
  for (const auto& m : queued) EXPECT_NE(m["status"], "sent");
  EXPECT_EQ(outbox("sent").size(), 0u);

  // Still down an hour later: still queued, nothing lost.
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-22T13:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(outbox().size(), queued.size());

  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log", port);
  ASSERT_TRUE(smtp.ready());
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-22T16:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto msgs = parse_maildir(dir_, smtp.maildir());
  EXPECT_EQ(msgs.size(), queued.size());
  std::set<std::string> ids;
  for (const auto& m : msgs) ids.insert(m["message_id"].get<std::string>());
  EXPECT_EQ(ids.size(), queued.size());
  EXPECT_EQ(outbox("sent").size(), queued.size());
  // Again: nothing due, nothing sent.
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-22T17:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(smtp.count(), queued.size());
}

TEST_F(NotifyE2E, DeadMessagesRaiseAFindingAndCanBeRetried) {
  const int port = free_port();
  make_demo("smtp://127.0.0.1:" + std::to_string(port));
  edit_config("escalate_after = \"14d\"\n", "escalate_after = \"14d\"\n");
  ASSERT_EQ(audit().exit_code, 3);
  // Four days later (smtp.dead_after defaults to 3 days) the messages die.
  auto r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-26T12:00:00Z"});
  EXPECT_NE(r.err.find("now dead"), std::string::npos) << r.err;
  const auto dead = outbox("dead");
  ASSERT_FALSE(dead.empty());
  r = audit("2026-11-26T12:00:00Z", {"--format", "json", "--no-notify"});
  auto doc = json::parse(r.out);
  int found = 0;
  for (const auto& f : doc["findings"]) found += f["check_id"] == "notification-delivery";
  EXPECT_EQ(found, static_cast<int>(dead.size()));
  // Requeue one; it goes out when the server is back.
  const auto id = std::to_string(dead[0]["id"].get<int>());
  r = run(dir_, {"notify", "retry", "--state", state_db(), id, "--config", config_, "--now", "2026-11-26T12:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run(dir_, {"notify", "retry", "--state", state_db(), "999999", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no outbox message"), std::string::npos);
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log", port);
  ASSERT_TRUE(smtp.ready());
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-26T12:01:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(smtp.count(), 1u);
}

TEST_F(NotifyE2E, KillNineDuringABatchLosesNothingAndDuplicatesAtMostOne) {
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready());
  // The daemon runs on the system clock, so the demo is built around now.
  live_ = true;
  make_demo(smtp.url(), {"--customers", "1500"});
  edit_config("escalate_after = \"14d\"\n", "escalate_after = \"14d\"\nmax_per_cycle = 5000\n");
  // Every current API token 85 days old: one warning per active customer.
  const Time now = system_clock()();
  inventory_exec(fmt::format("UPDATE credentials SET rotated_at = '{}' WHERE kind = 'api_token' AND role = 'current'",
                             format_time(now - days(85))));
  const auto err = dir_ / "daemon.err";
  std::vector<std::string> args{COMPLYD_BINARY, "run", "--config", config_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, COMPLYD_BINARY, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  // A short poll: the kill should land in the middle of the batch.
  wait_until([&] { return smtp.count() >= 40; }, 120s, 5ms);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const auto at_kill = smtp.count();
  ASSERT_GE(at_kill, 40u) << read_file(err);

  const auto total = outbox().size();
  const auto sent_at_kill = outbox("sent").size();
  ASSERT_GT(total, 1000u);
  ASSERT_LT(sent_at_kill, total) << "the batch finished before the kill; the test proves nothing";
  // Nothing lost: a restart (here: notify send) delivers the rest.
  auto r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The message the killed daemon had claimed stays its own until the lease
  // runs out (minutes): nobody else sends it meanwhile.
  const auto leased = total - outbox("sent").size();
  EXPECT_LE(leased, 1u);
  if (leased > 0) {
    // The lease's end comes (moved to the past here rather than waited for): another process takes over.
    sql::Db db(dir_ / "state.db", sql::OpenMode::read_write_create);
    db.exec("UPDATE outbox SET lease_until = 0 WHERE status != 'sent' AND lease_owner IS NOT NULL");
  }
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outbox("sent").size(), total);
  const auto msgs = parse_maildir(dir_, smtp.maildir());
  std::set<std::string> ids;
  for (const auto& m : msgs) ids.insert(m["message_id"].get<std::string>());
  EXPECT_EQ(ids.size(), total);              // every message arrived
  EXPECT_LE(msgs.size() - ids.size(), 1u);   // at most the one in the documented window twice
}

// Issue 19 §1: the shipped setup has two deliverers (the daemon and the
// weekly `report --email`); here the daemon and two `notify send` deliver one
// outbox at once, and each message reaches the server exactly once.
TEST_F(NotifyE2E, TwoNotifySendsAndTheDaemonDeliverEachMessageOnce) {
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready());
  live_ = true;  // the daemon runs on the configured state_db, on the system clock
  make_demo(smtp.url(), {"--customers", "600"});
  edit_config("escalate_after = \"14d\"\n", "escalate_after = \"14d\"\nmax_per_cycle = 5000\n");
  const Time now = system_clock()();
  inventory_exec(fmt::format("UPDATE credentials SET rotated_at = '{}' WHERE kind = 'api_token' AND role = 'current'",
                             format_time(now - days(85))));
  // Enqueued, not delivered: the three deliverers below find them all due.
  auto r = run(dir_, {"audit", "--config", config_, "--no-notify"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  ASSERT_GT(outbox("pending").size(), 400u);

  Process daemon({"run", "--config", config_}, dir_ / "daemon.err");
  Process send1({"notify", "send", "--config", config_}, dir_ / "send1.err");
  Process send2({"notify", "send", "--config", config_}, dir_ / "send2.err");
  EXPECT_EQ(send1.wait_exit(120s), 0) << read_file(dir_ / "send1.err");
  EXPECT_EQ(send2.wait_exit(120s), 0) << read_file(dir_ / "send2.err");
  auto waiting = [&] {
    sql::Db db(dir_ / "state.db", sql::OpenMode::read_only);
    sql::Stmt s(db, "SELECT count(*) FROM outbox WHERE status != 'sent'");
    s.step();
    return s.i64(0);
  };
  EXPECT_TRUE(wait_until([&] { return waiting() == 0; }, 60s)) << read_file(dir_ / "daemon.err");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(20s), 0) << read_file(dir_ / "daemon.err");

  const auto total = outbox().size();
  EXPECT_EQ(outbox("sent").size(), total);
  const auto msgs = parse_maildir(dir_, smtp.maildir());
  std::map<std::string, int> copies;
  for (const auto& m : msgs) ++copies[m["message_id"].get<std::string>()];
  EXPECT_EQ(copies.size(), total);  // every message arrived
  int twice = 0;
  for (const auto& [id, n] : copies) twice += n > 1;
  EXPECT_EQ(twice, 0) << "of " << total << " messages";
  EXPECT_EQ(msgs.size(), total);
  // The daemon really ran beside the two.
  const auto daemon_log = read_file(dir_ / "daemon.err");
  EXPECT_NE(daemon_log.find("complyd started"), std::string::npos) << daemon_log;
}

// ---- TLS -------------------------------------------------------------------

void make_cert(const TempDir& dir, const std::string& name) {
  const std::string cmd = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout {0}.key -out {0}.pem -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
      quote((dir / name).string()));
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(NotifyE2E, StartTlsWithAPrivateCaWorksAndAWrongCaIsRefused) {
  make_cert(dir_, "server");
  make_cert(dir_, "other");
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log", 0,
                   {"--tlscert", (dir_ / "server.pem").string(), "--tlskey", (dir_ / "server.key").string()});
  ASSERT_TRUE(smtp.ready()) << read_file(dir_ / "smtpd.log");
  make_demo(smtp.url(), {"--now", kDemoNow, "--customers", "12"});
  edit_config("tls = \"none\"\n", "tls = \"starttls\"\nca_file = \"other.pem\"\n");
  auto r = audit();
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << r.err;
  EXPECT_EQ(smtp.count(), 0u);
  EXPECT_EQ(outbox("sent").size(), 0u);
  const auto queued = outbox().size();
  ASSERT_GE(queued, 1u);

  edit_config("ca_file = \"other.pem\"", "ca_file = \"server.pem\"");
  r = run(dir_, {"notify", "send", "--state", state_db(), "--config", config_, "--now", "2026-11-22T14:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(smtp.count(), queued);
  EXPECT_EQ(outbox("sent").size(), queued);
}

TEST_F(NotifyE2E, PlainSmtpToARemoteHostIsRefused) {
  make_demo("smtp://mail.example.com:25");
  auto r = run(dir_, {"config", "check", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("only a loopback host"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("complyd.toml:"), std::string::npos) << r.out;
}

TEST_F(NotifyE2E, PreviewRendersWithoutSending) {
  make_demo("smtp://127.0.0.1:9");
  auto r = run(dir_, {"notify", "preview", "--state", state_db(), "--template", "reminder", "--customer", "cust_0001", "--config", config_,
                      "--now", kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("To: admin@cust_0001.example.org"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--- html ---"), std::string::npos);
  r = run(dir_, {"notify", "preview", "--state", state_db(), "--template", "nope", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(audit(kDemoNow, {"--no-notify"}).exit_code, 3);
  r = run(dir_, {"notify", "preview", "--state", state_db(), "--template", "digest", "--config", config_, "--now", kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[new]"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace complyd::itest

namespace complyd::itest {
namespace {

// `complyd report --email` (complyd-report.timer): the report reaches the
// admins once per report date, as HTML with a text part, without secrets.
TEST_F(NotifyE2E, ReportEmailGoesToTheAdminsOncePerDate) {
  MailCatcher smtp(dir_ / "maildir", dir_ / "smtpd.log");
  ASSERT_TRUE(smtp.ready()) << read_file(dir_ / "smtpd.log");
  make_demo(smtp.url());
  ASSERT_EQ(audit(kDemoNow, {"--no-notify"}).exit_code, 3);
  auto r = run(dir_, {"report", "--email", "--state", state_db(), "--config", config_, "--as-of", kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto again = run(dir_, {"report", "--email", "--state", state_db(), "--config", config_, "--as-of", kDemoNow});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("already sent or queued"), std::string::npos) << again.err;
  auto mails = with_subject(parse_maildir(dir_, dir_ / "maildir"), "complyd report 2026-11-22");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0]["html"].get<std::string>().find("<svg"), std::string::npos);
  EXPECT_FALSE(mails[0]["text"].get<std::string>().empty());
  EXPECT_NE(mails[0]["to"].get<std::string>().find("ops@partner.example.com"), std::string::npos);
  EXPECT_EQ(mails[0]["raw"].get<std::string>().find(kPasswordCanary), std::string::npos);
}

TEST(ReportEmail, RefusedWithoutSmtp) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto cfg = (d / "complyd.toml").string();
  ASSERT_EQ(run(d, {"audit", "--state", sim_state(d), "--config", cfg, "--now", kDemoNow}).exit_code, 3);
  auto r = run(d, {"report", "--email", "--state", sim_state(d), "--config", cfg, "--as-of", kDemoNow});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--email needs [smtp] url"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace complyd::itest
