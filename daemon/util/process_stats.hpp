// SPDX-License-Identifier: Apache-2.0
// The process_* metrics Prometheus users expect from every exporter (the
// names and units of client_golang's process collector), read from /proc.
#pragma once

#include <cstdint>
#include <optional>

namespace complyd {

struct ProcessStats {
  double cpu_seconds = 0;               // user + system
  std::int64_t resident_bytes = 0;
  std::int64_t virtual_bytes = 0;
  double start_time_seconds = 0;        // unix time
  std::int64_t open_fds = 0;
  std::optional<std::int64_t> max_fds;  // RLIMIT_NOFILE soft limit; none when unlimited
};

// Of the calling process. Nullopt when /proc cannot be read (then the
// metrics are left out, never reported as zeros).
std::optional<ProcessStats> read_process_stats();

}  // namespace complyd
