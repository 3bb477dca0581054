// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "daemon/engine/lifecycle.hpp"
#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

Observed observe(const std::string& check, const std::string& subject, Severity sev = Severity::high) {
  Observed o;
  o.finding.check_id = check;
  o.finding.customer_id = "c1";
  o.finding.subject = subject;
  o.finding.severity = sev;
  o.finding.title = "t";
  o.finding.detail = "d";
  o.id = finding_id(check, "c1", subject);
  o.evidence_json = "{}";
  return o;
}

// Applies a cycle to a stored map, as the store would.
LifecycleResult cycle(std::unordered_map<std::string, StoredFinding>& stored, const std::vector<Observed>& seen,
                      std::set<std::string> complete, Time now, std::set<std::string> disabled = {}) {
  auto r = apply_lifecycle(stored, seen, complete, disabled, now);
  for (const auto& f : r.changed) stored[f.id] = f;
  return r;
}

std::vector<std::string> events(const LifecycleResult& r) {
  std::vector<std::string> out;
  for (const auto& t : r.transitions) out.push_back(t.event);
  return out;
}

TEST(FindingId, StableAndDistinct) {
  EXPECT_EQ(finding_id("a", "c", "s"), finding_id("a", "c", "s"));
  EXPECT_NE(finding_id("a", "c", "s"), finding_id("a", "c", "t"));
  EXPECT_NE(finding_id("a", "cs", ""), finding_id("a", "c", "s"));  // separators matter
  EXPECT_EQ(finding_id("a", "c", "s").size(), 16u);
}

TEST(Lifecycle, OpenResolvedReopenedMutedMuteExpired) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observe("credential-age", "p1");
  const std::set<std::string> complete{"credential-age"};

  auto r1 = cycle(stored, {o}, complete, kNow);
  EXPECT_EQ(events(r1), std::vector<std::string>{"opened"});
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
  EXPECT_EQ(stored.at(o.id).first_seen, kNow);

  auto r2 = cycle(stored, {o}, complete, kNow + hours(1));  // seen again: stays open, no transition
  EXPECT_TRUE(r2.transitions.empty());
  EXPECT_EQ(stored.at(o.id).last_seen, kNow + hours(1));
  EXPECT_EQ(stored.at(o.id).first_seen, kNow);

  auto r3 = cycle(stored, {}, complete, kNow + hours(2));  // not seen, check complete: resolved
  EXPECT_EQ(events(r3), std::vector<std::string>{"resolved"});
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::resolved);
  EXPECT_EQ(stored.at(o.id).resolved_at, kNow + hours(2));

  auto r4 = cycle(stored, {o}, complete, kNow + hours(3));  // back: reopened, same id and first_seen
  EXPECT_EQ(events(r4), std::vector<std::string>{"reopened"});
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
  EXPECT_FALSE(stored.at(o.id).resolved_at);
  EXPECT_EQ(stored.at(o.id).first_seen, kNow);

  // Muted (the store's operator action), still seen: stays muted.
  auto& f = stored.at(o.id);
  f.status = FindingStatus::muted;
  f.mute_reason = "accepted until the migration";
  f.muted_by = "alice";
  f.muted_until = kNow + days(1);
  auto r5 = cycle(stored, {o}, complete, kNow + hours(4));
  EXPECT_TRUE(r5.transitions.empty());
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::muted);

  auto r6 = cycle(stored, {o}, complete, kNow + days(1));  // the mute ends at its exact time
  EXPECT_EQ(events(r6), std::vector<std::string>{"mute_expired"});
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
  EXPECT_FALSE(stored.at(o.id).muted_until);
}

TEST(Lifecycle, IncidentsStayOpenUntilAcknowledgedAndReopenWhenSeenAgain) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto unsigned_req = observe("signature-failures", "webhooks:unsigned");
  const auto silence = observe("signature-failures", "webhooks:silence");  // a state subject
  const std::set<std::string> complete{"signature-failures"};
  cycle(stored, {unsigned_req, silence}, complete, kNow);

  // Two days of complete cycles that no longer see either: the state
  // resolves, the incident (it happened) stays open.
  auto later = cycle(stored, {}, complete, kNow + days(2));
  EXPECT_EQ(events(later), std::vector<std::string>{"resolved"});
  EXPECT_EQ(stored.at(silence.id).status, FindingStatus::resolved);
  EXPECT_EQ(stored.at(unsigned_req.id).status, FindingStatus::open);

  // Acknowledged (StateStore::ack resolves it), then it happens again: reopened.
  stored.at(unsigned_req.id).status = FindingStatus::resolved;
  auto again = cycle(stored, {unsigned_req}, complete, kNow + days(3));
  EXPECT_EQ(events(again), std::vector<std::string>{"reopened"});
  EXPECT_EQ(stored.at(unsigned_req.id).first_seen, kNow);

  // A disabled check resolves its incidents too, with the reason.
  auto off = cycle(stored, {}, complete, kNow + days(4), complete);
  ASSERT_EQ(off.transitions.size(), 1u);
  EXPECT_EQ(off.transitions[0].reason, "check disabled");
}

TEST(Lifecycle, IncompleteCheckKeepsState) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observe("credential-age", "p1");
  cycle(stored, {o}, {"credential-age"}, kNow);
  auto r = cycle(stored, {}, {/* credential-age incomplete: its source failed */}, kNow + hours(1));
  EXPECT_TRUE(r.transitions.empty());
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
}

TEST(Lifecycle, MuteExpiresEvenWhileBlind) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observe("credential-age", "p1");
  cycle(stored, {o}, {"credential-age"}, kNow);
  stored.at(o.id).status = FindingStatus::muted;
  stored.at(o.id).muted_until = kNow + hours(1);
  auto r = cycle(stored, {}, {}, kNow + hours(2));
  EXPECT_EQ(events(r), std::vector<std::string>{"mute_expired"});
  EXPECT_EQ(stored.at(o.id).status, FindingStatus::open);
}

TEST(Lifecycle, MutedFindingThatGoesAwayIsResolved) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observe("credential-age", "p1");
  cycle(stored, {o}, {"credential-age"}, kNow);
  stored.at(o.id).status = FindingStatus::muted;
  stored.at(o.id).muted_until = kNow + days(30);
  auto r = cycle(stored, {}, {"credential-age"}, kNow + hours(1));
  EXPECT_EQ(events(r), std::vector<std::string>{"resolved"});
  ASSERT_TRUE(r.transitions[0].from);
  EXPECT_EQ(*r.transitions[0].from, FindingStatus::muted);
}

TEST(Lifecycle, DisabledCheckResolvesWithReason) {
  std::unordered_map<std::string, StoredFinding> stored;
  const auto o = observe("credential-age", "p1");
  cycle(stored, {o}, {"credential-age"}, kNow);
  auto r = cycle(stored, {}, {"credential-age"}, kNow + hours(1), {"credential-age"});
  ASSERT_EQ(r.transitions.size(), 1u);
  EXPECT_EQ(r.transitions[0].reason, "check disabled");
}

TEST(Lifecycle, SeverityChangeIsRecorded) {
  std::unordered_map<std::string, StoredFinding> stored;
  cycle(stored, {observe("c", "s", Severity::high)}, {"c"}, kNow);
  auto up = cycle(stored, {observe("c", "s", Severity::critical)}, {"c"}, kNow + hours(1));
  EXPECT_EQ(events(up), std::vector<std::string>{"escalated"});
  auto down = cycle(stored, {observe("c", "s", Severity::medium)}, {"c"}, kNow + hours(2));
  EXPECT_EQ(events(down), std::vector<std::string>{"deescalated"});
}

TEST(Lifecycle, DuplicateObservationsCountOnce) {
  std::unordered_map<std::string, StoredFinding> stored;
  auto r = cycle(stored, {observe("c", "s"), observe("c", "s")}, {"c"}, kNow);
  EXPECT_EQ(r.opened, 1);
  EXPECT_EQ(r.changed.size(), 1u);
}

}  // namespace
}  // namespace complyd::testing
