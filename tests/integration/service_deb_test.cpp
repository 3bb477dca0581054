// SPDX-License-Identifier: Apache-2.0
// The Debian package: `cpack -G DEB` from the build tree into a scratch
// directory, then its control data (dependencies from dpkg-shlibdeps,
// conffiles, maintainer scripts), its contents extracted with `dpkg-deb -x`
// (binary, units, sysusers/tmpfiles, default config mode 0640, man pages, bash
// completion), and lintian without errors. Its own executable and ctest label (`package`): it
// takes a minute.
#include <gtest/gtest.h>

#include <iostream>
#include <regex>

#include "harness.hpp"

namespace complyd::itest {
namespace {

const fs::path kBuild = fs::path(COMPLYD_BINARY).parent_path();

Result sh(const TempDir& dir, const std::string& cmd) {
  const auto out = dir / ".sh-out";
  const int status = std::system((cmd + " >" + quote(out.string()) + " 2>&1 </dev/null").c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  return r;
}

class Deb : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    auto r = sh(*dir_, "cpack --config " + quote((kBuild / "CPackConfig.cmake").string()) + " -G DEB -B " +
                           quote((dir_->path() / "out").string()));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    for (const auto& e : fs::directory_iterator(dir_->path() / "out")) {
      if (e.path().extension() == ".deb") deb_ = e.path();
    }
    ASSERT_FALSE(deb_.empty()) << r.out;
    root_ = dir_->path() / "root";
    r = sh(*dir_, "dpkg-deb -x " + quote(deb_.string()) + " " + quote(root_.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string field(const std::string& name) {
    return sh(*dir_, "dpkg-deb -f " + quote(deb_.string()) + " " + name).out;
  }
  static std::string control_file(const std::string& name) {
    return sh(*dir_, "dpkg-deb --info " + quote(deb_.string()) + " " + name).out;
  }
  static TempDir* dir_;
  static fs::path deb_, root_;
};
TempDir* Deb::dir_ = nullptr;
fs::path Deb::deb_, Deb::root_;

TEST_F(Deb, DependsOnTheSharedLibrariesItLinks) {
  const std::string depends = field("Depends");
  for (const char* lib : {"libc6", "libsqlite3-0", "libcurl4", "libsystemd0", "libboost-log1.74.0", "libre2-9",
                          "systemd"}) {
    EXPECT_NE(depends.find(lib), std::string::npos) << lib << " in: " << depends;
  }
  EXPECT_EQ(field("Package"), "complyd\n");
  EXPECT_EQ(field("Section"), "admin\n");
}

TEST_F(Deb, ShipsTheBinaryUnitsSnippetsConfigAndManPage) {
  for (const char* p : {"usr/bin/complyd", "usr/lib/systemd/system/complyd.service",
                        "usr/lib/systemd/system/complyd-report.service", "usr/lib/systemd/system/complyd-report.timer",
                        "usr/lib/sysusers.d/complyd.conf", "usr/lib/tmpfiles.d/complyd.conf",
                        "usr/share/man/man8/complyd.8.gz", "usr/share/man/man5/complyd.toml.5.gz",
                        "usr/share/bash-completion/completions/complyd", "usr/share/doc/complyd/copyright",
                        "usr/share/doc/complyd/changelog.gz", "usr/share/doc/complyd/operations.md"}) {
    EXPECT_TRUE(fs::exists(root_ / p)) << p;
  }
  // Modes as packaged (dpkg-deb -x keeps them): config 0640, binary 0755.
  const auto listing = sh(*dir_, "dpkg-deb -c " + quote(deb_.string())).out;
  EXPECT_TRUE(std::regex_search(listing, std::regex(R"(-rw-r----- root/root .* \./etc/complyd/complyd\.toml)")))
      << listing;
  EXPECT_TRUE(std::regex_search(listing, std::regex(R"(-rwxr-xr-x root/root .* \./usr/bin/complyd)"))) << listing;
  EXPECT_EQ(control_file("conffiles"), "/etc/complyd/complyd.toml\n");
  // The packaged binary runs.
  auto r = sh(*dir_, quote((root_ / "usr/bin/complyd").string()) + " version");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("complyd "), std::string::npos);
}

// complyd.toml(5) is generated from docs/configuration.md: every table and
// every key documented there must be in the page as man renders it.
TEST_F(Deb, ConfigManPageDocumentsEveryTableAndKeyOfConfigurationMd) {
  const auto page = root_ / "usr/share/man/man5/complyd.toml.5.gz";
  // Wide enough that no key is broken across lines; groff's and tbl's
  // complaints (about "<standard input>") go to the text as well.
  // groff itself (what man runs), on stdin, plain text: man under a test
  // harness (root, no terminal) printed nothing.
  const auto r = sh(*dir_, "{ zcat " + quote(page.string()) +
                               " | LC_ALL=C.UTF-8 groff -k -man -ww -Tutf8 -rLL=250n -P-cbou; } 2>&1");
  const std::string& text = r.out;
  EXPECT_NE(text.find("complyd.toml - configuration file of complyd(8)"), std::string::npos) << text;
  EXPECT_EQ(text.find("<standard input>"), std::string::npos) << text;

  std::istringstream md(read_file(fs::path(COMPLYD_SOURCE_DIR) / "docs/configuration.md"));
  const std::regex code(R"(`([^`]+)`)");
  int tables = 0, keys = 0;
  for (std::string line; std::getline(md, line);) {
    std::string names;  // the backticked names of a table heading or of a row's first cell
    if (line.starts_with("### ")) {
      names = line.substr(4);
      ++tables;
    } else if (line.starts_with("| `")) {
      names = line.substr(1, line.find('|', 1) - 1);
      ++keys;
    } else {
      continue;
    }
    for (std::sregex_iterator m(names.begin(), names.end(), code), end; m != end; ++m) {
      EXPECT_NE(text.find((*m)[1].str()), std::string::npos) << (*m)[1].str() << " from: " << line;
    }
  }
  EXPECT_GT(tables, 10);
  EXPECT_GT(keys, 50);
}

// The shipped completion is what the packaged binary prints (built from its CLI).
TEST_F(Deb, BashCompletionIsTheBinarysOwn) {
  auto r = sh(*dir_, quote((root_ / "usr/bin/complyd").string()) + " completion bash");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_file(root_ / "usr/share/bash-completion/completions/complyd"), r.out);
  EXPECT_NE(r.out.find("complete -o default -F _complyd complyd"), std::string::npos) << r.out;
}

TEST_F(Deb, MaintainerScriptsCreateTheUserButNeverStartTheService) {
  const std::string postinst = control_file("postinst");
  EXPECT_NE(postinst.find("systemd-sysusers complyd.conf"), std::string::npos) << postinst;
  EXPECT_NE(postinst.find("systemd-tmpfiles --create complyd.conf"), std::string::npos) << postinst;
  EXPECT_NE(postinst.find("daemon-reload"), std::string::npos) << postinst;
  EXPECT_NE(postinst.find("chgrp complyd /etc/complyd/complyd.toml"), std::string::npos) << postinst;
  for (const char* never : {"systemctl start", "systemctl enable", "systemctl restart", "deb-systemd-invoke start",
                            "deb-systemd-helper enable"}) {
    EXPECT_EQ(postinst.find(never), std::string::npos) << never;
  }
  EXPECT_NE(control_file("prerm").find("stop"), std::string::npos);
  EXPECT_NE(control_file("postrm").find("purge"), std::string::npos);
}

// Apache-2.0 in the machine-readable format (DEP-5), so lintian and a legal
// review can read the licence without opening the sources.
TEST_F(Deb, CopyrightDeclaresApache20InTheMachineReadableFormat) {
  const auto copyright = read_file(root_ / "usr/share/doc/complyd/copyright");
  EXPECT_TRUE(copyright.starts_with("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"))
      << copyright;
  EXPECT_NE(copyright.find("\nFiles: *\n"), std::string::npos) << copyright;
  EXPECT_NE(copyright.find("\nLicense: Apache-2.0\n"), std::string::npos) << copyright;
  EXPECT_NE(copyright.find("/usr/share/common-licenses/Apache-2.0"), std::string::npos) << copyright;
  EXPECT_EQ(copyright.find("all-rights-reserved"), std::string::npos) << copyright;
}

TEST_F(Deb, LintianReportsNoErrors) {
  auto r = sh(*dir_, "lintian --tag-display-limit 0 " + quote(deb_.string()));
  std::cout << r.out;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_FALSE(line.starts_with("E: ")) << line;
    // Any copyright tag (unknown licence, malformed DEP-5) fails: the licence must read cleanly.
    EXPECT_EQ(line.find("copyright"), std::string::npos) << line;
  }
  EXPECT_NE(r.exit_code, 127) << "lintian is not installed (./dev deps installs it)";
}

}  // namespace
}  // namespace complyd::itest
