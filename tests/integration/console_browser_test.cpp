// SPDX-License-Identifier: Apache-2.0
// The web console end to end: `complyd demo --console PORT`, `complyd run`
// on that loopback port, and tests/browser/console_browser.py driving
// Debian's chromium through chromium-driver (selenium): sign-in as viewer
// and operator, filters and counts, history, a mute, refused POSTs, network
// requests, labels and keyboard reach. Screenshots go to
// build/tests/artifacts/console/.
#include <gtest/gtest.h>

#include <fstream>
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "daemon/util/sqlite.hpp"
#include "harness.hpp"
#include "ports.hpp"
#include "process.hpp"
#include "tests/wait_until.hpp"

namespace complyd::itest {
namespace {

using namespace std::chrono_literals;

bool console_tool_present(const char* path) { return access(path, X_OK) == 0; }

std::int64_t console_cycles_done(const fs::path& db) {
  try {
    sql::Db d(db, sql::OpenMode::read_only);
    sql::Stmt s(d, "SELECT count(*) FROM cycles WHERE finished_at IS NOT NULL");
    s.step();
    return s.i64(0);
  } catch (const std::exception&) {
    return 0;
  }
}

TEST(ConsoleBrowser, ViewerAndOperatorInChromium) {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"}) {
    ASSERT_TRUE(console_tool_present(p)) << p << " is required (./dev installs chromium, chromium-driver, python3-selenium)";
  }
  TempDir d;
  const int port = free_port();
  // A live state: the daemon's cycles run on the real clock.
  const auto demo = run(d, {"demo", d.path().string(), "--console", std::to_string(port)});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_NE(demo.out.find("demo-operator (operator) with the token in"), std::string::npos) << demo.out;
  // A mutelist whose one rule mutes nothing the browser acts on: the Mutes
  // page lists it with its owner, reason and expiry.
  {
    std::ofstream(d / "mutelist.toml") << "[[rule]]\nid = \"vendor-freeze\"\ncheck = \"*\"\n"
                                           "customer = \"acme-legacy-*\"\nreason = \"frozen until the vendor migrates\"\n"
                                           "owner = \"lead@partner.example.com\"\nexpires = 2099-01-31\n";
    std::ofstream(d / "complyd.toml", std::ios::app) << "\n[mutelist]\npath = \"mutelist.toml\"\n";
  }
  const auto err = d / "daemon.err";
  Process daemon({"run", "--config", (d / "complyd.toml").string()}, err);
  ASSERT_GT(daemon.pid(), 0);
  // The first cycle's findings are what the browser filters.
  ASSERT_TRUE(wait_until([&] { return console_cycles_done(d / "state.db") >= 1 && accepts(port); }, 60s))
      << read_file(err);

  const auto out_dir = fs::path(COMPLYD_ARTIFACT_DIR) / "console";
  const auto log = d / "browser.log";
  const std::string cmd = "/usr/bin/python3 " + quote(std::string(COMPLYD_SOURCE_DIR) + "/tests/browser/console_browser.py") +
                          " --base http://127.0.0.1:" + std::to_string(port) + " --dir " + quote(d.path().string()) +
                          " --complyd " + quote(COMPLYD_BINARY) + " --out " + quote(out_dir.string()) + " >" +
                          quote(log.string()) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << read_file(log) << "\n--- daemon ---\n" << read_file(err);
  for (const char* page : {"console-overview", "console-findings", "console-finding", "console-customer", "console-mutes"}) {
    EXPECT_TRUE(fs::exists(out_dir / (std::string(page) + ".png"))) << page;
  }

  // What the daemon logged: the actions by name, never a token.
  const auto daemon_log = read_file(err);
  EXPECT_NE(daemon_log.find("by console:demo-operator"), std::string::npos) << daemon_log;
  for (const char* user : {"demo-operator", "demo-viewer"}) {
    const auto token = read_file(d / (std::string(user) + ".token"));
    EXPECT_EQ(daemon_log.find(token.substr(0, 16)), std::string::npos) << "a token in the daemon's log";
  }
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(10s), 0) << read_file(err);
}

}  // namespace
}  // namespace complyd::itest
