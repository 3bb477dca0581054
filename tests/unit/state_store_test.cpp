// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "daemon/store/state_store.hpp"
#include "commit_cycle.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"
#include "tests/wait_until.hpp"

namespace complyd::testing {
namespace {

namespace fs = std::filesystem;

LifecycleResult one_open(const std::string& subject) {
  Observed o;
  o.finding.check_id = "credential-age";
  o.finding.customer_id = "c1";
  o.finding.subject = subject;
  o.finding.severity = Severity::high;
  o.finding.title = "api_token older than 90d";
  o.finding.detail = "d";
  o.finding.remediation = "r";
  o.id = finding_id("credential-age", "c1", subject);
  o.evidence_json = "{}";
  return apply_lifecycle({}, {o}, {"credential-age"}, {}, kNow);
}

TEST(StateStore, MigratesAndRoundTrips) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  EXPECT_EQ(s.schema_version(), StateStore::kSchemaVersion);
  CycleRecord c;
  c.started_at = kNow;
  c.finished_at = kNow;
  c.status = "ok";
  auto lr = one_open("p1");
  EXPECT_GT(commit_cycle(s, c, lr), 0);
  auto all = s.load_findings();
  ASSERT_EQ(all.size(), 1u);
  const auto& f = all.begin()->second;
  EXPECT_EQ(f.status, FindingStatus::open);
  EXPECT_EQ(f.first_seen, kNow);
  EXPECT_EQ(s.history(f.id).size(), 1u);
  EXPECT_EQ(s.history(f.id)[0].event, "opened");
  ASSERT_TRUE(s.last_cycle());
  EXPECT_EQ(s.last_cycle()->opened, 1);
}

TEST(StateStore, RollbackWhenAskedBeforeCommit) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  EXPECT_EQ(commit_cycle(s, c, one_open("p1"), [] { return false; }), 0);
  EXPECT_TRUE(s.load_findings().empty());
  EXPECT_FALSE(s.last_cycle());
}

// Foreign key checks are off only while a cycle writes: before and after it,
// and after a rolled-back one, a dangling reference is refused.
TEST(StateStore, ForeignKeysAreCheckedOutsideTheCyclesOwnWrites) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  const auto dangling = [&] {
    s.db().exec("INSERT INTO finding_events(finding_id, cycle_id, at, event, to_status, severity) "
                "VALUES ('Fnot-a-finding', NULL, 0, 'muted', 'muted', 'high')");
  };
  EXPECT_ANY_THROW(dangling());
  {
    StateStore::CycleWrite w(s, kNow);
    sql::Stmt fk(s.db(), "PRAGMA foreign_keys");
    ASSERT_TRUE(fk.step());
    EXPECT_EQ(fk.i64(0), 0) << "off while the cycle writes";
  }
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  ASSERT_GT(commit_cycle(s, c, one_open("p1")), 0);
  EXPECT_ANY_THROW(dangling());
  EXPECT_EQ(commit_cycle(s, c, one_open("p2"), [] { return false; }), 0);
  EXPECT_ANY_THROW(dangling());
  sql::Stmt check(s.db(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(check.step()) << "the cycle's own references hold";
}

// A cycle's writes go to the WAL; the copy into the database file runs after
// the commit on a connection of its own, not inside the next commit.
TEST(StateStore, ACommittedCycleIsCopiedIntoTheDatabaseFileAfterTheCommit) {
  TempDir t;
  const auto path = t.path / "state.db";
  StateStore s(path, StateUse::simulated);
  LifecycleResult lr;
  for (int i = 0; i < 3000; ++i) {
    auto one = one_open("raise/production/c1/api_token-" + std::to_string(i));
    one.changed[0].detail = std::string(300, 'd');
    lr.changed.push_back(std::move(one.changed[0]));
    lr.only_last_seen.push_back(0);
  }
  CycleRecord c;
  c.started_at = c.finished_at.emplace(kNow);
  c.status = "ok";
  ASSERT_GT(commit_cycle(s, c, lr), 0);
  const auto database_bytes = [&] {
    sql::Stmt n(s.db(), "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    n.step();
    return static_cast<std::uintmax_t>(n.i64(0));
  };
  ASSERT_GT(database_bytes(), 1'000'000u);
  // The copy runs on a background thread after the commit: wait for it.
  wait_until([&] { return fs::file_size(path) >= database_bytes(); }, std::chrono::seconds(20));
  EXPECT_EQ(fs::file_size(path), database_bytes()) << "every page in the database file, with the store still open";
}

// Damaged rows (edited with the sqlite3 shell, a failing disk): each surfaces
// as "unreadable" or is redone, never read as an empty, clean value.
TEST(StateStore, UnreadableStoredSourcesReadAsOneFailedSource) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c;
  c.started_at = c.finished_at.emplace(kNow);
  c.status = "ok";
  SourceStatus inv;
  inv.name = "inventory";
  inv.type = "inventory";
  inv.ok = true;
  c.sources = {inv};
  ASSERT_GT(commit_cycle(s, c, one_open("p1")), 0);
  ASSERT_EQ(s.last_cycle()->sources.size(), 1u);
  EXPECT_EQ(s.last_cycle()->sources[0].name, "inventory");

  s.db().exec("UPDATE cycles SET sources = '[{\"name\": \"inventory\"' ");
  const auto damaged = s.last_cycle();
  ASSERT_TRUE(damaged);
  ASSERT_EQ(damaged->sources.size(), 1u);
  EXPECT_EQ(damaged->sources[0].name, "(unreadable)");
  EXPECT_FALSE(damaged->sources[0].ok);
  EXPECT_NE(damaged->sources[0].error.find("cannot be read"), std::string::npos);
  // A row of another shape (a field missing) is as unreadable as broken JSON.
  EXPECT_EQ(sources_from_json(R"([{"name": "inventory", "ok": true}])", 1)[0].name, "(unreadable)");
}

TEST(StateStore, UnreadableStoredHitsMakeTheFileScannedAgainNotClean) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  FileScanState scans;
  for (const char* path : {"/srv/app/logs/a.log", "/srv/app/logs/b.log"}) {
    FileScanRecord r;
    r.path = path;
    r.size = r.scanned_bytes = 100;
    r.scanned_lines = 3;
    r.is_log = true;
    r.hits.push_back(LeakHit{path, 2, LeakKind::bearer_token, "Authorization: Bearer ****", 40, 1});
    r.scanned_at = kNow;
    scans[path] = r;
  }
  CycleRecord c;
  c.started_at = c.finished_at.emplace(kNow);
  c.status = "ok";
  ASSERT_GT(commit_cycle(s, c, one_open("p1"), {}, &scans), 0);
  ASSERT_EQ(s.load_file_scans().size(), 2u);

  s.db().exec("UPDATE file_scans SET hits = '[{\"line\": 2, \"kind\": \"no_such_kind\"}]' "
              "WHERE path = '/srv/app/logs/a.log'");
  const auto loaded = s.load_file_scans();
  // Without a's state the files source reads a from its start and finds its
  // hit again; b keeps its state and its hit.
  EXPECT_FALSE(loaded.contains("/srv/app/logs/a.log"));
  ASSERT_TRUE(loaded.contains("/srv/app/logs/b.log"));
  ASSERT_EQ(loaded.at("/srv/app/logs/b.log").hits.size(), 1u);
  EXPECT_EQ(loaded.at("/srv/app/logs/b.log").hits[0].line, 2u);
}

TEST(StateStore, RefusesDowngrade) {
  TempDir t;
  { StateStore s(t.path / "state.db", StateUse::simulated); s.db().exec("PRAGMA user_version = 99"); }
  try {
    StateStore s(t.path / "state.db", StateUse::simulated);
    FAIL() << "a newer schema must be refused";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("downgrade refused"), std::string::npos);
  }
}

TEST(StateStore, MuteAndUnmuteRecordHistory) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  auto lr = one_open("p1");
  commit_cycle(s, c, lr);
  const auto id = lr.changed[0].id;
  EXPECT_THROW(s.mute(id, "", Actor::os_user("alice"), kNow + days(1), kNow), StateError);
  EXPECT_THROW(s.mute(id, "why", Actor::os_user("alice"), kNow - days(1), kNow), StateError);
  EXPECT_THROW(s.mute("Fnope", "why", Actor::os_user("alice"), kNow + days(1), kNow), StateError);
  // A reason that is not UTF-8 (a Latin-1 shell) would break every JSON
  // output of the history: refused, not stored.
  const auto refusal = [](const auto& action) {
    try {
      action();
    } catch (const StateError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal([&] { s.mute(id, "caf\xE9 migration", Actor::os_user("alice"), kNow + days(1), kNow); }),
            "the reason is not valid UTF-8 text");
  EXPECT_EQ(refusal([&] { s.ack(id, "caf\xE9", Actor::os_user("alice"), kNow); }),
            "the reason is not valid UTF-8 text");
  EXPECT_EQ(s.get(id)->status, FindingStatus::open);
  auto m = s.mute(id, "vendor migration in progress", Actor::os_user("alice"), kNow + days(7), kNow);
  EXPECT_EQ(m.status, FindingStatus::muted);
  EXPECT_EQ(s.get(id)->muted_by, "alice");
  EXPECT_THROW(s.unmute("Fnope", Actor::os_user("bob"), kNow), StateError);
  s.unmute(id, Actor::os_user("bob"), kNow + hours(1));
  EXPECT_EQ(s.get(id)->status, FindingStatus::open);
  EXPECT_THROW(s.unmute(id, Actor::os_user("bob"), kNow), StateError);
  auto h = s.history(id);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].event, "muted");
  EXPECT_EQ(h[1].actor, "alice");
  EXPECT_NE(h[1].reason.find("vendor migration"), std::string::npos);
  EXPECT_EQ(h[2].event, "unmuted");
}

TEST(StateStore, AckResolvesIncidentsOnlyAndJoinsTheHistory) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  Observed o;
  o.finding.check_id = "signature-failures";
  o.finding.customer_id = "c1";
  o.finding.subject = "webhooks:unsigned";
  o.finding.severity = Severity::critical;
  o.finding.title = "unsigned webhook request processed";
  o.id = finding_id("signature-failures", "c1", "webhooks:unsigned");
  o.evidence_json = "{}";
  auto lr = apply_lifecycle({}, {o}, {"signature-failures"}, {}, kNow);
  auto state = one_open("p1");
  lr.changed.insert(lr.changed.end(), state.changed.begin(), state.changed.end());
  lr.only_last_seen.insert(lr.only_last_seen.end(), state.only_last_seen.begin(), state.only_last_seen.end());
  lr.transitions.insert(lr.transitions.end(), state.transitions.begin(), state.transitions.end());
  commit_cycle(s, c, lr);

  // A state resolves when fixed: acknowledging one is refused, saying so.
  try {
    s.ack(state.changed[0].id, "rotated", Actor::os_user("alice"), kNow);
    ADD_FAILURE() << "a state-kind finding was acknowledged";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("not an incident"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.ack(o.id, "", Actor::os_user("alice"), kNow), StateError);  // a reason is required
  EXPECT_THROW(s.ack("Fnope", "why", Actor::os_user("alice"), kNow), StateError);
  auto a = s.ack(o.id, "receiver fixed; forged gift reversed", Actor::os_user("alice"), kNow + days(2));
  EXPECT_EQ(a.status, FindingStatus::resolved);
  EXPECT_EQ(s.get(o.id)->status, FindingStatus::resolved);
  EXPECT_EQ(s.get(o.id)->resolved_at, kNow + days(2));
  EXPECT_THROW(s.ack(o.id, "again", Actor::os_user("alice"), kNow + days(2)), StateError);
  auto h = s.history(o.id);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].event, "acknowledged");
  EXPECT_EQ(h[1].actor, "alice");
  EXPECT_EQ(h[1].from_status, "open");
  EXPECT_EQ(h[1].to_status, "resolved");
  EXPECT_EQ(h[1].reason, "receiver fixed; forged gift reversed");
}

TEST(StateStore, JudgedThroughMovesOnlyForwardAndOnlyOnCommit) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  EXPECT_TRUE(s.load_judged_through().empty());
  {
    StateStore::CycleWrite w(s, kNow);
    w.advance_judged_through({{"verifications", 100}});
  }  // rolled back
  EXPECT_TRUE(s.load_judged_through().empty());
  for (std::int64_t m : {200, 150}) {
    CycleRecord c;
    c.started_at = kNow;
    c.status = "ok";
    StateStore::CycleWrite w(s, kNow);
    w.advance_judged_through({{"verifications", m}});
    w.record(c, {}, nullptr);
    w.commit();
  }
  EXPECT_EQ(s.load_judged_through(), (std::map<std::string, std::int64_t>{{"verifications", 200}}));
}

TEST(StateStore, FilterByStatusCustomerCheck) {
  TempDir t;
  StateStore s(t.path / "state.db", StateUse::simulated);
  CycleRecord c;
  c.started_at = kNow;
  c.status = "ok";
  commit_cycle(s, c, one_open("p1"));
  FindingFilter f;
  f.status = FindingStatus::open;
  EXPECT_EQ(s.list(f).size(), 1u);
  f.status = FindingStatus::resolved;
  EXPECT_EQ(s.list(f).size(), 0u);
  f.status.reset();
  f.customer_id = "other";
  EXPECT_EQ(s.list(f).size(), 0u);
  f.customer_id = "c1";
  f.check_id = "credential-age";
  EXPECT_EQ(s.list(f).size(), 1u);
}

}  // namespace
}  // namespace complyd::testing
