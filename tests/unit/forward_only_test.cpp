// SPDX-License-Identifier: Apache-2.0
// The history only moves forward: the store refuses a cycle before the last
// committed one, a live cycle away from the wall clock, and a mix of live and
// simulated cycles, before anything is written.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/store/state_store.hpp"
#include "commit_cycle.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;

std::string forward_file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LifecycleResult forward_one_open(Time at) {
  Observed o;
  o.finding.check_id = "credential-age";
  o.finding.customer_id = "c1";
  o.finding.subject = "s1";
  o.finding.severity = Severity::high;
  o.finding.title = "t";
  o.id = finding_id("credential-age", "c1", "s1");
  o.evidence_json = "{}";
  return apply_lifecycle({}, {o}, {"credential-age"}, {}, at);
}

std::int64_t forward_commit(StateStore& s, Time at) {
  CycleRecord c;
  c.started_at = at;
  c.status = "ok";
  auto lr = forward_one_open(at);
  return commit_cycle(s, c, lr);
}

// A live database with one committed cycle at kNow, checkpointed and closed:
// its file is the whole of its content.
struct LiveDb {
  TempDir t;
  fs::path path = t.path / "state.db";
  LiveDb() {
    StateStore s(path, StateUse::live, fixed_clock(kNow));
    EXPECT_GT(forward_commit(s, kNow), 0);
  }
  std::string bytes() const {
    EXPECT_FALSE(fs::exists(path.string() + "-wal") && fs::file_size(path.string() + "-wal") > 0);
    return forward_file_bytes(path);
  }
};

TEST(ForwardOnly, AnEarlierCycleIsRefusedAndWritesNothing) {
  LiveDb live;
  const std::string before = live.bytes();
  {
    StateStore s(live.path, StateUse::live, fixed_clock(kNow));
    EXPECT_THROW(s.admit(kNow - hours(1)), CycleRefused);
    // The same rule at the transaction, for a writer that skipped admit().
    EXPECT_THROW(forward_commit(s, kNow - minutes(1)), CycleRefused);
    EXPECT_EQ(s.last_cycle()->started_at, kNow);
  }
  EXPECT_EQ(live.bytes(), before);
}

TEST(ForwardOnly, ALiveCycleAwayFromTheWallClockIsRefused) {
  LiveDb live;
  const std::string before = live.bytes();
  {
    StateStore s(live.path, StateUse::live, fixed_clock(kNow + days(11)));
    EXPECT_THROW(s.admit(kNow + hours(1)), CycleRefused);           // 11 days in the past
    EXPECT_THROW(s.admit(kNow + days(11) + minutes(6)), CycleRefused);  // in the future
  }
  EXPECT_EQ(live.bytes(), before);
  StateStore s(live.path, StateUse::live, fixed_clock(kNow + days(11)));
  EXPECT_NO_THROW(s.admit(kNow + days(11) - minutes(4)));
  EXPECT_GT(forward_commit(s, kNow + days(11) - minutes(4)), 0);
}

TEST(ForwardOnly, LiveAndSimulatedCyclesNeverMix) {
  LiveDb live;
  const std::string before = live.bytes();
  {
    // A simulated run at the same time as the live cycle: still refused.
    StateStore s(live.path, StateUse::simulated, fixed_clock(kNow));
    EXPECT_THROW(s.admit(kNow), CycleRefused);
    EXPECT_THROW(forward_commit(s, kNow + hours(1)), CycleRefused);
  }
  EXPECT_EQ(live.bytes(), before);

  TempDir t;
  const auto sim = t.path / "sim.db";
  {
    StateStore s(sim, StateUse::simulated, fixed_clock(kNow + days(30)));
    EXPECT_GT(forward_commit(s, kNow), 0);  // any time: no wall clock rule
    EXPECT_EQ(s.recorded_use(), StateUse::simulated);
    EXPECT_THROW(s.admit(kNow - hours(1)), CycleRefused);  // but forward only
  }
  StateStore s(sim, StateUse::live, fixed_clock(kNow + hours(1)));
  EXPECT_THROW(s.admit(kNow + hours(1)), CycleRefused);
}

}  // namespace
}  // namespace complyd::testing
