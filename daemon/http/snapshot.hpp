// SPDX-License-Identifier: Apache-2.0
// What the HTTP handlers read: an immutable snapshot built on the worker
// thread (which owns the state database) after each cycle and swapped in
// atomically. Handlers never touch the database.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/store/state_store.hpp"

namespace complyd::http {

// A gauge or counter from another part of the daemon (the e-mail outbox:
// pending, dead, sent). Emitted as given; absent when its source is absent.
struct ExtraMetric {
  std::string name, help, type;  // type: gauge | counter
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// Cycle durations measured by this process with a monotonic clock (the
// stored cycle times are whole seconds: a 300 ms cycle would read 0).
// Prometheus histogram buckets, upper bounds in seconds.
struct CycleDurations {
  static constexpr std::array<double, 12> kBuckets{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
  std::array<std::uint64_t, kBuckets.size()> in_bucket{};  // per bucket, not cumulative
  std::uint64_t count = 0;
  double sum = 0;
  std::optional<double> last;  // none until this process ran a cycle

  void observe(double seconds) {
    std::size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
    if (i < kBuckets.size()) ++in_bucket[i];  // above the last bound: only in +Inf (count)
    ++count;
    sum += seconds;
    last = seconds;
  }
};

struct Snapshot {
  Time built_at{};
  std::optional<CycleRecord> last_cycle;
  std::optional<Time> last_success_at;  // last cycle with status ok
  std::int64_t cycles_total = 0;
  // Open and muted findings by (severity, check).
  std::map<std::pair<std::string, std::string>, int> open, muted;
  std::vector<ExtraMetric> extra;
  CycleDurations durations;
  // Pre-rendered on the worker: serving never does heavy work.
  std::string findings_json;
  std::map<std::string, std::string> reports;  // format -> body (report as of the snapshot)
  std::string report_unavailable;               // why `reports` is empty, for a 503
};

// Reads the store; call on the thread that owns it. Throws on database errors.
// The report is pre-rendered only for up to `report_max_customers` customers;
// `default_owner`: [report] default_owner.
std::shared_ptr<const Snapshot> build_snapshot(StateStore& store, Time now, std::int64_t report_max_customers,
                                               const std::string& default_owner = {},
                                               const CycleDurations& durations = {});

}  // namespace complyd::http
