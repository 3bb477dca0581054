// SPDX-License-Identifier: Apache-2.0
// What complyd records about each cycle and each event in a finding's
// history. Plain data; the store keeps it, the outputs read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/facts.hpp"
#include "model/time.hpp"

namespace complyd {

struct CycleRecord {
  std::int64_t id = 0;
  Time started_at{};
  std::optional<Time> finished_at;
  std::string status;  // ok | partial | failed
  std::vector<SourceStatus> sources;
  int checks_run = 0, checks_skipped = 0;
  int opened = 0, reopened = 0, resolved = 0, open_total = 0;
  std::string error;
};

struct FindingEventRecord {
  std::string finding_id;
  std::optional<std::int64_t> cycle_id;
  Time at{};
  std::string event;
  std::string from_status;
  std::string to_status;
  std::string severity;
  std::string actor;
  std::string reason;
};

}  // namespace complyd
