// SPDX-License-Identifier: Apache-2.0
// `complyd report` streams: on a 5,000-customer demo every format peaks
// below the audit cycle's own memory on the same population (the report
// before streaming took 2-4 times the cycle's), and stays complete.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace complyd::itest {
namespace {

struct Measured {
  int exit_code = -1;
  long max_rss_kb = 0;
};

// The real binary as a child of its own, so that its peak RSS is its own
// (getrusage of the children would give the largest of all so far).
Measured measured(const std::vector<std::string>& args, const fs::path& out) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (std::freopen(out.c_str(), "w", stdout) == nullptr || std::freopen("/dev/null", "w", stderr) == nullptr) _exit(126);
    std::vector<char*> argv{const_cast<char*>(COMPLYD_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(COMPLYD_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  Measured m;
  if (wait4(pid, &status, 0, &ru) != pid) return m;
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.max_rss_kb = ru.ru_maxrss;
  return m;
}

TEST(ReportScale, EveryFormatPeaksBelowTheCyclesMemoryAndJsonIsComplete) {
  TempDir d;
  constexpr int kCustomers = 5000;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--customers", std::to_string(kCustomers), "--now", kDemoNow}).exit_code, 0);
  const std::string config = (d / "complyd.toml").string();
  long cycle_kb = 0;
  for (const char* now : {kDemoNow, "2026-11-22T13:00:00Z"}) {
    const auto a = measured({"audit", "--config", config, "--state", sim_state(d), "--now", now, "--no-notify"},
                            d / "audit.txt");
    ASSERT_EQ(a.exit_code, 3);
    cycle_kb = std::max(cycle_kb, a.max_rss_kb);
  }
  for (const char* format : {"json", "md", "html", "csv", "ocsf", "sarif"}) {
    const auto out = d / (std::string("report.") + format);
    const auto r = measured({"report", "--config", config, "--state", sim_state(d), "--as-of", "2026-11-22T13:00:00Z",
                             "--format", format},
                            out);
    ASSERT_EQ(r.exit_code, 0) << format;
    EXPECT_GT(fs::file_size(out), 0u) << format;
    // Memory is not load-dependent: the same population, the same binary.
    EXPECT_LT(r.max_rss_kb, cycle_kb) << format << ": the report peaked at " << r.max_rss_kb
                                      << " KB, the cycle at " << cycle_kb << " KB";
  }
  const auto text = read_file(d / "report.json");
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["customers"].size(), static_cast<std::size_t>(kCustomers));
  EXPECT_EQ(doc.dump(2) + "\n", text) << "the streamed JSON is what one tree's dump(2) writes";
  const auto html = read_file(d / "report.html");
  EXPECT_NE(html.find("id=\"customers-summarised\""), std::string::npos);
  const auto md = read_file(d / "report.md");
  EXPECT_NE(md.find("\n### cust_5000 "), std::string::npos) << "Markdown lists every customer";
}

}  // namespace
}  // namespace complyd::itest
