// SPDX-License-Identifier: Apache-2.0
#include "checks/registry.hpp"

#include <array>

namespace complyd {

// One declaration and one entry per check, in catalogue order.
const CheckDef& credential_age_check();
const CheckDef& rotation_leftover_check();
const CheckDef& credential_shared_check();
const CheckDef& webhook_secret_strength_check();
const CheckDef& transport_https_check();
const CheckDef& signature_failures_check();
const CheckDef& offboarding_completeness_check();
const CheckDef& retention_window_check();
const CheckDef& audit_coverage_check();
const CheckDef& credential_unused_check();
const CheckDef& leak_scan_check();
const CheckDef& attestation_freshness_check();
const CheckDef& source_unavailable_check();
const CheckDef& notification_delivery_check();
const CheckDef& history_integrity_check();

std::span<const CheckDef* const> all_checks() {
  static const auto checks = std::to_array<const CheckDef*>({
      &credential_age_check(),
      &rotation_leftover_check(),
      &credential_shared_check(),
      &webhook_secret_strength_check(),
      &transport_https_check(),
      &signature_failures_check(),
      &offboarding_completeness_check(),
      &retention_window_check(),
      &audit_coverage_check(),
      &credential_unused_check(),
      &leak_scan_check(),
      &attestation_freshness_check(),
      &source_unavailable_check(),
      &notification_delivery_check(),
      &history_integrity_check(),
  });
  return checks;
}

const CheckDef* find_check(std::string_view id) {
  for (const CheckDef* c : all_checks()) {
    if (c->info.id == id) return c;
  }
  return nullptr;
}

FindingKind finding_kind(std::string_view check_id, std::string_view subject) {
  const CheckDef* c = find_check(check_id);
  return c != nullptr ? finding_kind(c->info, subject) : FindingKind::state;
}

}  // namespace complyd
