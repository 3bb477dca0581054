// Finding lifecycle, as a pure function: given what is stored, what this
// cycle observed and which checks ran on complete facts, compute the new
// state and the transitions to record. No I/O.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "checks/check.hpp"

namespace complyd {

enum class FindingStatus : std::uint8_t { open, muted, resolved };
const char* to_string(FindingStatus s);
std::optional<FindingStatus> finding_status_from(std::string_view s);

struct StoredFinding {
  std::string id;
  std::string check_id;
  Severity severity = Severity::medium;
  FindingStatus status = FindingStatus::open;
  std::string customer_id;
  std::string subject;
  std::string title;
  std::string detail;
  std::string remediation;
  std::string evidence_json = "{}";
  Time first_seen{};
  Time last_seen{};
  std::optional<Time> resolved_at;
  std::optional<std::string> mute_reason;
  std::optional<std::string> muted_by;
  std::optional<Time> muted_until;
};

struct Transition {
  std::string finding_id;
  std::string event;  // opened, resolved, reopened, mute_expired, escalated, deescalated
  std::optional<FindingStatus> from;
  FindingStatus to = FindingStatus::open;
  Severity severity = Severity::medium;
  std::string reason;
};

struct Observed {
  std::string id;
  Finding finding;
  std::string evidence_json;
};

struct LifecycleResult {
  std::vector<StoredFinding> changed;  // rows to upsert (new state)
  // Per row of `changed`: 1 when it equals the stored row but for last_seen
  // (seen again, nothing else new), so the store may write last_seen alone.
  std::vector<std::uint8_t> only_last_seen;
  std::vector<Transition> transitions;
  int opened = 0, reopened = 0, resolved = 0, mute_expired = 0;
};

// Stable finding id from check id, customer and subject.
std::string finding_id(const std::string& check_id, const std::string& customer_id, const std::string& subject);

// `complete_checks`: ids of checks that ran on complete facts (or are
// disabled): their stored findings not observed now are resolved. Findings
// of other checks keep their state.
LifecycleResult apply_lifecycle(const std::unordered_map<std::string, StoredFinding>& stored,
                                std::vector<Observed> observed, const std::set<std::string>& complete_checks,
                                const std::set<std::string>& disabled_checks, Time now);

}  // namespace complyd
