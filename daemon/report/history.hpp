// What a cycle records for `complyd report --as-of` (schema/state/0004):
// a pure summary of the facts, computed while the cycle still holds them.
// Metadata, ages and counts only; never a secret value or fingerprint.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "checks/check.hpp"

namespace complyd {

struct Config;

struct CustomerStateRow {
  std::string customer_id;
  std::string state_json;  // canonical JSON (sorted keys): equal state, equal text
};

struct SignatureRateRow {
  std::string customer_id;
  std::int64_t ok = 0, fail = 0, unsigned_processed = 0;
};

struct ReportHistory {
  std::set<std::string> checks_complete;
  std::set<std::string> checks_disabled;
  std::vector<CustomerStateRow> customers;
  std::vector<SignatureRateRow> signature_rates;  // only customers with failed or unsigned deliveries
};

// The verification window summarised per cycle.
inline constexpr Duration kSignatureRateWindow{3600};

ReportHistory summarize_for_report(const Facts& facts, Time now, const Config& config,
                                   const std::set<std::string>& checks_complete,
                                   const std::set<std::string>& checks_disabled);

}  // namespace complyd
