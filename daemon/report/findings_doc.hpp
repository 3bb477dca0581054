// SPDX-License-Identifier: Apache-2.0
// The JSON findings document (docs/findings-format.md) and the text summary.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon/engine/lifecycle.hpp"
#include "daemon/store/state_store.hpp"

namespace complyd {

inline constexpr int kFindingsSchemaVersion = 1;

nlohmann::json finding_to_json(const StoredFinding& f);
nlohmann::json findings_document(const std::vector<StoredFinding>& findings, const std::optional<CycleRecord>& cycle,
                                 Time generated_at);
// The same document, streamed one finding per line: a large audit never
// holds the whole JSON tree in memory.
void write_findings_document(std::ostream& out, const std::vector<StoredFinding>& findings,
                             const std::optional<CycleRecord>& cycle, Time generated_at);
std::string findings_text(const std::vector<StoredFinding>& findings);
// Muted findings with who is behind each mute: a person, or a mutelist rule
// and its owner (looked up in `mutelist`, the rules as configured now).
std::string muted_findings_text(const std::vector<StoredFinding>& findings, const Mutelist& mutelist);
std::string cycle_summary_text(const CycleRecord& cycle, const std::vector<StoredFinding>& current,
                               Severity fail_on);

}  // namespace complyd
