// SPDX-License-Identifier: Apache-2.0
// Small pure helpers shared by checks: lookups over facts.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "checks/check.hpp"

namespace complyd {

// Customer lookup by id, built once per evaluation.
class CustomerIndex {
 public:
  explicit CustomerIndex(const Facts& facts);
  const Customer* find(std::string_view id) const;

 private:
  std::unordered_map<std::string_view, const Customer*> by_id_;
};

// The finding subject for a stored credential: its storage path; without one,
// "<kind>" for a current credential and "<kind>.<role>" for any other role.
std::string credential_subject(const Credential& c);

// Tolerance for clock skew before a timestamp counts as "in the future".
inline constexpr Duration kFutureSkew{300};

// The one rule for "dated in the future" (untrustworthy): every check uses it,
// and so does the report's choice of an attestation's review date, so the
// two cannot disagree.
inline bool dated_in_future(Time t, Time now) { return t > now + kFutureSkew; }

// Minutes of the event streams (Facts::judged_through): unix seconds / 60, rounded down.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
inline Time minute_start(std::int64_t minute) { return Time{Duration{minute * 60}}; }

}  // namespace complyd
