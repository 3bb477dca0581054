// SPDX-License-Identifier: Apache-2.0
// One process with two connections to the state (the daemon's cycle store and
// its console's writer) beside other processes (the CLI, the report timer):
// opening the second must leave the first's SQLite locks alone. The state
// file guard once read the header through its own descriptor; closing it
// dropped the process's POSIX locks, so the next process to close its
// connection deleted the WAL the daemon still wrote to, and the daemon's
// console actions never reached anyone else.
#include <gtest/gtest.h>

#include <cstdio>

#include "daemon/config/config.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/sources/source.hpp"
#include "daemon/store/state_store.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

// Another process opens the database, reads, and closes its connection.
std::string other_process_reads(const fs::path& db, const std::string& sql) {
  const std::string cmd = "/usr/bin/sqlite3 " + quote(db.string()) + " " + quote(sql) + " 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
  }
  return out;
}

TEST(StateLocks, ASecondStoreInTheProcessLeavesTheFirstOnesLocksAndWal) {
  ASSERT_TRUE(fs::exists("/usr/bin/sqlite3")) << "./dev installs sqlite3";
  TempDir d;
  const auto db = d / "state.db";
  StateStore first(db, StateUse::live);
  first.db().exec("CREATE TABLE probe(x); INSERT INTO probe VALUES (1)");
  StateStore second(db, StateUse::live);  // as the console's writer opens beside the daemon's store
  EXPECT_EQ(other_process_reads(db, "SELECT count(*) FROM probe;"), "1\n");
  EXPECT_TRUE(fs::exists(db.string() + "-wal")) << "another process deleted the WAL under this one's connections";
  first.db().exec("INSERT INTO probe VALUES (2)");
  second.db().exec("INSERT INTO probe VALUES (3)");
  EXPECT_EQ(other_process_reads(db, "SELECT count(*) FROM probe;"), "3\n")
      << "what this process wrote after another process's close is what the others read";
}

// A leak scan over a directory that holds the state (and the inventory) is
// the same hazard: the scan's close() of state.db would drop the locks.
TEST(StateLocks, AFilesScanOverTheStateDirectoryNeverOpensComplydsDatabases) {
  ASSERT_TRUE(fs::exists("/usr/bin/sqlite3")) << "./dev installs sqlite3";
  TempDir d;
  Config config;
  config.state_db = d / "state.db";
  config.inventory.path = d / "inventory.db";
  config.files = FilesConfig{};
  config.files->paths = {d.path()};
  StateStore store(config.state_db, StateUse::live);
  store.db().exec("CREATE TABLE probe(x); INSERT INTO probe VALUES (1)");
  write_file(d / "worker.log", "sync done\n");
  FileScanState scans;
  auto sources = make_sources(config, &scans);
  FilesSource* files = nullptr;
  for (auto& s : sources) {
    if (auto* f = dynamic_cast<FilesSource*>(s.get())) files = f;
  }
  ASSERT_NE(files, nullptr);
  Facts facts;
  std::vector<std::string> problems;
  files->collect(facts, kNow, problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(files->last_stats().own_databases, 3) << "state.db, its -wal and -shm";
  EXPECT_TRUE(scans.contains((d / "worker.log").string())) << "everything else is scanned";
  EXPECT_FALSE(scans.contains(config.state_db.string()));

  EXPECT_EQ(other_process_reads(config.state_db, "SELECT count(*) FROM probe;"), "1\n");
  EXPECT_TRUE(fs::exists(config.state_db.string() + "-wal")) << "another process deleted the WAL";
  store.db().exec("INSERT INTO probe VALUES (2)");
  EXPECT_EQ(other_process_reads(config.state_db, "SELECT count(*) FROM probe;"), "2\n");
}

// The header check moved to SQLite's own handle; a foreign file is still
// refused before anything is written to it.
TEST(StateLocks, AForeignFileIsStillRefusedAndLeftAsItWas) {
  TempDir d;
  const auto db = d / "state.db";
  write_file(db, "not a database, but someone's notes\n");
  try {
    StateStore s(db, StateUse::live);
    FAIL() << "opened a foreign file";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("is not an SQLite database"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(db), "not a database, but someone's notes\n");
  EXPECT_FALSE(fs::exists(db.string() + "-wal"));
}

}  // namespace
}  // namespace complyd::itest
