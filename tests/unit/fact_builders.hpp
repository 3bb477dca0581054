// SPDX-License-Identifier: Apache-2.0
// Builders for hand-made facts in check tests. Times are absolute, from a
// fixed "now", so every threshold edge is exact.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/registry.hpp"
#include "model/time.hpp"

namespace complyd::testing {

inline const Time kNow = *parse_time("2026-11-22T12:00:00Z");
inline Time ago(Duration d) { return kNow - d; }
inline constexpr Duration secs(std::int64_t n) { return Duration{n}; }

inline Customer customer(std::string id, CustomerStatus status = CustomerStatus::active) {
  Customer c;
  c.id = std::move(id);
  c.name = c.id;
  c.status = status;
  c.environment = "production";
  c.onboarded_at = ago(days(400));
  if (status == CustomerStatus::offboarded) c.offboarded_at = ago(days(10));
  return c;
}

inline Credential credential(std::string customer_id, std::string kind, CredentialRole role = CredentialRole::current,
                             std::optional<Time> rotated = ago(days(10))) {
  Credential c;
  c.customer_id = customer_id;
  c.kind = kind;
  c.role = role;
  c.environment = "production";
  c.storage_path = "raise/production/" + customer_id + "/" + kind;
  c.created_at = rotated;
  c.rotated_at = rotated;
  c.last_used_at = ago(hours(1));
  c.fingerprint = "fp-" + customer_id + "-" + kind;
  c.entropy_bytes = 32;
  return c;
}

inline const CheckDef& registered_check(const std::string& id) {
  const CheckDef* def = find_check(id);
  if (def == nullptr) throw std::runtime_error("no check " + id);
  return *def;
}

// Runs one registered check with its default parameters.
inline std::vector<Finding> run_check(const std::string& id, const Facts& facts, Time now = kNow) {
  const CheckDef& def = registered_check(id);
  const Params p = default_params(def.info);
  return def.evaluate(CheckContext{facts, now, p, def.info.default_severity});
}

// Runs one registered check with its defaults changed by `tweak`
// (run_check<CredentialUnusedParams>(..., [](auto& p) { p.max_idle = days(30); })).
template <class P>
std::vector<Finding> run_check(const std::string& id, const Facts& facts, Time now,
                               const std::function<void(P&)>& tweak) {
  const CheckDef& def = registered_check(id);
  P tweaked = default_params(def.info).as<P>();
  tweak(tweaked);
  const Params p = Params::of(std::move(tweaked));
  return def.evaluate(CheckContext{facts, now, p, def.info.default_severity});
}

inline std::size_t count_subject(const std::vector<Finding>& fs, const std::string& needle) {
  return static_cast<std::size_t>(std::count_if(
      fs.begin(), fs.end(), [&](const Finding& f) { return f.subject.find(needle) != std::string::npos; }));
}

}  // namespace complyd::testing
