// SPDX-License-Identifier: Apache-2.0
// Findings in the formats other tools ingest: OCSF Compliance Finding events
// (SIEMs, AWS Security Lake) and SARIF 2.1.0 (code scanning). Pure functions
// of the findings and the check catalogue; docs/exports.md maps every field.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "model/finding.hpp"

namespace complyd {

inline constexpr const char* kOcsfVersion = "1.3.0";
inline constexpr int kOcsfClassUid = 2003;  // Compliance Finding
inline constexpr int kOcsfCategoryUid = 2;  // Findings

// One finding as an OCSF Compliance Finding event; `evaluated_at` is when the
// finding's state was established (the cycle, or a report's as-of time).
nlohmann::json ocsf_event(const StoredFinding& f, Time evaluated_at);
// One event per line (JSON Lines), in the order given.
void write_ocsf_lines(std::ostream& out, const std::vector<StoredFinding>& findings, Time evaluated_at);

// A SARIF 2.1.0 log of the findings that have a file location (leak-scan),
// with a rule per check of the catalogue that reports file locations. Other
// findings are left out: a viewer could not place them.
nlohmann::json sarif_log(const std::vector<StoredFinding>& findings);

}  // namespace complyd
