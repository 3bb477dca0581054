// SPDX-License-Identifier: Apache-2.0
// The tamper-evident history (docs/history-chain.md): rows edited, deleted
// and inserted with the real sqlite3 shell on a real state file are caught
// by `complyd history verify` and by the next cycle (history-integrity), and
// an export verifies with the documented standalone script.
#include <gtest/gtest.h>

#include <memory>

#include "daemon/app/cycle.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/store/state_store.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

class HistoryChain : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow}).exit_code, 0);
    audit_json(dir_, kDemoNow, 3);
    // An operator's mute between two cycles: a finding event outside a cycle.
    const auto doc = audit_json(dir_, "2026-11-22T13:00:00Z", 3);
    const auto id = doc["findings"][0]["id"].get<std::string>();
    auto m = run(dir_, {"findings", "mute", "--config", config_, "--state", sim_state(dir_), id, "--reason", "accepted \"risk\"\tuntil Q1",
                        "--until", "2027-01-31"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    audit_json(dir_, "2026-11-22T14:00:00Z", 3);
  }

  // The sqlite3 shell on the state file, as someone covering their tracks would.
  void sqlite(const std::string& sql) {
    const auto cmd = "sqlite3 " + quote((dir_ / kSimState).string()) + " " + quote(sql);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << sql;
  }
  std::string scalar(const std::string& sql) {
    const auto out = dir_ / ".scalar";
    const auto cmd = "sqlite3 " + quote((dir_ / kSimState).string()) + " " + quote(sql) + " >" + quote(out.string());
    EXPECT_EQ(std::system(cmd.c_str()), 0) << sql;
    auto s = read_file(out);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  Result verify() { return run(dir_, {"history", "verify", "--config", config_, "--state", sim_state(dir_)}); }
  // The history-integrity findings of a cycle at `now`.
  std::vector<nlohmann::json> integrity_findings(const std::string& now) {
    const auto doc = audit_json(dir_, now, 3);
    std::vector<nlohmann::json> out;
    for (const auto& f : doc["findings"]) {
      if (f["check_id"] == "history-integrity") out.push_back(f);
    }
    return out;
  }

  TempDir dir_;
  std::string config_ = (dir_ / "complyd.toml").string();
};

TEST_F(HistoryChain, AnUntouchedHistoryVerifiesAndEveryEvidenceRowIsChained) {
  auto r = verify();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("history chain intact"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM finding_events WHERE chain_seq IS NULL"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM cycles WHERE chain_seq IS NULL"), "0");
  // Three cycles, every event, and the mute: one sequence without gaps.
  const auto total = scalar("SELECT (SELECT count(*) FROM cycles) + (SELECT count(*) FROM finding_events)");
  EXPECT_EQ(scalar("SELECT seq FROM history_chain"), total);
  EXPECT_EQ(scalar("SELECT count(*) FROM finding_events WHERE event = 'muted' AND chain_seq IS NOT NULL"), "1");
  EXPECT_TRUE(integrity_findings("2026-11-22T15:00:00Z").empty());
}

TEST_F(HistoryChain, AnEditedRowIsNamed) {
  const auto id = scalar("SELECT id FROM finding_events WHERE event = 'muted'");
  sqlite("UPDATE finding_events SET reason = 'nothing to see' WHERE id = " + id);
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken at finding_events row " + id + " "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edited"), std::string::npos) << r.err;
}

TEST_F(HistoryChain, AnEditedCycleIsNamed) {
  sqlite("UPDATE cycles SET opened = opened + 1 WHERE id = 2");
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken at cycles row 2 "), std::string::npos) << r.err;
}

TEST_F(HistoryChain, ADeletedRowIsNamed) {
  const auto seq = scalar("SELECT chain_seq FROM finding_events WHERE id = 5");
  sqlite("DELETE FROM finding_events WHERE id = 5");
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  // The record after the gap is named, and the missing one by its sequence.
  EXPECT_NE(r.err.find("record " + seq + " before it is missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deleted"), std::string::npos) << r.err;
}

TEST_F(HistoryChain, ADeletedLastRowIsNamed) {
  const auto head = scalar("SELECT seq FROM history_chain");
  // The last record of the last cycle is its cycle row: delete the cycle.
  sqlite("DELETE FROM cycles WHERE chain_seq = " + head);
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("records " + head + ".." + head + " at the end of the chain are missing"), std::string::npos)
      << r.err;
}

TEST_F(HistoryChain, AnInsertedRowIsNamed) {
  sqlite("INSERT INTO finding_events(finding_id, cycle_id, at, event, from_status, to_status, severity, actor, reason) "
         "SELECT finding_id, cycle_id, at, 'resolved', 'open', 'resolved', severity, 'complyd', '' "
         "FROM finding_events WHERE id = 3");
  const auto id = scalar("SELECT max(id) FROM finding_events");
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken at finding_events row " + id + " "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no chain entry"), std::string::npos) << r.err;
}

TEST_F(HistoryChain, AnInsertedCopyWithItsChainColumnsIsNamed) {
  // A copy that carries a real record's sequence and hash, given a new id.
  sqlite("INSERT INTO finding_events(id, finding_id, cycle_id, at, event, from_status, to_status, severity, actor, "
         "reason, chain_seq, chain_hash) SELECT 100000, finding_id, cycle_id, at, event, from_status, to_status, "
         "severity, actor, reason, chain_seq, chain_hash FROM finding_events WHERE id = 4");
  auto r = verify();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken at finding_events row 100000 "), std::string::npos) << r.err;
}

TEST_F(HistoryChain, TheNextCycleOpensACriticalFindingAndNothingRepairsIt) {
  const auto id = scalar("SELECT id FROM finding_events WHERE event = 'muted'");
  sqlite("UPDATE finding_events SET actor = 'someone-else' WHERE id = " + id);
  auto found = integrity_findings("2026-11-22T15:00:00Z");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["severity"], "critical");
  EXPECT_EQ(found[0]["subject"], "history:finding_events:" + id);
  // Later cycles keep chaining on, and the break stays: still reported, and
  // still found by a full verification.
  found = integrity_findings("2026-11-22T16:00:00Z");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["status"], "open");
  EXPECT_EQ(verify().exit_code, 1);
  EXPECT_EQ(scalar("SELECT actor FROM finding_events WHERE id = " + id), "someone-else");
}

TEST_F(HistoryChain, EveryReportStatesTheChainHead) {
  const auto seq = scalar("SELECT seq FROM history_chain");
  const auto hash = scalar("SELECT hash FROM history_chain");
  ASSERT_EQ(hash.size(), 64u);
  auto j = run(dir_, {"report", "--config", config_, "--state", sim_state(dir_), "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["history_chain"]["seq"].get<std::int64_t>(), std::stoll(seq));
  EXPECT_EQ(doc["history_chain"]["hash"], hash);
  for (const char* format : {"md", "html"}) {
    auto r = run(dir_, {"report", "--config", config_, "--state", sim_state(dir_), "--format", format});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("History chain head: record " + seq), std::string::npos) << format;
    EXPECT_NE(r.out.find(hash), std::string::npos) << format;
  }
}

TEST_F(HistoryChain, AnExportVerifiesWithTheDocumentedScriptAndAnEditedLineDoesNot) {
  auto e = run(dir_, {"history", "export", "--config", config_, "--state", sim_state(dir_), "--since", "2026-11-22T13:00:00Z"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto first_seq = scalar("SELECT min(chain_seq) FROM finding_events WHERE at >= " +
                                std::to_string(to_unix(*parse_time("2026-11-22T13:00:00Z"))));
  ASSERT_FALSE(e.out.empty());
  const auto first = nlohmann::json::parse(e.out.substr(0, e.out.find('\n')));
  EXPECT_LE(first["seq"].get<std::int64_t>(), std::stoll(first_seq));
  EXPECT_GT(first["seq"].get<std::int64_t>(), 1);
  write_file(dir_ / "export.jsonl", e.out);
  const std::string script = std::string(COMPLYD_SOURCE_DIR) + "/docs/verify-history-export.py";
  const auto head = scalar("SELECT hash FROM history_chain");
  auto py = [&](const std::string& file, const std::string& extra) {
    const auto out = dir_ / ".py";
    const auto cmd = "python3 " + quote(script) + " " + quote((dir_ / file).string()) + extra + " >" +
                     quote(out.string()) + " 2>&1";
    const int st = std::system(cmd.c_str());
    return std::make_pair(WIFEXITED(st) ? WEXITSTATUS(st) : -1, read_file(out));
  };
  auto ok = py("export.jsonl", " --head " + head);
  EXPECT_EQ(ok.first, 0) << ok.second;
  EXPECT_NE(ok.second.find("OK: "), std::string::npos) << ok.second;
  // The mute's reason, with a quote and a tab, edited in the export.
  const auto at = e.out.find("accepted \\\"risk\\\"\\tuntil Q1");
  ASSERT_NE(at, std::string::npos) << e.out.substr(0, 2000);
  auto edited = e.out;
  edited.replace(at, 8, "rejected");
  write_file(dir_ / "edited.jsonl", edited);
  auto bad = py("edited.jsonl", "");
  EXPECT_EQ(bad.first, 1) << bad.second;
  EXPECT_NE(bad.second.find("does not match its hash"), std::string::npos) << bad.second;
}

TEST_F(HistoryChain, TheMigrationChainsADatabaseFromBeforeTheChain) {
  // Back to schema 12 as an older complyd left it: no chain columns (nor the later migrations' columns).
  sqlite("ALTER TABLE cycles DROP COLUMN chain_seq; ALTER TABLE cycles DROP COLUMN chain_hash; "
         "ALTER TABLE finding_events DROP COLUMN chain_seq; ALTER TABLE finding_events DROP COLUMN chain_hash; "
         "ALTER TABLE outbox DROP COLUMN chain_seq; ALTER TABLE outbox DROP COLUMN chain_hash; "
         "DROP TABLE history_chain; ALTER TABLE report_cycles DROP COLUMN attestations; PRAGMA user_version = 12;");
  auto r = verify();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto total = scalar("SELECT (SELECT count(*) FROM cycles) + (SELECT count(*) FROM finding_events)");
  EXPECT_NE(r.out.find("intact: " + total + " records"), std::string::npos) << r.out;
  EXPECT_EQ(scalar("PRAGMA user_version"), std::to_string(StateStore::kSchemaVersion));
  // Cycles first, then the events, each in id order.
  EXPECT_EQ(scalar("SELECT chain_seq FROM cycles WHERE id = 1"), "1");
  EXPECT_TRUE(integrity_findings("2026-11-22T15:00:00Z").empty());
  EXPECT_EQ(verify().exit_code, 0);
}

// The daemon's way: one store across cycles, each cycle verifying only the
// records added since the last (from a full verification in the first).
class HistoryChainDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow}).exit_code, 0);
    auto r = load_config(dir_ / "complyd.toml");
    ASSERT_TRUE(r.ok());
    config_ = *r.config;
    store_ = std::make_unique<StateStore>(config_.state_db, StateUse::simulated);
  }
  std::size_t integrity_findings() {
    const auto o = complyd::run_cycle(config_, *store_, fixed_clock(kNow + std::chrono::hours(n_++)));
    return static_cast<std::size_t>(std::count_if(o.current.begin(), o.current.end(), [](const StoredFinding& f) {
      return f.check_id == "history-integrity";
    }));
  }
  void edit_event_of_cycle(std::int64_t cycle) {
    // Another connection, as the sqlite3 shell would be.
    sql::Db db(config_.state_db, sql::OpenMode::read_write_create);
    db.exec("UPDATE finding_events SET severity = 'low' WHERE id = (SELECT min(id) FROM finding_events WHERE "
            "cycle_id = " + std::to_string(cycle) + ")");
  }

  // A later cycle may change no finding (no events): its own row is chained too.
  void edit_cycle(std::int64_t cycle) {
    sql::Db db(config_.state_db, sql::OpenMode::read_write_create);
    db.exec("UPDATE cycles SET opened = opened + 1 WHERE id = " + std::to_string(cycle));
  }

  TempDir dir_;
  Config config_;
  std::unique_ptr<StateStore> store_;
  int n_ = 0;
};

TEST_F(HistoryChainDaemon, EachCycleVerifiesTheRecordsAddedSinceTheLast) {
  EXPECT_EQ(integrity_findings(), 0u);  // cycle 1: nothing to verify yet
  EXPECT_EQ(integrity_findings(), 0u);  // cycle 2: verifies cycle 1's records
  // A record cycle 2 wrote is not verified yet: the next cycle finds it.
  edit_cycle(2);
  EXPECT_EQ(integrity_findings(), 1u);
  EXPECT_EQ(integrity_findings(), 1u) << "the break stays reported";
}

TEST_F(HistoryChainDaemon, RecordsAlreadyVerifiedAreNotReadAgainUntilTheNextStart) {
  EXPECT_EQ(integrity_findings(), 0u);
  EXPECT_EQ(integrity_findings(), 0u);  // cycle 1's records verified
  edit_event_of_cycle(1);
  EXPECT_EQ(integrity_findings(), 0u) << "incremental: only records after the last verified one are read";
  // A new process (the daemon restarted) verifies everything again.
  store_ = std::make_unique<StateStore>(config_.state_db, StateUse::simulated);
  EXPECT_EQ(integrity_findings(), 1u);
}

}  // namespace
}  // namespace complyd::itest
