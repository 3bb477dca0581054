// SPDX-License-Identifier: Apache-2.0
// The systemd units and the installed tree: `systemd-analyze security
// --offline=true` exposure <= 1.5 for every service, `systemd-analyze verify`
// clean on the units as installed by `cmake --install` into a scratch root
// (ExecStart pointed at the installed binary, man pages from that root), and
// the installed files: binary, units, sysusers/tmpfiles, default config 0640,
// man page.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <iostream>
#include <regex>

#include "harness.hpp"

namespace complyd::itest {
namespace {

const fs::path kSource = COMPLYD_SOURCE_DIR;
const fs::path kBuild = fs::path(COMPLYD_BINARY).parent_path();

// Runs a shell command; stdout and stderr together.
Result sh(const TempDir& dir, const std::string& cmd) {
  const auto out = dir / ".sh-out";
  const int status = std::system((cmd + " >" + quote(out.string()) + " 2>&1 </dev/null").c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  return r;
}

double exposure(const TempDir& dir, const fs::path& unit) {
  auto r = sh(dir, "systemd-analyze security --offline=true --no-pager " + quote(unit.string()));
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex(R"(Overall exposure level for \S+: (\d+\.\d+))"))) {
    ADD_FAILURE() << "no overall exposure in:\n" << r.out;
    return 99;
  }
  return std::stod(m[1]);
}

TEST(ServiceUnits, ExposureAtMost1_5) {
  TempDir d;
  for (const char* unit : {"complyd.service", "complyd-report.service"}) {
    const double e = exposure(d, kSource / "systemd" / unit);
    EXPECT_LE(e, 1.5) << unit;
    std::cout << unit << ": overall exposure " << e << '\n';
  }
}

TEST(ServiceUnits, TheServiceIsWhatTheIssueAsksFor) {
  const std::string u = read_file(kSource / "systemd" / "complyd.service");
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=/usr/bin/complyd reload --config /etc/complyd/complyd.toml --pid $MAINPID", "LimitNOFILE=", "StateDirectory=complyd",
        "ConfigurationDirectory=complyd", "User=complyd", "LoadCredential=", "ProtectSystem=strict",
        "CapabilityBoundingSet=\n", "NoNewPrivileges=yes", "SystemCallFilter=@system-service",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute=yes", "UMask=0077",
        // Exit 2 (a bad config, a refused state database) is not restarted.
        "RestartPreventExitStatus=2\n"}) {
    EXPECT_NE(u.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(u.find("ReadWritePaths"), std::string::npos) << "the state directory is the only writable path";
}

class Installed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    root_ = dir_->path() / "root";
    auto r = sh(*dir_, "DESTDIR=" + quote(root_.string()) + " cmake --install " + quote(kBuild.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    // The configured prefix (default /usr/local): find the binary.
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      if (e.path().filename() == "complyd" && e.path().parent_path().filename() == "bin") prefix_ = e.path().parent_path().parent_path();
    }
    ASSERT_FALSE(prefix_.empty()) << r.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static fs::path root_, prefix_;
};
TempDir* Installed::dir_ = nullptr;
fs::path Installed::root_, Installed::prefix_;

TEST_F(Installed, HasTheBinaryUnitsSnippetsConfigAndManPage) {
  for (const char* p : {"bin/complyd", "lib/systemd/system/complyd.service", "lib/systemd/system/complyd-report.service",
                        "lib/systemd/system/complyd-report.timer", "lib/sysusers.d/complyd.conf",
                        "lib/tmpfiles.d/complyd.conf", "share/man/man8/complyd.8.gz", "share/doc/complyd/operations.md",
                        "share/doc/complyd/configuration.md", "share/doc/complyd/copyright"}) {
    EXPECT_TRUE(fs::exists(prefix_ / p)) << p;
  }
  const auto conf = root_ / "etc/complyd/complyd.toml";
  ASSERT_TRUE(fs::exists(conf));
  struct stat st {};
  ASSERT_EQ(stat(conf.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_NE(read_file(prefix_ / "lib/sysusers.d/complyd.conf").find("u complyd "), std::string::npos);
}

TEST_F(Installed, DefaultConfigIsRefusedUntilTheInventoryIsSetThenAccepted) {
  const auto conf = root_ / "etc/complyd/complyd.toml";
  auto r = run(*dir_, {"config", "check", "--config", conf.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("[inventory]"), std::string::npos) << r.out << r.err;

  // Every commented line is valid TOML once uncommented where it matters.
  const auto filled = dir_->path() / "filled.toml";
  write_file(filled, read_file(conf) + "\n[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n");
  r = run(*dir_, {"config", "check", "--config", filled.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(Installed, ManPageNamesEveryCommand) {
  auto r = sh(*dir_, "gzip -dc " + quote((prefix_ / "share/man/man8/complyd.8.gz").string()));
  ASSERT_EQ(r.exit_code, 0);
  for (const char* cmd : {"demo", "audit", "run", "config check", "findings list", "findings show", "findings mute",
                          "findings unmute", "checks list", "version", "SIGHUP", "SIGTERM", "CREDENTIALS_DIRECTORY"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
  // Every top-level command of `complyd --help` has its own section.
  auto help = run(*dir_, {"--help"});
  const auto subs = help.out.find("Subcommands:");
  ASSERT_NE(subs, std::string::npos) << help.out;
  std::istringstream lines(help.out.substr(subs));
  std::string line;
  std::getline(lines, line);
  int commands = 0;
  std::smatch m;
  while (std::getline(lines, line) && std::regex_search(line, m, std::regex(R"(^\s+([a-z]+)\s)"))) {
    ++commands;
    EXPECT_NE(r.out.find(".SS \"" + m[1].str()), std::string::npos) << "complyd(8) lacks the command " << m[1];
  }
  EXPECT_GE(commands, 6) << help.out;
  // It renders without warnings.
  r = sh(*dir_, "(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l " +
                    quote((prefix_ / "share/man/man8/complyd.8.gz").string()) + " >/dev/null) 2>&1");
  EXPECT_EQ(r.out, "");
}

TEST_F(Installed, UnitsVerifyClean) {
  // verify needs ExecStart= to exist: copies pointing at the installed binary.
  const auto units = dir_->path() / "units";
  fs::create_directories(units);
  std::vector<std::string> paths;
  for (const char* u : {"complyd.service", "complyd-report.service", "complyd-report.timer"}) {
    std::string text = read_file(prefix_ / "lib/systemd/system" / u);
    for (std::size_t at; (at = text.find("/usr/bin/complyd ")) != std::string::npos;) {
      text.replace(at, std::string("/usr/bin/complyd").size(), (prefix_ / "bin/complyd").string());
    }
    write_file(units / u, text);
    paths.push_back(quote((units / u).string()));
  }
  std::string cmd = "MANPATH=" + quote((prefix_ / "share/man").string()) + " systemd-analyze verify";
  for (const auto& p : paths) cmd += " " + p;
  auto r = sh(*dir_, cmd);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "") << r.out;
}

}  // namespace
}  // namespace complyd::itest
