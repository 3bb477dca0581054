// SPDX-License-Identifier: Apache-2.0
// Integration harness: temp directories and the real complyd binary.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/time.hpp"

namespace complyd::itest {

namespace fs = std::filesystem;

inline const char* kDemoNow = "2026-11-22T12:00:00Z";
inline const Time kNow = *parse_time(kDemoNow);

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "complyd-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (std::getenv("COMPLYD_KEEP_TEST_DIRS") == nullptr) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& p) const { return path_ / p; }

 private:
  fs::path path_;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''"; else out += c;
  }
  return out + "'";
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs complyd with the arguments; stdout and stderr are captured apart.
inline Result run(const TempDir& dir, const std::vector<std::string>& args, const std::string& env = "") {
  std::string cmd = env.empty() ? "" : env + " ";
  cmd += quote(COMPLYD_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  const auto out = dir.path() / ".stdout", err = dir.path() / ".stderr";
  cmd += " >" + quote(out.string()) + " 2>" + quote(err.string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// The state database of the runs at a chosen time: `audit --now` writes to a
// database of its own (--state), never to the configuration's state_db.
inline const char* kSimState = "simulated.db";
inline std::string sim_state(const TempDir& dir) { return (dir / kSimState).string(); }

// `complyd audit --format json --now NOW --state DIR/simulated.db` on
// DIR/complyd.toml: the findings document, the exit code checked; `raw`
// receives the process's output.
inline nlohmann::json audit_json(const TempDir& dir, const std::string& now, int expected_exit,
                                 Result* raw = nullptr) {
  auto r = run(dir, {"audit", "--state", sim_state(dir), "--config", (dir / "complyd.toml").string(), "--format",
                     "json", "--now", now});
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  if (raw != nullptr) *raw = r;
  return nlohmann::json::parse(r.out);
}

// "customer subject" of each finding of `check` in a findings document.
inline std::set<std::string> finding_keys(const nlohmann::json& doc, const std::string& check) {
  std::set<std::string> out;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == check) out.insert(f["customer_id"].get<std::string>() + " " + f["subject"].get<std::string>());
  }
  return out;
}

}  // namespace complyd::itest
