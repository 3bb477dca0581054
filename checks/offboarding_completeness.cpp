// SPDX-License-Identifier: Apache-2.0
// offboarding-completeness: an offboarded customer must leave nothing behind:
// no stored credential, no active webhook subscription, no sync activity after
// offboarding, no undeleted data past the deletion window, and an audit record.
#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

std::vector<Finding> evaluate(const CheckContext& ctx, const OffboardingCompletenessParams& params) {
  std::vector<Finding> out;
  const Duration window = params.deletion_window;
  const auto& audit_actions = params.audit_actions;

  std::unordered_map<std::string_view, const Customer*> offboarded;
  for (const auto& c : ctx.facts.customers) {
    if (c.status == CustomerStatus::offboarded) offboarded.emplace(c.id, &c);
  }
  if (offboarded.empty()) return out;

  // Latest sync per offboarded customer: the inventory's and any activity
  // source's (sql sync_activity_query), whichever is later.
  std::unordered_map<std::string_view, Time> last_sync;
  auto note_sync = [&](std::string_view id, const std::optional<Time>& t) {
    if (!t || !offboarded.contains(id)) return;
    auto [it, inserted] = last_sync.emplace(id, *t);
    if (!inserted && *t > it->second) it->second = *t;
  };
  for (const auto& [id, c] : offboarded) note_sync(id, c->last_sync_at);
  for (const auto& a : ctx.facts.customer_activity) note_sync(a.customer_id, a.last_sync_at);

  std::unordered_set<std::string_view> audited;
  for (const auto& e : ctx.facts.audit_events) {
    if (!offboarded.contains(e.customer_id)) continue;
    for (const auto& a : audit_actions) {
      if (e.action == a) audited.insert(e.customer_id);
    }
  }

  auto make = [&](const Customer& c, std::string subject, std::string title, std::string detail,
                  std::string remediation) {
    Finding f;
    f.severity = ctx.severity;
    f.customer_id = c.id;
    f.subject = std::move(subject);
    f.title = std::move(title);
    f.detail = std::move(detail);
    f.remediation = std::move(remediation);
    if (c.offboarded_at) f.evidence.emplace_back("offboarded_at", format_time(*c.offboarded_at));
    return f;
  };
  auto since = [&](const Customer& c) {
    return c.offboarded_at ? fmt::format("since {}", date_only(*c.offboarded_at)) : std::string("(date unknown)");
  };

  for (const auto& cred : ctx.facts.credentials) {
    auto it = offboarded.find(cred.customer_id);
    if (it == offboarded.end()) continue;
    const Customer& c = *it->second;
    auto f = make(c, cred.storage_path.empty() ? cred.kind : cred.storage_path,
                  fmt::format("{} still stored after offboarding", cred.kind),
                  fmt::format("Customer {} is offboarded {} but its {} {} is still stored at {}.", c.id, since(c),
                              to_string(cred.role), cred.kind, cred.storage_path),
                  "Delete the credential from the secrets manager (and have it revoked on the platform); "
                  "offboarding must not retain credentials 'in case the customer comes back'.");
    f.evidence.emplace_back("kind", cred.kind);
    f.evidence.emplace_back("role", to_string(cred.role));
    out.push_back(std::move(f));
  }

  for (const auto& w : ctx.facts.webhooks) {
    if (w.status != SubscriptionStatus::active) continue;
    auto it = offboarded.find(w.customer_id);
    if (it == offboarded.end()) continue;
    const Customer& c = *it->second;
    auto f = make(c, "webhook:" + w.id, "webhook subscription still active after offboarding",
                  fmt::format("Customer {} is offboarded {} but webhook subscription {} on {} still delivers "
                              "events to {}.",
                              c.id, since(c), w.id, w.platform, w.notification_url),
                  "Delete the subscription on the platform (DELETE /api/Webhook/{id}) so deliveries stop.");
    f.evidence.emplace_back("platform", w.platform);
    out.push_back(std::move(f));
  }

  for (const auto& [id, cp] : offboarded) {
    const Customer& c = *cp;
    if (!c.offboarded_at) {
      out.push_back(make(c, "customer:offboarded_at", "offboarded customer without an offboarding date",
                         fmt::format("Customer {} is marked offboarded but has no offboarding time, so the "
                                     "deletion window cannot be checked.",
                                     c.id),
                         "Record when the customer was offboarded (and by whom) in the customer record."));
    }
    const auto sync = last_sync.find(id);
    if (c.offboarded_at && sync != last_sync.end() && sync->second > *c.offboarded_at) {
      auto f = make(c, "sync:activity", "sync activity after offboarding",
                    fmt::format("Sync workers ran for customer {} on {}, after it was offboarded on {}.", c.id,
                                format_time(sync->second), format_time(*c.offboarded_at)),
                    "Pause the customer's sync and reconciliation workers and drain its queue; make sync "
                    "attempts for offboarded customers fail loudly.");
      f.evidence.emplace_back("last_sync_at", format_time(sync->second));
      out.push_back(std::move(f));
    }
    if (!audited.contains(id)) {
      out.push_back(make(c, "audit:offboarded", "no offboarding audit record",
                         fmt::format("Customer {} is offboarded but no audit event records when, by whom and "
                                     "why it happened.",
                                     c.id),
                         "Write the offboarding audit record (time, actor, reason) and make the offboarding "
                         "procedure emit it."));
    }
  }

  for (const auto& d : ctx.facts.data_sets) {
    auto it = offboarded.find(d.customer_id);
    if (it == offboarded.end()) continue;
    const Customer& c = *it->second;
    if (!c.offboarded_at || d.record_count <= 0 || d.anonymised) continue;
    if (ctx.now - *c.offboarded_at <= window) continue;
    auto f = make(c, "data:" + d.name, "customer data kept past the deletion window",
                  fmt::format("Data set {} ({}) still holds {} records of customer {}, {} after offboarding; the "
                              "deletion window is {}.",
                              d.name, d.location, d.record_count, c.id, age_text(ctx.now - *c.offboarded_at),
                              format_duration(window)),
                  "Delete or anonymise the customer's sync state, dead-letter entries and logs, and send the "
                  "customer a record of the deletion.");
    f.evidence.emplace_back("records", std::to_string(d.record_count));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& offboarding_completeness_check() {
  static const CheckDef def = make_check<OffboardingCompletenessParams>(
      CheckInfo{
          .id = "offboarding-completeness",
          .title = "Offboarding deletes everything",
          .default_severity = Severity::high,
          .checklist_items = {"Customer offboarding deletes credentials and the webhook subscription",
                              "Audit logs for all credential access and customer lifecycle events"},
          .rationale = "Credentials, subscriptions and data kept after a customer leaves add compliance risk "
                       "with no operational benefit, and the deletion step is the one most integrations get "
                       "wrong.",
          .remediation = "Run the documented offboarding procedure to the end: stop sync, delete the webhook "
                         "subscription, revoke and delete credentials, delete or anonymise data, record it.",
          .frameworks = {{"SOC 2", "CC6.2"}, {"SOC 2", "C1.2"}, {"GDPR", "Art. 17"}, {"GDPR", "Art. 5(1)(e)"}},
          .needs = {FactKind::customers, FactKind::credentials, FactKind::webhooks, FactKind::audit_events,
                    FactKind::data_sets, FactKind::customer_activity},
      },
      {{.name = "deletion_window",
        .member = &OffboardingCompletenessParams::deletion_window,
        .description = "Time after offboarding by which customer data must be deleted or anonymised",
        .min = 0},
       {.name = "audit_actions",
        .member = &OffboardingCompletenessParams::audit_actions,
        .description = "Audit event actions that record an offboarding"}},
      evaluate);
  return def;
}

}  // namespace complyd
