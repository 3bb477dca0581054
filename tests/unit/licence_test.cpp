// SPDX-License-Identifier: Apache-2.0
// complyd is Apache-2.0: every source file says so in its first lines, in
// the SPDX form scanners and legal reviews read.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace complyd {
namespace {

namespace fs = std::filesystem;

bool licensed_kind(const fs::path& p) {
  static const std::vector<std::string> exts{".cpp", ".hpp", ".sql", ".cmake", ".py", ".service", ".timer",
                                             ".sysusers", ".tmpfiles", ".toml"};
  const auto ext = p.extension().string();
  return p.filename() == "CMakeLists.txt" || std::find(exts.begin(), exts.end(), ext) != exts.end();
}

TEST(Licence, EverySourceFileCarriesTheSpdxIdentifier) {
  const fs::path root = COMPLYD_SOURCE_DIR;
  std::vector<fs::path> files{root / "CMakeLists.txt", root / "dev", root / ".ci" / "run"};
  for (const char* dir : {"daemon", "checks", "model", "tests", "bench", "schema", "systemd", "cmake", "packaging"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (e.is_regular_file() && licensed_kind(e.path())) files.push_back(e.path());
    }
  }
  ASSERT_GT(files.size(), 200u);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string head, line;
    for (int i = 0; i < 3 && std::getline(in, line); ++i) head += line + "\n";
    EXPECT_NE(head.find("SPDX-License-Identifier: Apache-2.0"), std::string::npos) << f.lexically_relative(root);
  }
  std::ifstream licence(root / "LICENSE");
  std::string head, line;
  for (int i = 0; i < 5 && std::getline(licence, line); ++i) head += line + "\n";
  EXPECT_NE(head.find("Apache License"), std::string::npos) << head;
  EXPECT_NE(head.find("Version 2.0"), std::string::npos) << head;
}

}  // namespace
}  // namespace complyd
