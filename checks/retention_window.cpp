// SPDX-License-Identifier: Apache-2.0
// retention-window: stored data kept longer than its data class allows, and
// audit logs kept shorter than required.
#include <fmt/format.h>

#include <algorithm>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

constexpr const char* kAuditLogClass = "audit_log";

std::string remediation_for(const std::string& data_class, Duration limit) {
  if (data_class == "dead_letter") {
    return fmt::format("Purge (or archive out of the live store) dead-letter entries resolved more than {} ago, and "
                       "schedule the purge so it runs daily.",
                       format_duration(limit));
  }
  if (data_class == "webhook_capture") {
    return fmt::format("Delete webhook delivery captures older than {}; they hold donor data and signatures and "
                       "have no use after debugging.",
                       format_duration(limit));
  }
  return fmt::format("Delete, archive or anonymise the records older than {} and schedule the purge (or a storage "
                     "lifecycle rule) so it runs daily.",
                     format_duration(limit));
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::vector<Finding> evaluate(const CheckContext& ctx, const RetentionWindowParams& params) {
  std::vector<Finding> out;
  const auto& limits = params.max_age;
  const Duration audit_min = params.audit_log_min;
  const auto& unlimited = params.unlimited_classes;

  // The audit log must reach back audit_log_min, or to the start of the
  // integration (earliest onboarding) when that is more recent.
  std::optional<Time> integration_start;
  for (const auto& c : ctx.facts.customers) {
    if (c.onboarded_at && (!integration_start || *c.onboarded_at < *integration_start)) {
      integration_start = c.onboarded_at;
    }
  }
  Time audit_required_from = ctx.now - audit_min;
  if (integration_start && *integration_start > audit_required_from) audit_required_from = *integration_start;

  for (const auto& d : ctx.facts.data_sets) {
    if (d.record_count <= 0) continue;  // nothing kept, nothing too old
    if (contains(unlimited, d.data_class)) continue;
    const bool audit_log = d.data_class == kAuditLogClass;
    const auto limit_it = limits.find(d.data_class);

    auto make = [&](std::string title, std::string detail, std::string remediation) {
      Finding f;
      f.severity = ctx.severity;
      f.customer_id = d.customer_id;
      f.subject = "data:" + d.name;
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = std::move(remediation);
      f.evidence.emplace_back("data_class", d.data_class);
      f.evidence.emplace_back("location", d.location);
      f.evidence.emplace_back("records", std::to_string(d.record_count));
      return f;
    };

    if (!audit_log && limit_it == limits.end()) {
      auto f = make(fmt::format("no retention rule for data class {}", d.data_class),
                    fmt::format("Data set {} ({}) is of class '{}', for which no retention limit is configured, so "
                                "nobody can tell whether it is kept too long.",
                                d.name, d.location, d.data_class),
                    fmt::format("Add a limit for '{}' under [checks.retention-window.max_age] (or list it in "
                                "unlimited_classes), or correct the data set's class.",
                                d.data_class));
      f.severity = std::min(ctx.severity, Severity::low);
      out.push_back(std::move(f));
      continue;
    }
    const bool age_limited = limit_it != limits.end() && !d.anonymised;  // anonymised data is no longer personal
    if (!audit_log && !age_limited) continue;

    if (!d.oldest_record_at) {
      auto f = make(fmt::format("{} data set with unknown age", d.data_class),
                    fmt::format("Data set {} ({}) holds {} records but no time for its oldest record, so its "
                                "retention cannot be checked.",
                                d.name, d.location, d.record_count),
                    "Report the oldest record's time for this data set in the inventory (for dead-letter entries: "
                    "the oldest resolved entry).");
      out.push_back(std::move(f));
      continue;
    }
    const Time oldest = *d.oldest_record_at;
    if (dated_in_future(oldest, ctx.now)) {
      auto f = make(fmt::format("{} oldest record time in the future", d.data_class),
                    fmt::format("Data set {} ({}) claims its oldest record dates from {}, after the evaluation time; "
                                "its retention cannot be trusted.",
                                d.name, d.location, format_time(oldest)),
                    "Correct the data set's oldest-record time in the inventory (check the source's clock).");
      f.evidence.emplace_back("oldest_record", format_time(oldest));
      out.push_back(std::move(f));
      continue;
    }
    const Duration age = ctx.now - oldest;

    if (age_limited && age > limit_it->second) {
      const Duration limit = limit_it->second;
      auto f = make(fmt::format("{} kept longer than its retention limit", d.data_class),
                    fmt::format("Data set {} ({}) still holds records from {} ({} old), past the {} retention limit "
                                "for {} data.",
                                d.name, d.location, date_only(oldest), age_text(age), format_duration(limit),
                                d.data_class),
                    remediation_for(d.data_class, limit));
      f.evidence.emplace_back("oldest_record", format_time(oldest));
      f.evidence.emplace_back("age_days", std::to_string(age.count() / kSecondsPerDay));
      f.evidence.emplace_back("max_age", format_duration(limit));
      out.push_back(std::move(f));
    }

    if (audit_log && oldest > audit_required_from) {
      auto f = make("audit log kept shorter than required",
                    fmt::format("Audit log {} ({}) only reaches back to {} ({}), but must keep at least {} of history "
                                "(back to {}); older audit events were dropped.",
                                d.name, d.location, date_only(oldest), age_text(age), format_duration(audit_min),
                                date_only(audit_required_from)),
                    fmt::format("Stop the purge or lifecycle rule that deletes audit events younger than {}, restore "
                                "the dropped history from backups if possible, and keep audit logs in a separate, "
                                "tamper-resistant store.",
                                format_duration(audit_min)));
      f.evidence.emplace_back("oldest_record", format_time(oldest));
      f.evidence.emplace_back("required_from", format_time(audit_required_from));
      f.evidence.emplace_back("audit_log_min", format_duration(audit_min));
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace

const CheckDef& retention_window_check() {
  static const CheckDef def = make_check<RetentionWindowParams>(
      CheckInfo{
          .id = "retention-window",
          .title = "Data kept no longer, audit logs no shorter, than required",
          .default_severity = Severity::medium,
          .checklist_items = {"Establish retention policies for sync state and dead-letter records",
                              "Data retention: Keep audit logs per your compliance needs",
                              "Audit logs for all credential access and customer lifecycle events"},
          .rationale = "Donor data kept past its purpose is liability without benefit (storage limitation); the "
                       "reference pages keep dead-letter entries 90 days after resolution, reconciliation logs 1 "
                       "year, worker logs 30 days hot and 1 year cold, webhook delivery captures 30 days, and audit "
                       "logs at least a year.",
          .remediation = "Schedule purges (or storage lifecycle rules) per data class, and make sure none touches "
                         "audit logs younger than the required retention.",
          .frameworks = {{"SOC 2", "C1.2"},
                         {"PCI DSS v4.0", "3.2.1"},
                         {"PCI DSS v4.0", "10.5.1"},
                         {"GDPR", "Art. 5(1)(e)"}},
          .needs = {FactKind::customers, FactKind::data_sets},
      },
      {{.name = "max_age",
        .member = &RetentionWindowParams::max_age,
        .description = "Longest retention per data class (age of the oldest record; for "
                       "dead_letter the oldest resolved entry)",
        .min = 3600},
       {.name = "audit_log_min",
        .member = &RetentionWindowParams::audit_log_min,
        .description = "Shortest history an audit_log data set must keep (or back to the "
                       "earliest customer onboarding, when more recent)",
        .min = 0},
       {.name = "unlimited_classes",
        .member = &RetentionWindowParams::unlimited_classes,
        .description = "Data classes kept indefinitely while the customer is active "
                       "(offboarded customers' data is offboarding-completeness's)"}},
      evaluate);
  return def;
}

}  // namespace complyd
