// SPDX-License-Identifier: Apache-2.0
// The mutelist through the real binary: `config check` names a bad rule's
// file:line:column; rules mute every cycle and say which rule; an expired
// rule's findings reopen and its owner gets one e-mail; the history records
// the rule as the actor and still verifies.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "daemon/util/sqlite.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "tests/wait_until.hpp"

namespace complyd::itest {
namespace {

const char* kRuleQ1 = R"([[rule]]
id = "q1-vault-move"
check = "credential-age"
customer = "*"
reason = "tokens move to the vault by the 23rd"
owner = "owner@example.org"
expires = 2026-11-23
)";

class MutelistCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // E-mail configured (nothing delivered: --no-notify), so that the outbox records what a cycle sends.
    ASSERT_EQ(run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow, "--smtp", "smtp://127.0.0.1:1"}).exit_code,
              0);
    config_ = (dir_ / "complyd.toml").string();
    write_file(dir_ / "complyd.toml", read_file(dir_ / "complyd.toml") + "\n[mutelist]\npath = \"mutelist.toml\"\n");
  }
  Result cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config_, "--state", sim_state(dir_)});
    return run(dir_, args);
  }
  nlohmann::json audit(const char* now) {
    auto r = cli({"audit", "--format", "json", "--now", now, "--no-notify"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    return nlohmann::json::parse(r.out);
  }
  std::vector<std::string> mutelist_mail() {
    sql::Db db(sim_state(dir_), sql::OpenMode::read_only);
    sql::Stmt s(db, "SELECT idempotency_key || ' ' || recipients FROM outbox WHERE kind = 'mutelist' ORDER BY id");
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  TempDir dir_;
  std::string config_;
};

TEST_F(MutelistCli, ConfigCheckNamesARuleWithoutReasonOwnerOrExpiry) {
  write_file(dir_ / "mutelist.toml", "[[rule]]\nid = \"x\"\ncheck = \"*\"\n");
  auto r = run(dir_, {"config", "check", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  const auto file = (dir_ / "mutelist.toml").string();
  for (const char* key : {"reason", "owner"}) {
    EXPECT_NE((r.out + r.err).find(file + ":1:1: rule[1]." + key + " is required"), std::string::npos) << r.out << r.err;
  }
  EXPECT_NE((r.out + r.err).find(file + ":1:1: rule[1].expires is required"), std::string::npos);
  // The audit refuses it too, and writes nothing.
  EXPECT_EQ(cli({"audit", "--now", kDemoNow}).exit_code, 2);
}

TEST_F(MutelistCli, RuleMutesEachCycleExpiresReopensAndTellsItsOwnerOnce) {
  write_file(dir_ / "mutelist.toml", kRuleQ1);
  ASSERT_EQ(run(dir_, {"config", "check", "--config", config_}).exit_code, 0);

  auto doc = audit(kDemoNow);
  std::set<std::string> muted;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] != "credential-age") continue;
    EXPECT_EQ(f["status"], "muted") << f.dump();
    EXPECT_EQ(f["muted_by"], "mutelist:q1-vault-move");
    muted.insert(f["id"].get<std::string>());
  }
  ASSERT_FALSE(muted.empty());
  const std::string id = *muted.begin();

  auto list = cli({"findings", "list", "--muted"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("muted by mutelist rule q1-vault-move (owner owner@example.org): tokens move to the vault"),
            std::string::npos)
      << list.out;
  EXPECT_TRUE(mutelist_mail().empty());

  // The day after: the rule has expired, its findings are open again (and in the digest), and its owner
  // gets one e-mail, not one per cycle.
  doc = audit("2026-11-23T12:00:00Z");
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == "credential-age") {
      EXPECT_EQ(f["status"], "open") << f.dump();
    }
  }
  EXPECT_EQ(mutelist_mail(),
            std::vector<std::string>{"mutelist:q1-vault-move:2026-11-23T00:00:00Z owner@example.org"});
  audit("2026-11-23T13:00:00Z");
  EXPECT_EQ(mutelist_mail().size(), 1u);

  // The history says which rule muted and which let go; the chain still verifies.
  auto show = cli({"findings", "show", id, "--format", "json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::vector<std::string> by_rule;
  const auto shown = nlohmann::json::parse(show.out);
  for (const auto& e : shown["history"]) {
    if (e["actor"] == "mutelist:q1-vault-move") by_rule.push_back(e["event"]);
  }
  EXPECT_EQ(by_rule, (std::vector<std::string>{"muted", "mute_expired"})) << show.out;
  EXPECT_EQ(cli({"history", "verify"}).exit_code, 0);
}

TEST_F(MutelistCli, PersonsMuteKeepsWorkingBesideTheRules) {
  write_file(dir_ / "mutelist.toml", kRuleQ1);
  auto doc = audit(kDemoNow);
  std::string other;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] != "credential-age" && f["status"] == "open") other = f["id"];
  }
  ASSERT_FALSE(other.empty());
  ASSERT_EQ(cli({"findings", "mute", other, "--reason", "known", "--until", "2099-01-01"}).exit_code, 0);
  audit("2026-11-22T13:00:00Z");
  auto list = cli({"findings", "list", "--muted"});
  EXPECT_NE(list.out.find("muted by mutelist rule q1-vault-move"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(other), std::string::npos);
  EXPECT_EQ(cli({"findings", "unmute", other}).exit_code, 0);
  auto after = cli({"findings", "list", "--muted", "--format", "json"});
  EXPECT_EQ(after.out.find(other), std::string::npos);
}

// The report's findings tables: who acts (the rule's owner, the customer's
// admin contact, [report] default_owner) and by when (the mute's end, the
// rotation due date, the attestation's review date).
TEST_F(MutelistCli, ReportShowsOwnersAndDueDates) {
  std::string rule = kRuleQ1;
  rule.replace(rule.find("customer = \"*\""), 14, "customer = \"cust_000[1-4]\"");
  write_file(dir_ / "mutelist.toml", rule);
  write_file(dir_ / "complyd.toml",
             read_file(dir_ / "complyd.toml") + "\n[report]\ndefault_owner = \"secops@partner.example\"\n");
  audit(kDemoNow);
  auto r = cli({"report", "--format", "json", "--as-of", kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  int by_rule = 0, by_customer = 0, by_default = 0, reviews = 0;
  for (const auto& f : doc["findings"]["muted"]) {
    if (f["check"] != "credential-age") continue;
    ++by_rule;
    EXPECT_EQ(f["owner"], "owner@example.org") << f.dump();
    EXPECT_EQ(f["owner_from"], "mutelist");
    EXPECT_EQ(f["due_at"], "2026-11-23T00:00:00Z");
    EXPECT_EQ(f["due_for"], "mute_expiry");
  }
  for (const auto& f : doc["findings"]["open"]) {
    if (f["customer"] == "") {
      ++by_default;
      EXPECT_EQ(f["owner"], "secops@partner.example") << f.dump();
      EXPECT_EQ(f["owner_from"], "default");
    } else {
      ++by_customer;
      EXPECT_EQ(f["owner_from"], "customer") << f.dump();
      EXPECT_NE(f["owner"].get<std::string>().find('@'), std::string::npos);
    }
    if (f["check"] == "credential-age" && f["title"].get<std::string>().find("unknown age") == std::string::npos) {
      EXPECT_EQ(f["due_for"], "rotation") << f.dump();
      EXPECT_LE(f["due_at"].get<std::string>(), kDemoNow) << "an over-age credential was due before now";
    }
    if (f["subject"] == "attestation:access_review") {
      ++reviews;
      EXPECT_EQ(f["due_for"], "attestation_review") << f.dump();
    }
  }
  EXPECT_GT(by_rule, 0);
  EXPECT_GT(by_customer, 0);
  EXPECT_GT(by_default, 0);
  EXPECT_EQ(reviews, 1) << "the demo's access review is 400 days old";
  auto md = cli({"report", "--format", "md", "--as-of", kDemoNow});
  EXPECT_NE(md.out.find(" rotation | "), std::string::npos);
  EXPECT_NE(md.out.find("| secops@partner.example | "), std::string::npos);
}

// SIGHUP re-reads the rules with the configuration: a broken rules file is
// refused with its position and the running rules kept; a good one is taken.
TEST_F(MutelistCli, SighupReloadsAndValidatesTheRules) {
  using namespace std::chrono_literals;
  write_file(dir_ / "mutelist.toml", kRuleQ1);
  const auto err = dir_ / "daemon.err";
  Process p({"run", "--config", config_}, err);
  ASSERT_GT(p.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("cycle 1 ") != std::string::npos; }, 20s)) << read_file(err);

  write_file(dir_ / "mutelist.toml", "[[rule]]\nid = \"x\"\ncheck = \"*\"\nowner = \"o@example.org\"\n"
                                     "expires = 2027-01-01\n");
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("reload failed") != std::string::npos; }, 10s))
      << read_file(err);
  EXPECT_NE(read_file(err).find("mutelist.toml:1:1: rule[1].reason is required"), std::string::npos) << read_file(err);

  write_file(dir_ / "mutelist.toml", kRuleQ1);
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("configuration reloaded") != std::string::npos; }, 10s))
      << read_file(err);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(5s), 0) << read_file(err);
}

}  // namespace
}  // namespace complyd::itest
