// SPDX-License-Identifier: Apache-2.0
// The state database is never silently replaced: an emptied, missing or
// foreign state file where one existed stops complyd (StateError: exit 2).
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/store/state_store.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

namespace fs = std::filesystem;

void put_file(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string open_error(const fs::path& db) {
  try {
    StateStore s(db);
  } catch (const StateError& e) {
    return e.what();
  }
  return "";
}

TEST(StateFile, AFirstStartCreatesTheDatabaseAndItsMarker) {
  TempDir t;
  const auto db = t.path / "state.db";
  { StateStore s(db); }
  EXPECT_TRUE(fs::exists(t.path / "state.db.marker"));
  EXPECT_EQ(open_error(db), "");  // and it opens again
}

TEST(StateFile, AnEmptiedDatabaseIsRefusedNotRecreated) {
  TempDir t;
  const auto db = t.path / "state.db";
  { StateStore s(db); }
  fs::resize_file(db, 0);
  const auto e = open_error(db);
  EXPECT_NE(e.find("is empty (0 bytes)"), std::string::npos) << e;
  EXPECT_NE(e.find("restore it from a backup"), std::string::npos) << e;
  EXPECT_EQ(fs::file_size(db), 0u);  // untouched
}

TEST(StateFile, AZeroByteFileIsRefusedEvenWithoutAMarker) {
  TempDir t;
  put_file(t.path / "state.db", "");
  EXPECT_NE(open_error(t.path / "state.db").find("is empty"), std::string::npos);
}

TEST(StateFile, AMissingDatabaseWhoseMarkerOrWalRemainsIsRefused) {
  TempDir t;
  const auto db = t.path / "state.db";
  { StateStore s(db); }
  fs::remove(db);
  EXPECT_NE(open_error(db).find("is missing, but"), std::string::npos);
  EXPECT_FALSE(fs::exists(db));

  TempDir u;
  put_file(u.path / "state.db-wal", "leftover");
  EXPECT_NE(open_error(u.path / "state.db").find("state.db-wal shows one existed"), std::string::npos);
}

TEST(StateFile, AFileThatIsNotSqliteIsRefused) {
  TempDir t;
  put_file(t.path / "state.db", "this is a text file, not a database\n");
  EXPECT_NE(open_error(t.path / "state.db").find("is not an SQLite database"), std::string::npos);
}

TEST(StateFile, AnExistingDatabaseWithoutAMarkerGetsOne) {
  TempDir t;
  const auto db = t.path / "state.db";
  { StateStore s(db); }
  fs::remove(t.path / "state.db.marker");  // as written by a complyd before markers
  EXPECT_EQ(open_error(db), "");
  EXPECT_TRUE(fs::exists(t.path / "state.db.marker"));
}

}  // namespace
}  // namespace complyd::testing
