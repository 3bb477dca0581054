// SPDX-License-Identifier: Apache-2.0
// credential-unused: a current credential nobody has used for a long time is
// most likely orphaned (a customer who left without being offboarded, a
// feature turned off) and is exposure without benefit.
#include <fmt/format.h>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

// Findings on incomplete data rank one step below the configured severity.
Severity one_lower(Severity s) {
  return s > Severity::low ? static_cast<Severity>(static_cast<std::uint8_t>(s) - 1) : s;
}

std::string remediation_for(const std::string& kind) {
  std::string what = kind == "webhook_secret"
                         ? "check whether the webhook subscription still receives deliveries"
                         : "check with the customer whether the integration still uses it";
  return fmt::format("Find out whether the credential is still needed ({}); if not, revoke it where it was "
                     "issued and delete it (offboard the customer if they left), otherwise fix the usage tracking.",
                     what);
}

std::vector<Finding> evaluate(const CheckContext& ctx, const CredentialUnusedParams& params) {
  std::vector<Finding> out;
  const Duration max_idle = params.max_idle;
  const CustomerIndex customers(ctx.facts);

  for (const auto& c : ctx.facts.credentials) {
    if (c.role != CredentialRole::current) continue;
    const Customer* cust = customers.find(c.customer_id);
    // Offboarded customers' credentials belong to offboarding-completeness.
    if (cust != nullptr && cust->status == CustomerStatus::offboarded) continue;

    const std::string subject = credential_subject(c);
    auto make = [&](Severity severity, std::string title, std::string detail) {
      Finding f;
      f.severity = severity;
      f.customer_id = c.customer_id;
      f.subject = subject;
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = remediation_for(c.kind);
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("max_idle", format_duration(max_idle));
      return f;
    };

    if (c.last_used_at) {
      const Time used = *c.last_used_at;
      if (dated_in_future(used, ctx.now)) {
        auto f = make(one_lower(ctx.severity), fmt::format("{} last-use time in the future", c.kind),
                      fmt::format("The current {} at {} claims it was last used on {}, after the evaluation time; "
                                  "whether it is still in use cannot be judged.",
                                  c.kind, subject, format_time(used)));
        f.remediation = "Correct the credential's last-use metadata (check the source's clock).";
        f.evidence.emplace_back("last_used_at", format_time(used));
        out.push_back(std::move(f));
        continue;
      }
      const Duration idle = ctx.now - used;
      if (idle <= max_idle) continue;
      auto f = make(ctx.severity, fmt::format("{} unused for more than {}", c.kind, format_duration(max_idle)),
                    fmt::format("The current {} of customer {} at {} was last used on {} ({} ago), so it is "
                                "probably orphaned yet still valid.",
                                c.kind, c.customer_id, subject, date_only(used), age_text(idle)));
      f.evidence.emplace_back("last_used_at", format_time(used));
      f.evidence.emplace_back("idle_days", std::to_string(idle.count() / kSecondsPerDay));
      out.push_back(std::move(f));
      continue;
    }

    // Never recorded as used: judge by how long it has existed. Without any
    // age credential-age reports it; a future age is its finding too.
    const std::optional<Time> since = c.created_at ? c.created_at : c.rotated_at;
    if (!since || *since > ctx.now) continue;
    const Duration age = ctx.now - *since;
    if (age <= max_idle) continue;
    auto f = make(one_lower(ctx.severity), fmt::format("{} with no recorded use", c.kind),
                  fmt::format("The current {} of customer {} at {} was stored on {} ({} ago) and has no recorded "
                              "use, so it may be orphaned.",
                              c.kind, c.customer_id, subject, date_only(*since), age_text(age)));
    f.evidence.emplace_back(c.created_at ? "created_at" : "rotated_at", format_time(*since));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& credential_unused_check() {
  static const CheckDef def = make_check<CredentialUnusedParams>(
      CheckInfo{
          .id = "credential-unused",
          .title = "No orphaned credentials",
          .default_severity = Severity::medium,
          .checklist_items = {"Customer offboarding deletes credentials and the webhook subscription"},
          .rationale = "A credential nobody uses is usually left over from a customer who stopped using the "
                       "integration without being offboarded; it stays valid for whoever copied it. The reference "
                       "pages say not to retain credentials \"just in case\": they add compliance risk for no "
                       "operational benefit.",
          .remediation = "Confirm whether the credential is still needed; if not, revoke and delete it and "
                         "offboard the customer.",
          .frameworks = {{"SOC 2", "CC6.2"}, {"SOC 2", "CC6.3"}, {"PCI DSS v4.0", "8.2.6"}, {"GDPR", "Art. 32"}},
          .needs = {FactKind::customers, FactKind::credentials},
      },
      {{.name = "max_idle",
        .member = &CredentialUnusedParams::max_idle,
        .description = "How long a current credential may go without use before it counts as orphaned",
        .min = 3600}},
      evaluate);
  return def;
}

}  // namespace complyd
