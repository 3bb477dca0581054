// SPDX-License-Identifier: Apache-2.0
// The history only moves forward (issue 15): `complyd audit --now` never
// writes to a live state database, a refused run writes nothing, and
// --dry-run prints what a run would without writing anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "daemon/store/state_lock.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

const char* const kPast = "2026-12-03T00:00:00Z";

// A live state database: the demo built around now, audited on the wall
// clock. The process has exited, so the WAL is copied into the file and gone.
struct LiveDemo {
  TempDir d;
  std::string config = (d / "complyd.toml").string();
  fs::path state = d / "state.db";
  LiveDemo() {
    EXPECT_EQ(run(d, {"demo", d.path().string()}).exit_code, 0);
    const auto r = run(d, {"audit", "--config", config, "--no-notify"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
  }
  std::string bytes(const fs::path& p) const {
    EXPECT_FALSE(fs::exists(p.string() + "-wal") && fs::file_size(p.string() + "-wal") > 0) << p;
    return read_file(p);
  }
};

TEST(HistoryForward, APastNowIsRefusedOnALiveStateAndWritesNothing) {
  LiveDemo demo;
  const std::string before = demo.bytes(demo.state);
  ASSERT_FALSE(before.empty());

  // Without --state or --dry-run, --now is a usage error.
  auto r = run(demo.d, {"audit", "--config", demo.config, "--now", kPast});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--dry-run"), std::string::npos) << r.err;
  // --state naming the configured state_db is refused too.
  r = run(demo.d, {"audit", "--config", demo.config, "--state", demo.state.string(), "--now", kPast});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("state_db"), std::string::npos) << r.err;
  EXPECT_EQ(demo.bytes(demo.state), before);

  // Another live database (a copy): the store itself refuses, before writing.
  const auto copy = demo.d / "copy.db";
  fs::copy_file(demo.state, copy);
  r = run(demo.d, {"audit", "--config", demo.config, "--state", copy.string(), "--now", kPast});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("records real-clock cycles"), std::string::npos) << r.err;
  EXPECT_EQ(demo.bytes(copy), before);
}

TEST(HistoryForward, DryRunPrintsWhatARunWouldAndWritesNothing) {
  LiveDemo demo;
  const std::string before = demo.bytes(demo.state);
  // On the live state, at a past time: printed, not written.
  auto dry = run(demo.d, {"audit", "--config", demo.config, "--dry-run", "--now", kPast, "--format", "json"});
  EXPECT_EQ(dry.exit_code, 3) << dry.err;
  EXPECT_FALSE(nlohmann::json::parse(dry.out)["findings"].empty());
  EXPECT_EQ(demo.bytes(demo.state), before);

  // The same output and exit code as a real run at that time on the same history.
  const auto sim = demo.d / "sim.db";
  dry = run(demo.d, {"audit", "--config", demo.config, "--state", sim.string(), "--dry-run", "--now", kDemoNow,
                     "--format", "json"});
  EXPECT_FALSE(fs::exists(sim)) << "a dry run creates nothing";
  const auto real = run(demo.d, {"audit", "--config", demo.config, "--state", sim.string(), "--now", kDemoNow,
                                 "--format", "json", "--no-notify"});
  EXPECT_EQ(dry.exit_code, real.exit_code);
  EXPECT_EQ(dry.out, real.out);
  const std::string sim_before = demo.bytes(sim);
  dry = run(demo.d, {"audit", "--config", demo.config, "--state", sim.string(), "--dry-run", "--now",
                     "2026-11-22T13:00:00Z", "--format", "json"});
  EXPECT_EQ(dry.exit_code, 3) << dry.err;
  EXPECT_EQ(demo.bytes(sim), sim_before);
}

TEST(HistoryForward, SimulatedStatesMoveForwardAndStayApart) {
  LiveDemo demo;
  const auto sim = demo.d / "sim.db";
  const std::vector<std::string> at{"audit", "--config", demo.config, "--state", sim.string(), "--no-notify", "--now"};
  auto with = [&](std::vector<std::string> args, const std::string& extra) {
    args.push_back(extra);
    return args;
  };
  ASSERT_EQ(run(demo.d, with(at, kDemoNow)).exit_code, 3);
  const std::string before = demo.bytes(sim);
  // Earlier than its last cycle: refused, nothing written.
  auto r = run(demo.d, with(at, "2026-11-21T00:00:00Z"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("earlier than the last committed"), std::string::npos) << r.err;
  // A real-clock cycle on it: refused.
  r = run(demo.d, {"audit", "--config", demo.config, "--state", sim.string(), "--no-notify"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("simulated"), std::string::npos) << r.err;
  EXPECT_EQ(demo.bytes(sim), before);
  // A database a daemon holds: refused before it is opened.
  {
    StateLock daemon_holds(sim);
    r = run(demo.d, with(at, "2026-11-23T00:00:00Z"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
  }
  EXPECT_EQ(demo.bytes(sim), before);
  EXPECT_EQ(run(demo.d, with(at, "2026-11-23T00:00:00Z")).exit_code, 3);
}

TEST(HistoryForward, TheDaemonRefusesASimulatedState) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = (d / "complyd.toml").string();
  ASSERT_EQ(run(d, {"audit", "--config", config, "--state", sim_state(d), "--now", kDemoNow}).exit_code, 3);
  fs::rename(sim_state(d), d / "state.db");
  const std::string before = read_file(d / "state.db");
  auto r = run(d, {"run", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("simulated"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(d / "state.db"), before);
}

}  // namespace
}  // namespace complyd::itest
