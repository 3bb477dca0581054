// SPDX-License-Identifier: Apache-2.0
// `complyd run` under a stand-in for systemd: NOTIFY_SOCKET is a unix datagram
// socket owned by the test, WATCHDOG_USEC asks for pings, JOURNAL_STREAM makes
// it log as it would to journald. Asserts READY=1 after the database opens,
// STATUS= with the last cycle's outcome, periodic WATCHDOG=1 (also through a
// refused reload), STOPPING=1, exit 0 on SIGTERM and a consistent database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include "daemon/util/sqlite.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {
namespace {

using namespace std::chrono_literals;

// The receiving end of sd_notify(): every datagram, in order.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind the notify socket");
    }
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    reader_ = std::thread([this] {
      char buf[4096];
      while (!done_) {
        const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) continue;
        std::lock_guard lock(mu_);
        messages_.emplace_back(buf, static_cast<std::size_t>(n));
      }
    });
  }
  ~NotifySocket() {
    done_ = true;
    reader_.join();
    close(fd_);
  }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::size_t count(const std::string& needle) const {
    std::size_t n = 0;
    for (const auto& m : messages()) n += m.find(needle) != std::string::npos;
    return n;
  }
  // Index of the first message at or after `from` containing needle, or -1.
  long find(const std::string& needle, std::size_t from = 0) const {
    const auto all = messages();
    for (std::size_t i = from; i < all.size(); ++i) {
      if (all[i].find(needle) != std::string::npos) return static_cast<long>(i);
    }
    return -1;
  }
  std::string dump() const {
    std::string out;
    for (const auto& m : messages()) out += "[" + m + "]\n";
    return out;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::atomic<bool> done_{false};
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
  std::thread reader_;
};

TEST(ServiceNotify, ReadyStatusWatchdogReloadAndStop) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = d / "complyd.toml";
  const std::string good = read_file(config);
  const auto err = d / "daemon.err";
  NotifySocket sock(d / "notify.sock");
  // 600 ms: the daemon pings every 300 ms.
  Process svc({"run", "--config", config.string()}, err, {"NOTIFY_SOCKET=" + (d / "notify.sock").string(), "WATCHDOG_USEC=600000", "JOURNAL_STREAM=8:12345"});
  ASSERT_GT(svc.pid(), 0);

  // READY=1 once the configuration is loaded and the database is open.
  ASSERT_TRUE(wait_until([&] { return sock.find("READY=1") >= 0; }, 20s)) << sock.dump() << read_file(err);
  EXPECT_TRUE(fs::exists(d / "state.db"));
  const auto ready = sock.messages()[static_cast<std::size_t>(sock.find("READY=1"))];
  EXPECT_NE(ready.find("STATUS="), std::string::npos) << ready;

  // STATUS= with the first cycle's outcome (the demo has open findings).
  ASSERT_TRUE(wait_until([&] { return sock.find("STATUS=last cycle") >= 0; }, 60s)) << sock.dump();
  const auto status = sock.messages()[static_cast<std::size_t>(sock.find("STATUS=last cycle"))];
  EXPECT_TRUE(std::regex_search(status, std::regex(R"(STATUS=last cycle \S+: (ok|partial); \d+ open finding)")))
      << status;
  EXPECT_EQ(status.find("open finding(s) (0 opened"), std::string::npos) << "the demo opens findings: " << status;

  // Periodic WATCHDOG=1 from the loop: several more within ~1.5 s.
  const auto pings = sock.count("WATCHDOG=1");
  EXPECT_GE(pings, 1u) << sock.dump();
  EXPECT_TRUE(wait_until([&] { return sock.count("WATCHDOG=1") >= pings + 3; }, 3s)) << sock.dump();

  // SIGHUP with a broken file: RELOADING=1, then READY=1 saying it was refused;
  // the daemon keeps running and keeps pinging.
  write_file(config, good + "\n[schedule]\nbogus = 1\n");
  const auto before_reload = sock.messages().size();
  svc.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return sock.find("reload refused", before_reload) >= 0; }, 10s)) << sock.dump();
  const long reloading = sock.find("RELOADING=1", before_reload);
  const long refused = sock.find("READY=1", before_reload);
  EXPECT_GE(reloading, 0) << sock.dump();
  EXPECT_GT(refused, reloading) << sock.dump();
  EXPECT_EQ(svc.wait_exit(300ms), -1) << "a refused reload must not stop the daemon";
  EXPECT_NE(read_file(err).find("complyd.toml:"), std::string::npos) << read_file(err);
  const auto pings_after = sock.count("WATCHDOG=1");
  EXPECT_TRUE(wait_until([&] { return sock.count("WATCHDOG=1") >= pings_after + 2; }, 3s)) << sock.dump();

  // A good reload: READY=1 with the last cycle's status again.
  write_file(config, good);
  const auto before_good = sock.messages().size();
  svc.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return sock.find("READY=1\nSTATUS=last cycle", before_good) >= 0; }, 10s))
      << sock.dump();

  // SIGTERM: STOPPING=1, exit 0 within a few seconds, database consistent.
  const auto t0 = std::chrono::steady_clock::now();
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait_exit(5s), 0) << read_file(err);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(wait_until([&] { return sock.find("STOPPING=1") >= 0; }, 1s)) << sock.dump();

  sql::Db db(d / "state.db", sql::OpenMode::read_only);
  sql::Stmt check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  sql::Stmt unfinished(db, "SELECT count(*) FROM cycles WHERE finished_at IS NULL");
  unfinished.step();
  EXPECT_EQ(unfinished.i64(0), 0);

  // Under journald: every line has a <N> priority and no timestamp of its own.
  std::istringstream lines(read_file(err));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_TRUE(std::regex_search(line, std::regex(R"(^<[3-7]>)"))) << line;
    EXPECT_FALSE(std::regex_search(line, std::regex(R"(^<\d>\d{4}-\d\d-\d\dT)"))) << line;
  }
  EXPECT_GT(n, 2);
}

TEST(ServiceNotify, NoWatchdogPingsUnlessAsked) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  NotifySocket sock(d / "notify.sock");
  Process svc({"run", "--config", (d / "complyd.toml").string()}, d / "daemon.err", {"NOTIFY_SOCKET=" + (d / "notify.sock").string()});
  ASSERT_TRUE(wait_until([&] { return sock.find("STATUS=last cycle") >= 0; }, 60s)) << sock.dump();
  // Proving an absence needs a window: 300 ms is a whole ping interval of
  // the watchdog test above (and pings would start at READY=1, before it).
  std::this_thread::sleep_for(300ms);
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait_exit(5s), 0);
  // STOPPING=1 is the last datagram: once it is read, so is every ping sent.
  ASSERT_TRUE(wait_until([&] { return sock.find("STOPPING=1") >= 0; }, 1s)) << sock.dump();
  EXPECT_EQ(sock.count("WATCHDOG=1"), 0u) << sock.dump();
}

TEST(ServiceNotify, DatabaseThatCannotOpenIsReportedAndNotReady) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = d / "complyd.toml";
  // state.path under a regular file: the database cannot be created.
  write_file(d / "not-a-dir", "x");
  std::string text = read_file(config);
  const std::string demo_state = "path = \"state.db\"";
  const auto at = text.find(demo_state);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, demo_state.size(), "path = \"not-a-dir/state.db\"");
  write_file(config, text);
  NotifySocket sock(d / "notify.sock");
  Process svc({"run", "--config", config.string()}, d / "daemon.err", {"NOTIFY_SOCKET=" + (d / "notify.sock").string()});
  // A state file that cannot be read is the operator's to fix: exit 2, no restart loop.
  EXPECT_EQ(svc.wait_exit(10s), 2) << read_file(d / "daemon.err");
  EXPECT_TRUE(wait_until([&] { return sock.find("state database") >= 0; }, 1s)) << sock.dump();
  EXPECT_EQ(sock.find("READY=1"), -1) << sock.dump();
}

TEST(ServiceNotify, DowngradeIsRefusedWithExit2AndAStatus) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  ASSERT_EQ(run(d, {"audit", "--config", (d / "complyd.toml").string(), "--no-notify"}).exit_code, 3);
  // As if a newer complyd had migrated it.
  ASSERT_EQ(std::system(("sqlite3 " + quote((d / "state.db").string()) + " 'PRAGMA user_version = 9999'").c_str()), 0);
  NotifySocket sock(d / "notify.sock");
  Process svc({"run", "--config", (d / "complyd.toml").string()}, d / "daemon.err", {"NOTIFY_SOCKET=" + (d / "notify.sock").string()});
  EXPECT_EQ(svc.wait_exit(10s), 2) << read_file(d / "daemon.err");
  EXPECT_NE(read_file(d / "daemon.err").find("downgrade refused"), std::string::npos) << read_file(d / "daemon.err");
  EXPECT_TRUE(wait_until([&] { return sock.find("downgrade refused") >= 0; }, 1s)) << sock.dump();
  EXPECT_EQ(sock.find("READY=1"), -1) << sock.dump();
}

}  // namespace
}  // namespace complyd::itest
