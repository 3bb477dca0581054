// SPDX-License-Identifier: Apache-2.0
// The mutelist: its file's validation, the pure matching and lifecycle, the
// events a rule records (in the history chain), and the owner's e-mail.
#include <gtest/gtest.h>

#include <fstream>

#include "commit_cycle.hpp"
#include "config_text.hpp"
#include "daemon/engine/lifecycle.hpp"
#include "daemon/notify/planner.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/store/state_store.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

constexpr const char* kMutelistFile = "/etc/complyd/mutelist.toml";

std::vector<std::string> mutelist_problems(const std::string& text, Mutelist* out = nullptr) {
  std::vector<ConfigDiagnostic> problems;
  auto rules = parse_mutelist(text, kMutelistFile, problems);
  if (out != nullptr) *out = rules;
  std::vector<std::string> msgs;
  for (const auto& p : problems) msgs.push_back(p.to_string());
  return msgs;
}

MuteRule mute_rule(const std::string& id, const std::string& check, const std::string& customer,
                   const std::string& subject, Time expires) {
  MuteRule r;
  r.id = id;
  r.check = check;
  r.customer = customer;
  r.subject = subject;
  r.reason = "accepted until the Q1 migration";
  r.owner = "owner@example.org";
  r.expires = expires;
  return r;
}

Observed observed_for_mutelist(const std::string& customer, const std::string& subject,
                               const std::string& check = "credential-age") {
  Observed o;
  o.finding.check_id = check;
  o.finding.customer_id = customer;
  o.finding.subject = subject;
  o.finding.severity = Severity::high;
  o.finding.title = "t";
  o.id = finding_id(check, customer, subject);
  o.evidence_json = "{}";
  return o;
}

LifecycleResult mutelist_cycle(std::unordered_map<std::string, StoredFinding>& stored,
                               const std::vector<Observed>& seen, Time now, const Mutelist& rules,
                               std::set<std::string> complete = {"credential-age"}) {
  auto r = apply_lifecycle(stored, seen, complete, {}, now, rules);
  for (const auto& f : r.changed) stored[f.id] = f;
  return r;
}

TEST(MutelistFile, ParsesRulesWithDefaultsAndDates) {
  Mutelist rules;
  const auto problems = mutelist_problems(R"([[rule]]
id = "q1-migration"
check = "credential-age"
customer = "cust_00*"
reason = "tokens move to the vault in Q1"
owner = "alice@example.org"
expires = 2027-03-31

[[rule]]
id = "all-staging"
check = "*"
customer = "*"
subject = "staging/*"
reason = "staging is not in scope"
owner = "bob@example.org"
expires = "2027-01-01T12:00:00+01:00"
)",
                                          &rules);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].subject, "*");
  EXPECT_EQ(rules[0].expires, *parse_time("2027-03-31T00:00:00Z"));
  EXPECT_EQ(rules[1].expires, *parse_time("2027-01-01T11:00:00Z"));
  EXPECT_EQ(rules[1].check, "*");
}

TEST(MutelistFile, MissingReasonOwnerOrExpiryIsAnErrorAtTheRule) {
  const auto problems = mutelist_problems(R"(# exceptions
[[rule]]
id = "no-reason"
check = "credential-age"
owner = "alice@example.org"
expires = 2027-03-31

[[rule]]
id = "no-owner-no-expiry"
check = "*"
reason = "r"
)");
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "/etc/complyd/mutelist.toml:2:1: rule[1].reason is required",
                          "/etc/complyd/mutelist.toml:8:1: rule[2].owner is required",
                          "/etc/complyd/mutelist.toml:8:1: rule[2].expires is required (a rule without an end is a "
                          "permanent blind spot)",
                      }));
}

TEST(MutelistFile, UnknownCheckDuplicateIdBadOwnerAndUnknownKeyAreErrors) {
  const auto problems = mutelist_problems(R"([[rule]]
id = "a"
check = "credential-agee"
reason = "r"
owner = "alice@example.org"
expires = 2027-03-31
[[rule]]
id = "a"
check = "*"
reason = "r"
owner = "alice"
expires = 2027-03-31
until = 2027-03-31
)");
  ASSERT_EQ(problems.size(), 4u) << ::testing::PrintToString(problems);
  EXPECT_TRUE(problems[0].starts_with("/etc/complyd/mutelist.toml:3:9: rule[1].check: unknown check 'credential-agee'"))
      << problems[0];
  EXPECT_EQ(problems[1], "/etc/complyd/mutelist.toml:8:6: rule[2].id 'a' is used by an earlier rule");
  EXPECT_TRUE(problems[2].starts_with("/etc/complyd/mutelist.toml:11:9: rule[2].owner 'alice' is not an e-mail"))
      << problems[2];
  EXPECT_EQ(problems[3], "/etc/complyd/mutelist.toml:13:1: unknown key 'rule[2].until' in [rule[2]]");
}

TEST(MutelistFile, ConfigLoadsItAndNamesAnUnreadableOne) {
  TempDir t;
  {
    std::ofstream(t.path / "mutelist.toml") << "[[rule]]\nid = \"r1\"\ncheck = \"*\"\nreason = \"x\"\n"
                                               "owner = \"o@example.org\"\nexpires = 2027-03-31\n";
  }
  const auto ok = parse_config("[inventory]\npath = \"inv.db\"\n[mutelist]\npath = \"mutelist.toml\"\n",
                               t.path / "complyd.toml");
  ASSERT_TRUE(ok.ok()) << ::testing::PrintToString(messages(ok));
  ASSERT_EQ(ok.config->mutelist.size(), 1u);
  EXPECT_EQ(ok.config->mutelist[0].id, "r1");

  const auto missing =
      parse_config("[inventory]\npath = \"inv.db\"\n[mutelist]\npath = \"nope.toml\"\n", t.path / "complyd.toml");
  ASSERT_EQ(missing.problems.size(), 1u) << ::testing::PrintToString(messages(missing));
  EXPECT_EQ(missing.problems[0].to_string(),
            (t.path / "complyd.toml").string() + ":4:8: mutelist.path: cannot open '" + (t.path / "nope.toml").string() +
                "': No such file or directory");
}

TEST(MutelistMatch, GlobsAndExpiry) {
  const auto r = mute_rule("r", "credential-age", "cust_0*", "vault/*", kNow + days(1));
  EXPECT_TRUE(rule_matches(r, "credential-age", "cust_01", "vault/a/b"));  // '*' crosses '/'
  EXPECT_FALSE(rule_matches(r, "credential-age", "cust_11", "vault/a"));
  EXPECT_FALSE(rule_matches(r, "leak-scan", "cust_01", "vault/a"));
  const Mutelist rules{r};
  EXPECT_NE(matching_rule(rules, "credential-age", "cust_01", "vault/a", kNow), nullptr);
  EXPECT_EQ(matching_rule(rules, "credential-age", "cust_01", "vault/a", kNow + days(1)), nullptr);
  EXPECT_TRUE(rule_matches(mute_rule("w", "*", "*", "*", kNow), "x", "", "y"));  // integration-wide findings too
}

TEST(MutelistLifecycle, RuleMutesRecordsItsActorAndExpiryReopens) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observed_for_mutelist("cust_01", "vault/a");
  const Mutelist rules{mute_rule("q1", "credential-age", "cust_0*", "*", kNow + days(2))};

  auto r1 = mutelist_cycle(stored, {o}, kNow, rules);
  ASSERT_EQ(r1.transitions.size(), 2u);
  EXPECT_EQ(r1.transitions[0].event, "opened");
  EXPECT_EQ(r1.transitions[1].event, "muted");
  EXPECT_EQ(r1.transitions[1].actor, "mutelist:q1");
  EXPECT_EQ(r1.transitions[1].reason,
            "accepted until the Q1 migration (rule q1, owner owner@example.org) (until 2026-11-24T12:00:00Z)");
  const auto& f = stored.at(o.id);
  EXPECT_EQ(f.status, FindingStatus::muted);
  EXPECT_EQ(f.muted_by, "mutelist:q1");
  EXPECT_EQ(f.muted_until, kNow + days(2));

  auto r2 = mutelist_cycle(stored, {o}, kNow + days(1), rules);  // still covered: nothing new
  EXPECT_TRUE(r2.transitions.empty());

  auto r3 = mutelist_cycle(stored, {o}, kNow + days(2), rules);  // expired
  ASSERT_EQ(r3.transitions.size(), 1u);
  EXPECT_EQ(r3.transitions[0].event, "mute_expired");
  EXPECT_EQ(r3.transitions[0].actor, "mutelist:q1");
  EXPECT_EQ(r3.mute_expired, 1);
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
  EXPECT_FALSE(stored.at(o.id).muted_by);

  auto r4 = mutelist_cycle(stored, {o}, kNow + days(3), rules);  // an expired rule mutes nothing again
  EXPECT_TRUE(r4.transitions.empty());
}

TEST(MutelistLifecycle, RemovedRuleUnmutesAndChangedTermsAreTakenOver) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observed_for_mutelist("cust_01", "vault/a");
  Mutelist rules{mute_rule("q1", "credential-age", "*", "*", kNow + days(2))};
  mutelist_cycle(stored, {o}, kNow, rules);

  rules[0].expires = kNow + days(30);  // renewed
  auto r1 = mutelist_cycle(stored, {o}, kNow + hours(1), rules);
  ASSERT_EQ(r1.transitions.size(), 1u);
  EXPECT_EQ(r1.transitions[0].event, "muted");
  EXPECT_EQ(stored.at(o.id).muted_until, kNow + days(30));

  auto r2 = mutelist_cycle(stored, {o}, kNow + hours(2), {});  // the rule left the file
  ASSERT_EQ(r2.transitions.size(), 1u);
  EXPECT_EQ(r2.transitions[0].event, "unmuted");
  EXPECT_EQ(r2.transitions[0].actor, "mutelist:q1");
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
}

TEST(MutelistLifecycle, PersonsMuteIsKeptAndBlindChecksFindingsAreMutedToo) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observed_for_mutelist("cust_01", "vault/a");
  mutelist_cycle(stored, {o}, kNow, {});
  stored.at(o.id).status = FindingStatus::muted;  // as StateStore::mute leaves it
  stored.at(o.id).muted_by = "alice";
  stored.at(o.id).mute_reason = "mine";
  stored.at(o.id).muted_until = kNow + days(5);
  const Mutelist rules{mute_rule("q1", "*", "*", "*", kNow + days(30))};
  auto r1 = mutelist_cycle(stored, {o}, kNow + hours(1), rules);
  EXPECT_TRUE(r1.transitions.empty());
  EXPECT_EQ(stored.at(o.id).muted_by, "alice");

  // A finding of a check that did not run this cycle (blind): the rule applies all the same.
  const auto other = observed_for_mutelist("cust_02", "vault/b", "leak-scan");
  mutelist_cycle(stored, {other}, kNow, {}, {"leak-scan"});
  auto r2 = mutelist_cycle(stored, {}, kNow + hours(1), rules, {});
  ASSERT_EQ(r2.transitions.size(), 1u);
  EXPECT_EQ(r2.transitions[0].finding_id, other.id);
  EXPECT_EQ(r2.transitions[0].event, "muted");
  EXPECT_EQ(stored.at(other.id).status, FindingStatus::muted);
}

TEST(MutelistStore, RuleEventsCarryTheRuleAsActorAndJoinTheChain) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  const Mutelist rules{mute_rule("q1", "*", "*", "*", kNow + days(2))};
  const auto lr = apply_lifecycle({}, {observed_for_mutelist("c1", "p")}, {"credential-age"}, {}, kNow, rules);
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  ASSERT_GT(commit_cycle(s, c, lr), 0);
  const auto id = finding_id("credential-age", "c1", "p");
  const auto h = s.history(id);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].actor, "complyd");
  EXPECT_EQ(h[1].event, "muted");
  EXPECT_EQ(h[1].actor, "mutelist:q1");
  EXPECT_EQ(s.get(id)->muted_by, "mutelist:q1");
  EXPECT_TRUE(chain::verify(s.db()).result.intact);
  // The actor is part of the chained record: rewriting it breaks the chain.
  s.db().exec("UPDATE finding_events SET actor = 'alice' WHERE actor = 'mutelist:q1'");
  EXPECT_FALSE(chain::verify(s.db()).result.intact);
}

TEST(MutelistNotice, ExpiredRuleTellsItsOwnerOnce) {
  notify::PlanInput in;
  in.now = kNow;
  in.mutelist = {mute_rule("q1", "*", "*", "*", kNow - hours(1)), mute_rule("live", "*", "*", "*", kNow + days(1))};
  StoredFinding f;
  f.id = "F1";
  f.check_id = "credential-age";
  f.status = FindingStatus::open;
  in.findings = {f};
  in.transitions = {{"F1", "mute_expired", FindingStatus::muted, FindingStatus::open, Severity::high, "r", "mutelist:q1"}};
  auto plan = notify::plan_notifications(in);
  ASSERT_EQ(plan.messages.size(), 1u);
  EXPECT_EQ(plan.messages[0].kind, "mutelist");
  EXPECT_EQ(plan.messages[0].to, std::vector<std::string>{"owner@example.org"});
  EXPECT_EQ(plan.messages[0].key, notify::mutelist_expiry_key(in.mutelist[0]));
  EXPECT_EQ(plan.messages[0].context["findings"].size(), 1u);

  in.existing_keys.insert(plan.messages[0].key);  // already enqueued by an earlier cycle
  EXPECT_TRUE(notify::plan_notifications(in).messages.empty());
}

}  // namespace
}  // namespace complyd::testing
