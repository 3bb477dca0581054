// SPDX-License-Identifier: Apache-2.0
// Every file complyd reads is a regular file of bounded size (issue 19 §4).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>

#include "daemon/util/bounded_file.hpp"
#include "daemon/util/sqlite.hpp"
#include "tests/unit/temp_dir.hpp"

namespace complyd {
namespace {

using testing::TempDir;

void write_bytes(const std::filesystem::path& p, std::size_t n, char c = 'x') {
  std::ofstream(p, std::ios::binary) << std::string(n, c);
}

TEST(BoundedFile, ReadsARegularFileWithinItsLimit) {
  TempDir d;
  write_bytes(d.path / "t", 100);
  std::string error;
  auto text = read_bounded_file(d.path / "t", 100, error);
  ASSERT_TRUE(text) << error;
  EXPECT_EQ(text->size(), 100u);
}

TEST(BoundedFile, RefusesAFileOverItsLimitNamingTheLimit) {
  TempDir d;
  write_bytes(d.path / "t", 64 * 1024 + 1);
  std::string error;
  EXPECT_FALSE(read_bounded_file(d.path / "t", kMaxSecretFileBytes, error));
  EXPECT_NE(error.find("larger than the limit of 64 KiB"), std::string::npos) << error;
}

TEST(BoundedFile, RefusesDevZeroInsteadOfReadingWithoutEnd) {
  std::string error;
  EXPECT_FALSE(read_bounded_file("/dev/zero", kMaxConfigBytes, error));
  EXPECT_EQ(error, "'/dev/zero' is a character device, not a regular file");
}

TEST(BoundedFile, RefusesADirectory) {
  TempDir d;
  std::string error;
  EXPECT_FALSE(read_bounded_file(d.path, kMaxConfigBytes, error));
  EXPECT_NE(error.find("is a directory, not a regular file"), std::string::npos) << error;
}

// Without O_NONBLOCK, open(2) on a FIFO waits for a writer forever. If the
// read blocks, the test opens a writer itself to unblock it, then fails.
TEST(BoundedFile, RefusesAFifoWithoutWaitingForAWriter) {
  TempDir d;
  const auto fifo = d.path / "inventory.db";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto reading = std::async(std::launch::async, [&] {
    std::string error;
    const bool read = read_bounded_file(fifo, kMaxConfigBytes, error).has_value();
    return std::make_pair(read, error);
  });
  if (reading.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) ::close(w);
    reading.wait();
    FAIL() << "reading a FIFO blocked";
  }
  auto [read, error] = reading.get();
  EXPECT_FALSE(read);
  EXPECT_NE(error.find("is a FIFO, not a regular file"), std::string::npos) << error;
  EXPECT_NE(not_a_regular_file(fifo).find("is a FIFO"), std::string::npos);
}

TEST(BoundedFile, SqliteRefusesAFifoAsADatabase) {
  TempDir d;
  const auto fifo = d.path / "state.db";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(sql::Db(fifo, sql::OpenMode::read_only, 1000), sql::SqliteError);
  EXPECT_TRUE(not_a_regular_file(d.path / "absent.db").empty());  // a first start is fine
}

}  // namespace
}  // namespace complyd
