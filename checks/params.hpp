// SPDX-License-Identifier: Apache-2.0
// Every check's parameter struct, defaults in the member initialisers. The
// TOML names, descriptions and bounds are bound to the members once, in the
// check's own file (its make_check); a check without parameters has none here.
// Comparable, so that tests can hold a struct against its defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/check.hpp"

namespace complyd {

struct CredentialAgeParams {
  DurationMap max_age{{"api_token", std::chrono::days{90}},
                      {"webhook_secret", std::chrono::days{90}},
                      {"oauth_refresh_token", std::chrono::days{180}},
                      {"internal_secret", std::chrono::days{90}}};
  bool operator==(const CredentialAgeParams&) const = default;
};

// The reminders, the report history and `complyd notify` read credential-age's
// rotation limits here, so their due dates agree with its findings.
const CredentialAgeParams& credential_age_params(const CheckConfigs& checks);

struct RotationLeftoverParams {
  DurationMap grace{{"api_token", std::chrono::days{7}}, {"webhook_secret", std::chrono::hours{1}}};
  Duration default_grace = std::chrono::days{7};
  Duration pending_max_age = std::chrono::days{7};
  bool operator==(const RotationLeftoverParams&) const = default;
};

struct WebhookSecretStrengthParams {
  std::int64_t min_entropy_bytes = 32;
  std::int64_t critical_below_bytes = 16;
  bool operator==(const WebhookSecretStrengthParams&) const = default;
};

struct SignatureFailuresParams {
  double max_failure_rate = 0.01;
  Duration window = std::chrono::minutes{10};
  std::int64_t min_sample = 100;
  double spike_factor = 10.0;
  double min_baseline_per_minute = 1.0;
  Duration baseline_window = std::chrono::hours{24};
  Duration max_silence = std::chrono::hours{1};
  Duration max_backfill = std::chrono::days{7};
  bool operator==(const SignatureFailuresParams&) const = default;
};

// Counters minutes are judged once: from the minute after the last one a
// committed cycle judged (Facts::judged_through["verifications"]) up to now,
// and never further back than max_backfill (on a first run: max_backfill).
inline constexpr const char* kVerificationsStream = "verifications";
std::int64_t first_minute_to_judge(const SignatureFailuresParams& p, const std::map<std::string, std::int64_t>& judged,
                                   Time now);
// The earliest minute signature-failures reads (the windows and the baseline
// before the first minute it judges), so the sources read back that far.
std::int64_t first_minute_to_read(const SignatureFailuresParams& p, const std::map<std::string, std::int64_t>& judged,
                                  Time now);
const SignatureFailuresParams& signature_failures_params(const CheckConfigs& checks);

// Audit events are judged by what the audit log still holds. The watermark
// (Facts::judged_through["audit_events"]) is the minute of the newest event a
// committed cycle judged; when the log's oldest event is newer than that, the
// events recorded in between may have been deleted unjudged.
inline constexpr const char* kAuditEventsStream = "audit_events";
// The minute of the newest event at or before `now` (plus the usual clock
// skew), or nothing without one: what this cycle judges through.
std::optional<std::int64_t> audit_events_judged_through(const std::vector<AuditEvent>& events, Time now);

struct OffboardingCompletenessParams {
  Duration deletion_window = std::chrono::days{30};
  std::vector<std::string> audit_actions{"offboarded", "customer_offboarded"};
  bool operator==(const OffboardingCompletenessParams&) const = default;
};

struct RetentionWindowParams {
  DurationMap max_age{{"dead_letter", std::chrono::days{90}},
                      {"reconciliation_log", std::chrono::days{365}},
                      {"worker_log_hot", std::chrono::days{30}},
                      {"worker_log_cold", std::chrono::days{365}},
                      {"webhook_capture", std::chrono::days{30}}};
  Duration audit_log_min = std::chrono::days{365};
  std::vector<std::string> unlimited_classes{"sync_state"};
  bool operator==(const RetentionWindowParams&) const = default;
};

struct AuditCoverageParams {
  std::vector<std::string> create_actions{"credential_created"};
  std::vector<std::string> rotate_actions{"token_rotated", "credential_rotated"};
  std::vector<std::string> offboard_actions{"offboarded", "customer_offboarded"};
  std::vector<std::string> read_actions{"token_read", "credential_read", "secret_read"};
  std::vector<std::string> allowed_readers{"sync-worker-*"};
  Duration match_tolerance = std::chrono::hours{1};
  bool operator==(const AuditCoverageParams&) const = default;
};

struct CredentialUnusedParams {
  Duration max_idle = std::chrono::days{90};
  bool operator==(const CredentialUnusedParams&) const = default;
};

// Also the files source's detector options (leak_scan_options).
struct LeakScanParams {
  // An assignment or bearer value counts only if it is at least this long and
  // this random (Shannon entropy over its characters): placeholders such as
  // `password=changeme` or `token=abc` do not alarm.
  double min_entropy_bits_per_char = 3.5;
  std::int64_t min_value_length = 16;
  // Addresses at these domains (and their subdomains) are not donors'.
  std::vector<std::string> ignore_email_domains;
  std::int64_t max_findings_per_file = 50;
  bool operator==(const LeakScanParams&) const = default;
};

const LeakScanParams& leak_scan_params(const CheckConfigs& checks);

struct AttestationFreshnessParams {
  Duration max_age = std::chrono::days{365};
  std::vector<std::string> controls{"incident_runbook", "access_review", "pci_scope", "iam_rbac_review",
                                    "encryption_at_rest"};
  std::vector<std::string> customer_controls{"dpa"};
  std::vector<std::string> regulated_jurisdictions{"EU", "UK", "US-CA"};
  bool operator==(const AttestationFreshnessParams&) const = default;
};
// The report history reads the review interval here: its review dates agree
// with attestation-freshness's findings.
const AttestationFreshnessParams& attestation_freshness_params(const CheckConfigs& checks);

}  // namespace complyd
