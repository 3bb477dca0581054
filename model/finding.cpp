// SPDX-License-Identifier: Apache-2.0
#include "model/finding.hpp"

namespace complyd {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "unknown";
}

std::optional<Severity> severity_from(std::string_view s) {
  for (auto v : {Severity::info, Severity::low, Severity::medium, Severity::high, Severity::critical}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

const char* to_string(FindingKind k) { return k == FindingKind::incident ? "incident" : "state"; }

const char* to_string(FindingStatus s) {
  switch (s) {
    case FindingStatus::open: return "open";
    case FindingStatus::muted: return "muted";
    case FindingStatus::resolved: return "resolved";
  }
  return "unknown";
}

std::optional<FindingStatus> finding_status_from(std::string_view s) {
  for (auto v : {FindingStatus::open, FindingStatus::muted, FindingStatus::resolved}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

}  // namespace complyd
