// SPDX-License-Identifier: Apache-2.0
// The [files] table (leak-scan's files source) and how leak-scan's
// parameters reach the files source.
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/params.hpp"
#include "daemon/config/config.hpp"
#include "daemon/sources/source.hpp"
#include "daemon/sources/registry.hpp"
#include "tests/unit/config_text.hpp"

namespace complyd {
namespace {

using testing::parse_toml;

using testing::messages;

bool has(const std::vector<std::string>& msgs, const std::string& part) {
  return std::any_of(msgs.begin(), msgs.end(), [&](const std::string& m) { return m.find(part) != std::string::npos; });
}

const std::string kInventory = "[inventory]\npath = \"inventory.db\"\n";

TEST(FilesConfig, AbsentMeansNoFileScanning) {
  auto r = parse_toml(kInventory);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.config->files.has_value());
  auto sources = make_sources(*r.config);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0]->name(), "inventory");
}

TEST(FilesConfig, TypedAndResolvedAgainstTheConfigFile) {
  auto r = parse_toml(kInventory + R"(
[files]
paths = ["/var/log/sync-workers", "app"]
exclude = ["*.gz", "vendor/*"]
log_globs = ["*.out"]
max_bytes_per_cycle = 1048576
max_decompressed_bytes = 8388608
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  const auto& f = *r.config->files;
  ASSERT_EQ(f.paths.size(), 2u);
  EXPECT_EQ(f.paths[0], "/var/log/sync-workers");
  EXPECT_EQ(f.paths[1], "/etc/complyd/app");
  EXPECT_EQ(f.exclude, (std::vector<std::string>{"*.gz", "vendor/*"}));
  EXPECT_EQ(f.log_globs, (std::vector<std::string>{"*.out"}));
  EXPECT_EQ(f.max_bytes_per_cycle, 1048576);
  EXPECT_EQ(f.max_decompressed_bytes, 8388608);
}

TEST(FilesConfig, DefaultsAndSources) {
  auto r = parse_toml(kInventory + "[files]\npaths = [\"/srv/logs\"]\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(r.config->files->max_bytes_per_cycle, std::int64_t{64} << 20);
  EXPECT_EQ(r.config->files->max_decompressed_bytes, std::int64_t{1} << 30);
  auto sources = make_sources(*r.config);
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[1]->name(), "files");
  EXPECT_EQ(sources[1]->provides(), std::vector<FactKind>{FactKind::file_scans});
  // The inventory no longer claims every kind: a failed files source must
  // not make inventory checks incomplete, and the other way round.
  const auto inv = sources[0]->provides();
  EXPECT_EQ(std::find(inv.begin(), inv.end(), FactKind::file_scans), inv.end());
}

TEST(FilesConfig, DisabledLeakScanReadsNoFiles) {
  auto r = parse_toml(kInventory + "[files]\npaths = [\"/srv/logs\"]\n[checks.leak-scan]\nenabled = false\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(make_sources(*r.config).size(), 1u);
}

TEST(FilesConfig, LeakScanThresholdsAreCheckParameters) {
  auto r = parse_toml(kInventory + R"(
[files]
paths = ["/srv/logs"]
[checks.leak-scan]
min_entropy_bits_per_char = 4.0
min_value_length = 24
ignore_email_domains = ["partner.example.com"]
max_findings_per_file = 10
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  const auto& p = leak_scan_params(r.config->checks);
  EXPECT_DOUBLE_EQ(p.min_entropy_bits_per_char, 4.0);
  EXPECT_EQ(p.min_value_length, 24);
  EXPECT_EQ(p.ignore_email_domains, std::vector<std::string>{"partner.example.com"});
  EXPECT_EQ(p.max_findings_per_file, 10);
}

TEST(FilesConfig, ProblemsAreReportedWithPositions) {
  auto r = parse_toml(kInventory + R"([files]
paths = []
exclude = ["", 3]
max_bytes_per_cycle = 10
colour = "red"
[checks.leak-scan]
min_entropy_bits_per_char = 9.5
)");
  EXPECT_FALSE(r.ok());
  const auto m = messages(r);
  EXPECT_TRUE(has(m, "/etc/complyd/complyd.toml:4:9: files.paths must list at least one file or directory"))
      << ::testing::PrintToString(m);
  EXPECT_TRUE(has(m, ":5:16: files.exclude: every element must be a string")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(m, ":6:23: files.max_bytes_per_cycle: 10 is out of range")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(m, ":7:1: unknown key 'files.colour' in [files]")) << ::testing::PrintToString(m);
  EXPECT_TRUE(has(m, ":9:29: checks.leak-scan.min_entropy_bits_per_char: 9.5 is out of range"))
      << ::testing::PrintToString(m);
}

TEST(FilesConfig, PathsAreRequired) {
  auto r = parse_toml(kInventory + "[files]\nexclude = [\"*.gz\"]\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(messages(r), "files.paths is required")) << ::testing::PrintToString(messages(r));
}

TEST(FilesConfig, InlineSecretsAreRefusedWithoutEcho) {
  auto r = parse_toml(kInventory + "[files]\npaths = [\"/srv\"]\napi_token = \"CANARYq8Zt3LmX9vR2pK7wY4n\"\n");
  EXPECT_FALSE(r.ok());
  for (const auto& m : messages(r)) EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;
}

}  // namespace
}  // namespace complyd
