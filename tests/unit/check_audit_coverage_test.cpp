// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

AuditEvent event(std::string customer_id, std::string actor, std::string action, std::string resource, Time at) {
  return AuditEvent{std::move(customer_id), std::move(actor), std::move(action), std::move(resource), at};
}

const std::string kPath = "raise/production/c1/api_token";

// c1 with an API token created 30 days ago and rotated 10 days ago, both
// audited, and an old onboarding event (the audit log's horizon).
Facts audited_population() {
  Facts f;
  f.customers.push_back(customer("c1"));
  auto c = credential("c1", "api_token", CredentialRole::current, ago(days(10)));
  c.created_at = ago(days(30));
  f.credentials.push_back(c);
  f.audit_events.push_back(event("c1", "onboarding-service", "customer_onboarded", "c1", ago(days(400))));
  f.audit_events.push_back(event("c1", "onboarding-service", "credential_created", kPath, ago(days(30))));
  f.audit_events.push_back(event("c1", "onboarding-service", "token_rotated", kPath, ago(days(10))));
  f.audit_events.push_back(event("c1", "sync-worker-prod-3", "token_read", kPath, ago(hours(1))));
  return f;
}

struct CoverageCase {
  const char* name;
  std::function<void(Facts&)> change;
  std::vector<std::string> expected;  // subjects, in report order
};

class AuditCoverage : public ::testing::TestWithParam<CoverageCase> {};

TEST_P(AuditCoverage, Cases) {
  const auto& tc = GetParam();
  Facts f = audited_population();
  tc.change(f);
  auto out = run_check("audit-coverage", f);
  std::vector<std::string> got;
  for (const auto& x : out) {
    got.push_back(x.subject);
    EXPECT_FALSE(x.detail.empty());
    EXPECT_FALSE(x.remediation.empty());
    EXPECT_EQ(std::count_if(x.title.begin(), x.title.end(), [](char c) { return std::isdigit(c); }), 0) << x.title;
  }
  EXPECT_EQ(got, tc.expected) << tc.name;
}

const std::string kCreated = "audit:created:" + kPath;
const std::string kRotated = "audit:rotated:" + kPath;
const std::string kRead = "audit:read:" + kPath;

// A read of c2's token by a sync worker scoped to `scoped` (issue 15).
std::function<void(Facts&)> scoped_read(std::vector<std::string> scoped, std::string reader = "sync-worker-a") {
  return [=](Facts& f) {
    for (const auto& c : scoped) f.reader_scopes.push_back({"sync-worker-a", c});
    f.audit_events.push_back(event("c2", reader, "token_read", "raise/production/c2/api_token", ago(days(2))));
  };
}

// Moves the event with `action` by `d`.
std::function<void(Facts&)> shift(std::string action, Duration d) {
  return [=](Facts& f) {
    for (auto& e : f.audit_events) {
      if (e.action == action) e.at += d;
    }
  };
}
std::function<void(Facts&)> drop(std::string action) {
  return [=](Facts& f) {
    std::erase_if(f.audit_events, [&](const AuditEvent& e) { return e.action == action; });
  };
}

INSTANTIATE_TEST_SUITE_P(
    Edges, AuditCoverage,
    ::testing::Values(
        CoverageCase{"fully audited", [](Facts&) {}, {}},
        CoverageCase{"creation event exactly 1h late", shift("credential_created", hours(1)), {}},
        CoverageCase{"creation event 1h and 1s late", shift("credential_created", hours(1) + secs(1)), {kCreated}},
        CoverageCase{"creation event exactly 1h early", shift("credential_created", -hours(1)), {}},
        CoverageCase{"creation event 1h and 1s early", shift("credential_created", -hours(1) - secs(1)), {kCreated}},
        CoverageCase{"creation not audited", drop("credential_created"), {kCreated}},
        CoverageCase{"rotation not audited", drop("token_rotated"), {kRotated}},
        CoverageCase{"rotation event 1h and 1s late", shift("token_rotated", hours(1) + secs(1)), {kRotated}},
        CoverageCase{"rotation audited as credential_rotated",
                     [](Facts& f) {
                       for (auto& e : f.audit_events) {
                         if (e.action == "token_rotated") e.action = "credential_rotated";
                       }
                     },
                     {}},
        CoverageCase{"event names the customer's resource differently",
                     [](Facts& f) {
                       for (auto& e : f.audit_events) e.resource = "raise_api_token";
                     },
                     {}},
        CoverageCase{"event of another customer does not count",
                     [](Facts& f) {
                       for (auto& e : f.audit_events) {
                         if (e.action == "credential_created") {
                           e.customer_id = "c2";
                           e.resource = "raise/production/c2/api_token";
                         }
                       }
                     },
                     {kCreated}},
        CoverageCase{"event by path without customer counts",
                     [](Facts& f) {
                       for (auto& e : f.audit_events) e.customer_id = Symbol();
                     },
                     {}},
        CoverageCase{"never rotated: no rotation event needed",
                     [](Facts& f) {
                       f.credentials[0].rotated_at = f.credentials[0].created_at;
                       std::erase_if(f.audit_events, [](const AuditEvent& e) { return e.action == "token_rotated"; });
                     },
                     {}},
        CoverageCase{"creation older than the audit log",
                     [](Facts& f) {
                       f.credentials[0].created_at = ago(days(500));
                       std::erase_if(f.audit_events,
                                     [](const AuditEvent& e) { return e.action == "credential_created"; });
                     },
                     {}},
        CoverageCase{"creation exactly one tolerance after the audit log starts",
                     [](Facts& f) {
                       f.credentials[0].created_at = ago(days(400)) + hours(1);
                       std::erase_if(f.audit_events,
                                     [](const AuditEvent& e) { return e.action == "credential_created"; });
                     },
                     {kCreated}},
        CoverageCase{"creation time unknown",
                     [](Facts& f) {
                       f.credentials[0].created_at.reset();
                       f.credentials[0].rotated_at.reset();
                       f.audit_events.resize(1);
                     },
                     {}},
        CoverageCase{"creation time in the future",
                     [](Facts& f) {
                       f.credentials[0].created_at = kNow + days(3);
                       f.credentials[0].rotated_at = kNow + days(4);
                       f.audit_events.resize(1);
                     },
                     {}},
        CoverageCase{"offboarded without an offboarding event",
                     [](Facts& f) { f.customers.push_back(customer("gone", CustomerStatus::offboarded)); },
                     {"audit:offboarded"}},
        CoverageCase{"offboarded with an offboarding event",
                     [](Facts& f) {
                       f.customers.push_back(customer("gone", CustomerStatus::offboarded));
                       f.audit_events.push_back(event("gone", "ops:a", "customer_offboarded", "gone", ago(days(10))));
                     },
                     {}},
        CoverageCase{"offboarded before the audit log starts",
                     [](Facts& f) {
                       f.customers.push_back(customer("gone", CustomerStatus::offboarded));
                       f.customers.back().offboarded_at = ago(days(500));
                     },
                     {}},
        CoverageCase{"read by a laptop",
                     [](Facts& f) {
                       f.audit_events.push_back(event("c1", "laptop:jsmith", "token_read", kPath, ago(days(2))));
                     },
                     {"reader:laptop:jsmith"}},
        CoverageCase{"actor almost matching the pattern",
                     [](Facts& f) {
                       f.audit_events.push_back(event("c1", "sync-worker", "secret_read", kPath, ago(days(2))));
                     },
                     {"reader:sync-worker"}},
        CoverageCase{"read without an actor",
                     [](Facts& f) {
                       f.audit_events.push_back(event("c1", "", "credential_read", kPath, ago(days(2))));
                     },
                     {"reader:(no actor)"}},
        // Every read of a customer's token should be logged (issue 15).
        CoverageCase{"used since rotation, no read recorded", drop("token_read"), {kRead}},
        CoverageCase{"read recorded only before the rotation", shift("token_read", -days(11)), {kRead}},
        CoverageCase{"read exactly one tolerance before the rotation", shift("token_read", -days(10)), {}},
        CoverageCase{"read one tolerance and 1s before the rotation", shift("token_read", -days(10) - secs(1)), {kRead}},
        CoverageCase{"read by another actor still counts", [](Facts& f) { f.audit_events.back().actor = "sync-worker-9"; }, {}},
        CoverageCase{"not used since rotation",
                     [](Facts& f) {
                       f.credentials[0].last_used_at = ago(days(11));
                       drop("token_read")(f);
                     },
                     {}},
        CoverageCase{"never used",
                     [](Facts& f) {
                       f.credentials[0].last_used_at.reset();
                       drop("token_read")(f);
                     },
                     {}},
        CoverageCase{"never rotated: reads since creation",
                     [](Facts& f) {
                       f.credentials[0].rotated_at.reset();
                       drop("token_read")(f);
                     },
                     {kRead}},
        CoverageCase{"rotated before the audit log starts",
                     [](Facts& f) {
                       f.credentials[0].created_at = f.credentials[0].rotated_at = ago(days(500));
                       f.audit_events.resize(1);
                     },
                     {}},
        // A reader scoped to some customers reads only theirs (issue 15).
        CoverageCase{"scoped reader reads another customer", scoped_read({"c1"}), {"reader-scope:sync-worker-a"}},
        CoverageCase{"scoped reader reads its customer", scoped_read({"c1", "c2"}), {}},
        CoverageCase{"a reader without scope rows is not scoped", scoped_read({"c1"}, "sync-worker-b"), {}},
        CoverageCase{"no source says scopes: the rule does not apply", scoped_read({}), {}},
        CoverageCase{"a broken scope row scopes its reader to no customer", scoped_read({""}),
                     {"reader-scope:sync-worker-a"}},
        CoverageCase{"other actions by humans are not reads",
                     [](Facts& f) {
                       f.audit_events.push_back(event("c1", "laptop:jsmith", "token_listed", kPath, ago(days(2))));
                     },
                     {}}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(AuditCoverageCheck, OneFindingPerCustomerAndActor) {
  Facts f = audited_population();
  f.customers.push_back(customer("c2"));
  for (int i = 0; i < 3; ++i) {
    f.audit_events.push_back(event("c1", "laptop:jsmith", "token_read", kPath, ago(days(2 + i))));
  }
  f.audit_events.push_back(event("c2", "laptop:jsmith", "token_read", "raise/production/c2/api_token", ago(days(1))));
  f.audit_events.push_back(event("c1", "support-tool", "token_read", kPath, ago(days(1))));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].customer_id, "c1");
  EXPECT_EQ(out[0].subject, "reader:laptop:jsmith");
  EXPECT_EQ(out[0].severity, Severity::high);
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["reads"], "3");
  EXPECT_EQ(ev["first_read"], "2026-11-18T12:00:00Z");
  EXPECT_EQ(ev["last_read"], "2026-11-20T12:00:00Z");
  EXPECT_EQ(ev["resources"], kPath);
  EXPECT_EQ(out[1].customer_id, "c1");
  EXPECT_EQ(out[1].subject, "reader:support-tool");
  EXPECT_EQ(out[2].customer_id, "c2");
  EXPECT_EQ(out[2].subject, "reader:laptop:jsmith");
}

TEST(AuditCoverageCheck, AllowedReadersAreGlobs) {
  Facts f = audited_population();
  f.audit_events.push_back(event("c1", "recon-worker-7", "token_read", kPath, ago(days(1))));
  f.audit_events.push_back(event("c1", "recon-worker-17", "token_read", kPath, ago(days(1))));
  f.audit_events.push_back(event("c1", "sync-worker-prod-1", "token_read", kPath, ago(days(1))));
  auto out = run_check<AuditCoverageParams>("audit-coverage", f, kNow, [](auto& p) {
    p.allowed_readers = {"sync-*-prod-?", "recon-worker-?"};
  });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "reader:recon-worker-17");
}

TEST(AuditCoverageCheck, GapsAreMediumReadsFollowConfiguredSeverity) {
  Facts f = audited_population();
  std::erase_if(f.audit_events, [](const AuditEvent& e) { return e.action == "token_rotated"; });
  f.audit_events.push_back(event("c1", "laptop:jsmith", "token_read", kPath, ago(days(2))));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, kRotated);
  EXPECT_EQ(out[0].severity, Severity::medium);
  EXPECT_EQ(out[1].severity, Severity::high);
}

TEST(AuditCoverageCheck, NoAuditEventsAtAllIsOneFinding) {
  Facts f = audited_population();
  f.audit_events.clear();
  f.customers.push_back(customer("gone", CustomerStatus::offboarded));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "audit:events");
  EXPECT_TRUE(out[0].customer_id.empty());
  Facts empty;
  EXPECT_TRUE(run_check("audit-coverage", empty).empty());
}

TEST(AuditCoverageCheck, ToleranceIsConfigurableAndEvidenceHasNoSecret) {
  Facts f = audited_population();
  f.credentials[0].fingerprint = "CANARY-fingerprint";
  for (auto& e : f.audit_events) {
    if (e.action == "credential_created") e.at += minutes(20);
  }
  EXPECT_TRUE(run_check("audit-coverage", f).empty());
  auto out =
      run_check<AuditCoverageParams>("audit-coverage", f, kNow, [](auto& p) { p.match_tolerance = minutes(10); });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, kCreated);
  EXPECT_NE(out[0].detail.find("10m"), std::string::npos) << out[0].detail;
  for (const auto& [k, v] : out[0].evidence) EXPECT_EQ(v.find("CANARY"), std::string::npos);
  EXPECT_EQ(out[0].detail.find("CANARY"), std::string::npos);
}

}  // namespace
}  // namespace complyd::testing

namespace complyd::testing {
namespace {

SecretStoreAudit store(std::string source, bool checked, std::vector<std::string> devices) {
  SecretStoreAudit s;
  s.source = std::move(source);
  s.store = "https://vault.example.com:8200";
  s.checked = checked;
  s.audit_enabled = !devices.empty();
  s.devices = std::move(devices);
  return s;
}

TEST(AuditCoverageSecretStores, StoreWithoutAuditDeviceIsAHighFinding) {
  Facts f = audited_population();
  f.secret_stores.push_back(store("vault-prod", true, {}));
  f.secret_stores.push_back(store("vault-dr", true, {"file/ (file)"}));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "vault-prod:sys/audit");
  EXPECT_EQ(out[0].customer_id, "");
  EXPECT_EQ(out[0].severity, Severity::high);
  EXPECT_EQ(out[0].title, "secret store without an audit device");
  EXPECT_NE(out[0].detail.find("https://vault.example.com:8200"), std::string::npos) << out[0].detail;
}

TEST(AuditCoverageSecretStores, UnreadableDevicesAreUnknownNotPassed) {
  Facts f = audited_population();
  f.secret_stores.push_back(store("vault-prod", false, {}));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "vault-prod:sys/audit");  // same subject: an open finding stays open
  EXPECT_EQ(out[0].title, "secret store audit devices unknown");
  EXPECT_EQ(out[0].severity, Severity::medium);
}

TEST(AuditCoverageSecretStores, ReportedEvenWithoutAnyAuditEvent) {
  Facts f = audited_population();
  f.audit_events.clear();
  f.secret_stores.push_back(store("vault-prod", true, {}));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, "vault-prod:sys/audit");
  EXPECT_EQ(out[1].subject, "audit:events");
}

TEST(AuditCoverageSecretStores, NeedsTheSecretStoresKind) {
  const auto& needs = find_check("audit-coverage")->info.needs;
  EXPECT_NE(std::find(needs.begin(), needs.end(), FactKind::secret_stores), needs.end());
}

// Audit events are judged from a watermark (issue 15 §3): reads are
// incidents judged once, and a log that no longer holds the newest event the
// last cycle judged may have lost events unjudged.
std::int64_t ac_minute_of(Time t) { return t.time_since_epoch().count() / 60; }

TEST(AuditCoverageWatermark, ReadsBeforeTheWatermarkAreNotJudgedAgain) {
  Facts f = audited_population();
  f.audit_events.push_back(event("c1", "laptop:jsmith", "token_read", kPath, ago(days(2))));
  ASSERT_EQ(run_check("audit-coverage", f).size(), 1u);  // a first run judges every held event
  f.judged_through[kAuditEventsStream] = ac_minute_of(ago(hours(1)));
  EXPECT_TRUE(run_check("audit-coverage", f).empty());
  // A new read after the watermark is judged, and only it is counted.
  f.audit_events.push_back(event("c1", "laptop:jsmith", "token_read", kPath, ago(minutes(30))));
  auto out = run_check("audit-coverage", f);
  ASSERT_EQ(out.size(), 1u);
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["reads"], "1");
}

TEST(AuditCoverageWatermark, ReadFindingsAreIncidentsLifecycleGapsAreStates) {
  EXPECT_EQ(finding_kind("audit-coverage", "reader:laptop:jsmith"), FindingKind::incident);
  EXPECT_EQ(finding_kind("audit-coverage", "reader-scope:sync-worker-a"), FindingKind::incident);
  EXPECT_EQ(finding_kind("audit-coverage", "audit:unjudged:2026-11-19T12:00:00Z"), FindingKind::incident);
  EXPECT_EQ(finding_kind("audit-coverage", kRotated), FindingKind::state);
  EXPECT_EQ(finding_kind("audit-coverage", "audit:events"), FindingKind::state);
}

TEST(AuditCoverageWatermark, EventsDeletedBeforeTheyWereJudgedAreReported) {
  Facts f = audited_population();
  // The last cycle judged through an event 3 days ago; the log now starts 1 day ago.
  f.judged_through[kAuditEventsStream] = ac_minute_of(ago(days(3)));
  std::erase_if(f.audit_events, [](const AuditEvent& e) { return e.at < ago(days(1)); });
  f.audit_events.push_back(event("c1", "sync-worker-prod-3", "token_read", kPath, ago(days(1))));
  auto out = run_check("audit-coverage", f);
  std::vector<Finding> gaps;
  for (auto& x : out) {
    if (x.subject.starts_with("audit:unjudged:")) gaps.push_back(x);
  }
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].subject, "audit:unjudged:" + format_time(ago(days(3)) + minutes(1)));
  EXPECT_EQ(gaps[0].severity, Severity::high);
  EXPECT_TRUE(gaps[0].customer_id.empty());
  std::map<std::string, std::string> ev(gaps[0].evidence.begin(), gaps[0].evidence.end());
  EXPECT_EQ(ev["oldest_event"], format_time(ago(days(1))));
  // The log still holding the watermark's event: nothing was lost.
  f.audit_events.push_back(event("c1", "onboarding-service", "customer_onboarded", "c1", ago(days(3))));
  for (const auto& x : run_check("audit-coverage", f)) EXPECT_FALSE(x.subject.starts_with("audit:unjudged:"));
}

TEST(AuditCoverageWatermark, JudgedThroughIsTheNewestEventNotInTheFuture) {
  std::vector<AuditEvent> ev;
  EXPECT_FALSE(audit_events_judged_through(ev, kNow));
  ev.push_back(event("c1", "a", "token_read", kPath, ago(hours(2))));
  ev.push_back(event("c1", "a", "token_read", kPath, ago(hours(1))));
  ev.push_back(event("c1", "a", "token_read", kPath, kNow + days(1)));  // a clock far ahead
  EXPECT_EQ(audit_events_judged_through(ev, kNow), ac_minute_of(ago(hours(1))));
}

}  // namespace
}  // namespace complyd::testing
