// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace complyd {

namespace {

// Boot time (unix seconds), for the process start time: /proc/<pid>/stat
// counts it in clock ticks since boot.
std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // Field 2 (comm) may hold spaces and parentheses: fields resume after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  // From field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
  std::string f;
  double utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
  for (int n = 3; n <= 24 && fields >> f; ++n) {
    if (n == 14) utime = std::stod(f);
    else if (n == 15) stime = std::stod(f);
    else if (n == 22) starttime = std::stod(f);
    else if (n == 23) vsize = std::stod(f);
    else if (n == 24) rss = std::stod(f);
  }
  if (!fields) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto boot = boot_time();
  if (ticks <= 0 || !boot) return std::nullopt;

  ProcessStats s;
  s.cpu_seconds = (utime + stime) / ticks;
  s.resident_bytes = static_cast<std::int64_t>(rss) * sysconf(_SC_PAGESIZE);
  s.virtual_bytes = static_cast<std::int64_t>(vsize);
  s.start_time_seconds = *boot + starttime / ticks;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++s.open_fds;
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    s.max_fds = static_cast<std::int64_t>(lim.rlim_cur);
  }
  return s;
}

}  // namespace complyd
