// Integration harness: temp directories and the real complyd binary.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace complyd::itest {

namespace fs = std::filesystem;

inline const char* kDemoNow = "2026-11-22T12:00:00Z";

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

}  // namespace complyd::itest
