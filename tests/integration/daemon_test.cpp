// SPDX-License-Identifier: Apache-2.0
// `complyd run` as a process: first cycle, SIGHUP with a broken config keeps
// the old one, SIGTERM stops cleanly with a consistent database.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "daemon/app/reload_status.hpp"
#include "daemon/util/sqlite.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "stub_http.hpp"
#include "tests/wait_until.hpp"


namespace complyd::itest {
namespace {

using namespace std::chrono_literals;

std::int64_t cycles(const fs::path& db) {
  try {
    sql::Db d(db, sql::OpenMode::read_only);
    sql::Stmt s(d, "SELECT count(*) FROM cycles");
    s.step();
    return s.i64(0);
  } catch (const std::exception&) {
    return 0;
  }
}

TEST(Daemon, RunsReloadsAndStopsCleanly) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = d / "complyd.toml";
  const std::string good = read_file(config);
  const auto err = d / "daemon.err";
  Process p({"run", "--config", config.string()}, err);
  ASSERT_GT(p.pid(), 0);

  ASSERT_TRUE(wait_until([&] { return cycles(d / "state.db") >= 1; }, 20s)) << read_file(err);

  // A broken config on reload: logged with its position, the old one kept.
  write_file(config, good + "\n[schedule]\nbogus = 1\n");
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("reload failed") != std::string::npos; }, 10s))
      << read_file(err);
  EXPECT_NE(read_file(err).find("complyd.toml:"), std::string::npos);
  EXPECT_EQ(p.wait_exit(300ms), -1) << "a bad reload must not stop the daemon";

  // A good reload is accepted.
  write_file(config, good);
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("configuration reloaded") != std::string::npos; }, 10s))
      << read_file(err);

  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(5s), 0) << read_file(err);
  EXPECT_NE(read_file(err).find("complyd stopped"), std::string::npos);

  sql::Db db(d / "state.db", sql::OpenMode::read_only);
  sql::Stmt check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  sql::Stmt unfinished(db, "SELECT count(*) FROM cycles WHERE finished_at IS NULL");
  unfinished.step();
  EXPECT_EQ(unfinished.i64(0), 0);
}

// `complyd reload` (the unit's ExecReload=) waits for the daemon's answer:
// `systemctl reload` fails when the new file is refused.
TEST(Daemon, ReloadCommandWaitsForTheOutcomeAndFailsWhenRefused) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = d / "complyd.toml";
  const std::string good = read_file(config);
  const auto err = d / "daemon.err";
  Process p({"run", "--config", config.string()}, err);
  ASSERT_GT(p.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return cycles(d / "state.db") >= 1; }, 20s)) << read_file(err);
  const std::string pid = std::to_string(p.pid());

  auto ok = run(d, {"reload", "--config", config.string(), "--pid", pid});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("configuration reloaded from"), std::string::npos) << ok.out;

  write_file(config, good + "\n[schedule]\nbogus = 1\n");
  auto refused = run(d, {"reload", "--config", config.string(), "--pid", pid});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE((refused.out + refused.err).find("complyd.toml:"), std::string::npos) << refused.out << refused.err;

  // A plain SIGHUP with the same file: the daemon's own answer says refused, with the position.
  const auto before = read_reload_status(reload_status_path(d / "state.db"));
  ASSERT_TRUE(before && before->ok && before->generation == 1);
  p.signal(SIGHUP);
  std::optional<ReloadStatus> after;
  ASSERT_TRUE(wait_until([&] {
    after = read_reload_status(reload_status_path(d / "state.db"));
    return after && after->generation == 2;
  }, 10s));
  EXPECT_FALSE(after->ok);
  EXPECT_EQ(after->pid, p.pid());
  EXPECT_NE(after->message.find("complyd.toml:"), std::string::npos) << after->message;
  EXPECT_EQ(p.wait_exit(300ms), -1) << "a bad reload must not stop the daemon";

  // A dotted key of 400,000 parts (it crashed the TOML parser by recursion;
  // 40,000 did in some builds): refused with its position, by the command
  // and by the daemon on SIGHUP.
  std::string deep;
  for (int i = 0; i < 400000; ++i) deep += "a.";
  write_file(config, good + "\n" + deep + "a = 1\n");
  auto too_deep = run(d, {"reload", "--config", config.string(), "--pid", pid});
  EXPECT_EQ(too_deep.exit_code, 2) << too_deep.out << too_deep.err;
  EXPECT_NE((too_deep.out + too_deep.err).find("complyd.toml:"), std::string::npos);
  p.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    after = read_reload_status(reload_status_path(d / "state.db"));
    return after && after->generation == 3;
  }, 10s)) << read_file(err);
  EXPECT_FALSE(after->ok);
  EXPECT_EQ(p.wait_exit(300ms), -1) << "a SIGHUP with a 40,000-part key stopped the daemon";

  write_file(config, good);
  EXPECT_EQ(run(d, {"reload", "--config", config.string(), "--pid", pid}).exit_code, 0);
  // Nothing answers for a process that is not a complyd daemon.
  Process other({"run", "--config", (d / "absent.toml").string()}, d / "other.err");
  ASSERT_EQ(other.wait_exit(10s), 2);
  auto nobody = run(d, {"reload", "--config", config.string(), "--pid", std::to_string(other.pid()), "--timeout", "1"});
  EXPECT_EQ(nobody.exit_code, 1) << nobody.out << nobody.err;
}

TEST(Daemon, RefusesToStartOnABadConfig) {
  TempDir d;
  write_file(d / "complyd.toml", "[inventory]\npath = 3\n");
  auto r = run(d, {"run", "--config", (d / "complyd.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(":2:8: inventory.path: expected a string"), std::string::npos) << r.err;
}

// Issue 19 §2: an emptied state.db is an error that stops the daemon with
// exit 2 (not restarted by systemd), never a fresh start that resends mail.
TEST(Daemon, AnEmptiedStateDatabaseStopsItWithExit2) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = (d / "complyd.toml").string();
  ASSERT_EQ(run(d, {"audit", "--config", config}).exit_code, 3);  // a real-clock cycle on the live state
  ASSERT_TRUE(fs::exists(d / "state.db.marker"));
  fs::resize_file(d / "state.db", 0);

  auto r = run(d, {"run", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("state.db is empty (0 bytes)"), std::string::npos) << r.err;
  EXPECT_EQ(fs::file_size(d / "state.db"), 0u);  // nothing was created in its place
  // The CLI refuses it the same way.
  r = run(d, {"audit", "--config", config, "--now", kDemoNow});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run(d, {"notify", "send", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(fs::file_size(d / "state.db"), 0u);
}

TEST(Daemon, SigintDuringStartupStopsWithExit0) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto err = d / "daemon.err";
  Process p({"run", "--config", (d / "complyd.toml").string()}, err);
  ASSERT_TRUE(wait_until([&] { return read_file(err).find("complyd started") != std::string::npos; }, 10s));
  p.signal(SIGINT);
  EXPECT_EQ(p.wait_exit(5s), 0) << read_file(err);
}

// SIGTERM while a source is waiting on a slow server: the request is aborted
// and the cycle abandoned at once, not after the source's 5-minute deadline
// (systemd would SIGKILL after TimeoutStopSec=1min).
TEST(Daemon, SigtermDuringASlowSourceStopsAtOnce) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  StubHttpServer vault([](const StubRequest&) { return StubResponse{200, "{}", {}, 6s}; });
  write_file(d / "vault-token", "hvs.daemon-test-token\n");
  const auto config = d / "complyd.toml";
  write_file(config, read_file(config) + "\n[[sources]]\nname = \"vault-slow\"\ntype = \"vault\"\nurl = \"" +
                         vault.url() + "\"\nprefix = \"raise\"\ntoken_file = \"vault-token\"\ntimeout = \"2m\"\n");
  const auto err = d / "daemon.err";
  Process p({"run", "--config", config.string()}, err);
  ASSERT_TRUE(wait_until([&] { return vault.count() >= 1; }, 20s)) << read_file(err);
  const auto t0 = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(5s), 0) << read_file(err);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_NE(read_file(err).find("shutting down"), std::string::npos) << read_file(err);
  EXPECT_EQ(cycles(d / "state.db"), 0) << "the interrupted cycle must not be committed";
}

}  // namespace
}  // namespace complyd::itest
