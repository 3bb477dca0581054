// SPDX-License-Identifier: Apache-2.0
// What complyd records about a violation: a check's finding, its stored
// state and lifecycle, and the transitions between states. Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/time.hpp"

namespace complyd {

enum class Severity : std::uint8_t { info = 0, low = 1, medium = 2, high = 3, critical = 4 };
inline constexpr int kSeverityCount = 5;
const char* to_string(Severity s);
std::optional<Severity> severity_from(std::string_view s);

// One violation as a check reports it. The engine derives the stable id from
// check id + customer + subject and manages the lifecycle.
struct Finding {
  std::string check_id;
  Severity severity = Severity::medium;
  std::string customer_id;  // empty for integration-wide findings
  std::string subject;      // the exact thing: storage path, subscription id, data set, file:line
  std::string title;        // short, stable across cycles
  std::string detail;       // one sentence a security lead understands
  std::string remediation;
  std::vector<std::pair<std::string, std::string>> evidence;  // counts, ages; never secret values
};

// What a finding records. A state (a credential is too old) resolves by
// itself once fixed; an incident (an unsigned request was processed) happened
// and stays open until a person acknowledges it (`findings ack`).
enum class FindingKind : std::uint8_t { state, incident };
const char* to_string(FindingKind k);

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
  std::string event;  // opened, resolved, reopened, mute_expired, escalated, deescalated (acknowledged, muted, unmuted: by an operator or a mutelist rule)
  std::optional<FindingStatus> from;
  FindingStatus to = FindingStatus::open;
  Severity severity = Severity::medium;
  std::string reason;
  std::string actor;  // who caused it: empty for complyd, "mutelist:<rule id>" for a mutelist rule
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

}  // namespace complyd
