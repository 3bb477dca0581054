// SPDX-License-Identifier: Apache-2.0
// A FIFO or a device where complyd expects a file is a clear error, never a
// hang or an unbounded read (issue 19 §4). `timeout` turns a hang into a failure.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "harness.hpp"

namespace complyd::itest {
namespace {

class BoundedInputs : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow}).exit_code, 0); }
  fs::path cfg() const { return dir_ / "complyd.toml"; }
  void append(const std::string& text) { write_file(cfg(), read_file(cfg()) + text); }
  TempDir dir_;
};

TEST_F(BoundedInputs, AFifoAsTheConfigurationIsAConfigError) {
  const auto fifo = dir_ / "fifo.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = run(dir_, {"config", "check", "--config", fifo.string()}, "timeout 60");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, fifo.string() + ":1:1: '" + fifo.string() + "' is a FIFO, not a regular file\n");
}

TEST_F(BoundedInputs, DevZeroAsTheConfigurationOrASecretFileIsAConfigError) {
  auto r = run(dir_, {"config", "check", "--config", "/dev/zero"}, "timeout 60");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/dev/zero:1:1: '/dev/zero' is a character device"), std::string::npos) << r.out;

  append("\n[http]\nlisten = \"127.0.0.1:0\"\nconsole = true\n"
         "[[http.users]]\nname = \"alice\"\nrole = \"viewer\"\ntoken_file = \"/dev/zero\"\n");
  r = run(dir_, {"config", "check", "--config", cfg().string()}, "timeout 60");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("http.users[1].token_file: '/dev/zero' is a character device, not a regular file"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.rfind(cfg().string() + ":", 0), 0u) << r.out;  // file:line:column
}

TEST_F(BoundedInputs, AnOversizedMutelistIsAConfigError) {
  write_file(dir_ / "mutes.toml", std::string(2 << 20, '#'));
  append("\n[mutelist]\npath = \"mutes.toml\"\n");
  auto r = run(dir_, {"config", "check", "--config", cfg().string()}, "timeout 60");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("mutelist.path: '" + (dir_ / "mutes.toml").string() + "' is larger than the limit of 1 MiB"),
            std::string::npos)
      << r.out;
}

// The inventory is read by SQLite, which would wait on a FIFO: the source
// fails instead, the audit reports it and still finishes with exit 3.
TEST_F(BoundedInputs, AFifoAsTheInventoryIsASourceFindingNotAHang) {
  fs::rename(dir_ / "inventory.db", dir_ / "inventory.real");
  ASSERT_EQ(::mkfifo((dir_ / "inventory.db").c_str(), 0600), 0);
  auto r = run(dir_,
               {"audit", "--state", sim_state(dir_), "--config", cfg().string(), "--format", "json", "--now", kDemoNow},
               "timeout 60");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == "source-unavailable" && f["subject"] == "source:inventory") {
      found = f["detail"].get<std::string>().find("is a FIFO, not a regular file") != std::string::npos;
    }
  }
  EXPECT_TRUE(found) << r.out;
}

}  // namespace
}  // namespace complyd::itest
