// SPDX-License-Identifier: Apache-2.0
// Wall time per phase of a long operation, for one debug log line: where a
// slow cycle spends its time, without a profiler.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace complyd {

class PhaseClock {
 public:
  // Ends the running phase under `name` and starts the next one.
  void lap(std::string_view name) {
    const auto now = std::chrono::steady_clock::now();
    const long cpu = cpu_ms();
    laps_.push_back(fmt::format("{} {} ms (cpu {} ms, rss {} MB, peak {} MB)", name,
                                std::chrono::duration_cast<std::chrono::milliseconds>(now - last_).count(),
                                cpu - last_cpu_, resident_mb(), peak_mb()));
    last_ = now;
    last_cpu_ = cpu;
  }
  std::string summary() const { return fmt::format("{}", fmt::join(laps_, ", ")); }

 private:
  // User plus system CPU time of the whole process so far: with several
  // threads, a phase's cpu over its wall time says how parallel it ran.
  static long cpu_ms() {
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    const auto ms = [](const timeval& t) { return t.tv_sec * 1000L + t.tv_usec / 1000; };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
  }

  // Resident set size now (Linux), 0 when unknown.
  static long resident_mb() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
      std::fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
  }

  // Peak resident set size so far (Linux VmHWM), 0 when unknown.
  static long peak_mb() {
    long kb = 0;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
      }
      std::fclose(f);
    }
    return kb / 1024;
  }

  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  long last_cpu_ = cpu_ms();
  std::vector<std::string> laps_;
};

}  // namespace complyd
