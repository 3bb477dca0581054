// SPDX-License-Identifier: Apache-2.0
// The audit report (`complyd report`, GET /v1/report): a model built by pure
// code from the stored history as of a time, then rendered per format.
// Everything in the model is a function of the history at or before `as_of`
// (never of today's tables or the wall clock), so a report for a past date
// can be reproduced byte-for-byte apart from its generation time.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "checks/check.hpp"
#include "daemon/engine/lifecycle.hpp"

namespace complyd::report {

inline constexpr int kReportSchemaVersion = 1;
inline constexpr int kSeverities = kSeverityCount;  // info .. critical

// ---- Raw history as read from the store (daemon/store/report_store) -------
struct FindingRow {  // columns that never change for an id
  std::string id, check_id, customer_id, subject, title, remediation;
  Time first_seen{};
};
struct EventRow {
  std::string finding_id;
  std::optional<std::int64_t> cycle_id;
  Time at{};
  std::string event, to_status, severity, actor, reason;
};
struct CycleRow {
  std::int64_t id = 0;
  Time started_at{}, at{};  // at: finished_at (the time its events carry)
  std::string status;
  std::vector<SourceStatus> sources;
  std::optional<std::set<std::string>> checks_complete, checks_disabled;  // absent before migration 4
  std::map<std::string, Time> attestation_reviews;  // integration-wide control -> review date (migration 15)
};
struct CustomerStateRow {
  std::string customer_id;
  nlohmann::json state;
  bool unreadable = false;  // the stored row is damaged: shown as such, never as an empty state
};
struct SignatureRow {
  std::int64_t cycle_id = 0;
  std::string customer_id;
  std::int64_t ok = 0, fail = 0, unsigned_processed = 0;
};
struct History {
  // The history chain's head when the history was read (chain.hpp).
  std::int64_t chain_seq = 0;
  std::string chain_hash;
  std::vector<FindingRow> findings;      // first seen at or before as_of
  std::vector<EventRow> events;          // at or before as_of, in recording order
  std::vector<CycleRow> cycles;          // finished at or before as_of, in order (period + the last one)
  std::vector<CustomerStateRow> customers;  // state valid at as_of
  std::vector<SignatureRow> signatures;  // cycles in the period
  // A streamed read (load_report_history, ReportRead::streamed) leaves
  // `events` and `customers` empty and reads them from cursors instead, each
  // time the report needs them, in the same order; only while its read
  // transaction is open. At 100k customers they are most of the history.
  std::function<void(const std::function<void(const EventRow&)>&)> each_event;
  std::function<void(const std::function<void(CustomerStateRow&&)>&)> each_customer;
  std::size_t customer_count = 0;  // streamed: the rows each_customer yields
};

struct ReportOptions {
  Time as_of{};
  Duration period = days(30);
  std::string customer;  // empty: the whole integration
  Time generated_at{};   // the only value allowed to differ between two builds
  // [report] default_owner: the owner of a finding without one of its own
  // (the configuration now, not the history: empty shows no owner).
  std::string default_owner;
};

// ---- The model -------------------------------------------------------------
struct ReportFinding {
  std::string id, check_id, customer_id, subject, title, remediation;
  Severity severity = Severity::medium;
  FindingStatus status = FindingStatus::open;
  Time first_seen{};
  Duration age{0};
  std::optional<Time> resolved_at;
  std::string mute_reason, muted_by;
  std::optional<Time> muted_until, muted_at;
  // Who acts on it: the mutelist rule's owner (a rule's mute), else the
  // customer's admin contact, else [report] default_owner; empty: nobody.
  std::string owner;
  std::string owner_from;  // mutelist | customer | default | "" (no owner)
  // When it must be dealt with (open and muted findings): a mute's expiry,
  // a credential's rotation due date, an attestation's review date.
  std::optional<Time> due_at;
  std::string due_for;  // mute_expiry | rotation | attestation_review | "" (no due date)
};

struct ChecklistEntry {
  std::string page, item;
  std::string status;  // pass | fail | attested | not_evaluated
  std::vector<std::string> checks;
  int open = 0, muted = 0, customers = 0;
  std::optional<Duration> oldest;  // age of the oldest open or muted finding behind it
};

struct TrendPoint {
  std::int64_t cycle_id = 0;
  Time at{};
  std::array<int, kSeverities> open{};  // by Severity value
};

struct RatePoint {
  std::int64_t cycle_id = 0;
  Time at{};
  double rate = 0;  // failed / (ok + failed) over the hour before the cycle
};
struct SignatureTrend {
  std::string customer_id;
  std::vector<RatePoint> points;
  double peak = 0;
};

struct CredentialView {
  std::string path, kind, role, environment;
  std::optional<Time> basis_at, due_at;
  std::optional<Duration> age;
  std::string stage;  // rotation stage at as_of (checks/rotation.hpp)
};
struct WebhookView {
  std::string id, platform, status;
  bool https = false;
};
struct CustomerView {
  std::string id, name, status, environment, jurisdiction;
  std::optional<Time> offboarded_at;
  std::vector<CredentialView> credentials;
  std::vector<WebhookView> webhooks;
  std::string webhook_health;  // ok | failing | attention | no deliveries | no subscriptions
  std::optional<double> failure_rate;
  std::string offboarding;  // active | complete | incomplete
  int open_findings = 0;
  bool unreadable = false;  // its stored state cannot be read: status, offboarding and webhooks say "unreadable"
};

struct CheckView {
  std::string id, title, status;  // pass | fail | not_evaluated
  int open = 0, muted = 0;
};
struct FrameworkRefView {
  std::string reference;
  std::vector<std::string> checks;
};
struct FrameworkGroup {
  std::string framework;
  std::vector<FrameworkRefView> refs;
};

struct SourceView {
  std::string name, type;
  bool ok = true;
};

struct ReportModel {
  int schema_version = kReportSchemaVersion;
  Time generated_at{}, as_of{}, period_start{};
  std::string customer;
  std::optional<std::int64_t> last_cycle_id;
  std::optional<Time> last_cycle_at;
  std::string last_cycle_status;  // empty: no cycle yet
  // The history chain's head at generation: ties the report to a history
  // that `complyd history verify` still finds unbroken.
  std::int64_t chain_seq = 0;
  std::string chain_hash;
  std::vector<SourceView> sources;
  std::array<int, kSeverities> open_by_severity{};
  int muted_total = 0, resolved_in_period = 0;
  std::vector<ChecklistEntry> checklist;
  std::vector<ReportFinding> open, muted, resolved;
  std::vector<TrendPoint> trend;
  std::vector<SignatureTrend> signature_trends;  // customers with failures in the period, worst first
  std::vector<CustomerView> customers;  // empty when streamed:
  // the customers one at a time, in id order, from the history's cursor; the
  // model keeps only their findings counts. Use for_each_customer().
  std::function<void(const std::function<void(const CustomerView&)>&)> stream_customers;
  std::size_t streamed_customers = 0;
  std::vector<CheckView> checks;
  std::vector<FrameworkGroup> frameworks;
};

void for_each_customer(const ReportModel& m, const std::function<void(const CustomerView&)>& fn);
std::size_t customer_count(const ReportModel& m);

// The reference pages' checklist lines (with their page) plus any line a
// check names that is not among them, in page order.
struct ChecklistLine {
  std::string page, item;
};
const std::vector<ChecklistLine>& checklist_lines();
// Does a finding of `check_id` on `subject` count against the checklist line
// `item`? (attestation-freshness and leak-scan fail only some of their lines.)
bool finding_counts_against(const std::string& check_id, const std::string& subject, const std::string& item);
// Whether the answer above depends on the subject (else only on the check).
bool subject_matters_for_checklist(std::string_view check_id);
// The check whose evaluation makes a clean line "attested" rather than "pass".
inline constexpr std::string_view kAttestationCheckId = "attestation-freshness";

// Takes the history by value: a moved-in one gives its findings' text to the
// model instead of copying it.
ReportModel build_report(History h, const ReportOptions& opt);

// A chart's value axis with round ticks: `steps` steps of `step` (1, 2 or
// 5 x 10^k, at least min_step) from 0 to max >= the data's maximum.
struct RoundAxis {
  double step = 1, max = 1;
  int steps = 1, decimals = 0;
};
RoundAxis round_axis(double max, double min_step);

// "PCI 3.2.1" before "PCI 10.2.1": digit runs compare as numbers.
bool natural_less(std::string_view a, std::string_view b);

// The HTML report lists at most this many customers (those that need
// attention first); the full list is in the JSON and Markdown reports.
inline constexpr std::size_t kHtmlCustomerRows = 1000;

// Renderers: pure functions of the model, written as they go (a streamed
// model's customers are read while they are written).
std::string render_json(const ReportModel& m);
std::string render_markdown(const ReportModel& m);
std::string render_html(const ReportModel& m);
std::string render_csv(const ReportModel& m);
// The report's findings (open, muted, resolved in the period) as OCSF events
// (JSON Lines) and as a SARIF log (those with a file location): exports.hpp.
std::string render_ocsf(const ReportModel& m);
std::string render_sarif(const ReportModel& m);
// format: html | md | json | csv | ocsf | sarif; nullopt for an unknown format.
std::optional<std::string> render(const ReportModel& m, std::string_view format);
// The same, written to `out`; false for an unknown format.
bool render(const ReportModel& m, std::string_view format, std::ostream& out);
const char* content_type(std::string_view format);

}  // namespace complyd::report
