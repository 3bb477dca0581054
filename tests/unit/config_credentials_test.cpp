// SPDX-License-Identifier: Apache-2.0
// "%d/NAME" in a secret's *_file key: the systemd credential NAME, read from
// $CREDENTIALS_DIRECTORY (LoadCredential= in complyd.service), validated with
// file:line:column and registered for redaction like any *_file value.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/registry.hpp"
#include "tests/unit/config_text.hpp"

namespace complyd {
namespace {

namespace fs = std::filesystem;

const char* kSmtp = "[inventory]\npath = \"inventory.db\"\n[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b\"\n";

using testing::messages;

ConfigResult parse_with(const std::string& password_file) {
  return parse_config(std::string(kSmtp) + "password_file = \"" + password_file + "\"\n", "/etc/complyd/complyd.toml");
}

class Credentials : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_registered_secretsForTest();
    dir_ = fs::temp_directory_path() / ("complyd-creds-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "complyd_smtp-password") << "CANARY-credential-77xyz\n";
    ::setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("CREDENTIALS_DIRECTORY");
    fs::remove_all(dir_);
    clear_registered_secretsForTest();
  }
  fs::path dir_;
};

TEST_F(Credentials, PercentDNamesAFileInTheCredentialsDirectory) {
  auto r = parse_with("%d/complyd_smtp-password");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(r.config->smtp.password_file, dir_ / "complyd_smtp-password");
  EXPECT_EQ(redact("AUTH failed for CANARY-credential-77xyz"), "AUTH failed for [REDACTED]");
}

TEST_F(Credentials, AMissingCredentialIsAnErrorWithItsPosition) {
  auto r = parse_with("%d/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(messages(r)[0].rfind("/etc/complyd/complyd.toml:6:17: smtp.password_file: cannot open", 0), 0u)
      << messages(r)[0];
}

TEST_F(Credentials, WithoutCredentialsDirectoryTheMessageSaysWhy) {
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto r = parse_with("%d/complyd_smtp-password");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(messages(r)[0],
            "/etc/complyd/complyd.toml:6:17: smtp.password_file: '%d/complyd_smtp-password' names a systemd "
            "credential, but $CREDENTIALS_DIRECTORY is not set (run under complyd.service with LoadCredential=, or "
            "set it to the directory holding 'complyd_smtp-password')");
}

TEST_F(Credentials, BadNamesAndOtherPlaceholdersAreRefused) {
  for (const char* bad : {"%d/", "%d/../etc/shadow", "%d/a/b", "%d/.."}) {
    auto r = parse_with(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(messages(r)[0].find(":6:17: smtp.password_file: '"), std::string::npos) << messages(r)[0];
    EXPECT_NE(messages(r)[0].find("must be followed by a credential name without '/'"), std::string::npos)
        << messages(r)[0];
  }
  auto r = parse_with("%h/pw");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r)[0].find("the only placeholder is '%d/NAME'"), std::string::npos) << messages(r)[0];
}

TEST_F(Credentials, PlainPathsAreUnchanged) {
  auto r = parse_with((dir_ / "complyd_smtp-password").string());
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(r.config->smtp.password_file, dir_ / "complyd_smtp-password");
}

}  // namespace
}  // namespace complyd
